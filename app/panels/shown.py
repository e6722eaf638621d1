"""Whether a panel can be seen, for panels that skip their work while they cannot.

A dock in a tab behind another stays `isVisible()`: Qt moves it off the window instead of
hiding it, and sends it no show event when its tab comes to the front; the dock's
`visibilityChanged` says when it does. So a panel that defers work while unseen asks
`on_screen`, and its dock's `visibilityChanged(True)` hands it the work it deferred.
"""

from __future__ import annotations

from PySide6 import QtWidgets


def on_screen(widget: QtWidgets.QWidget) -> bool:
    """Shown, and some of it inside its window (not in a dock tab behind another)."""
    return widget.isVisible() and not widget.visibleRegion().isEmpty()
