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


class WhenShown:
    """Work a panel defers while its dock's tab is behind another: `run(work)` does it at
    once when the dock can be seen (or none is followed), else keeps it, the latest only,
    for the dock's `visibilityChanged(True)`."""

    def __init__(self) -> None:
        self._dock: QtWidgets.QWidget | None = None
        self._due = None  # the work waiting for the tab

    @property
    def due(self) -> bool:
        """Whether work waits for the tab to be shown."""
        return self._due is not None

    def follow(self, dock) -> None:
        """Defer work while `dock` cannot be seen."""
        self._dock = dock
        dock.visibilityChanged.connect(self._on_visibility_changed)

    def run(self, work, now: bool = False) -> bool:
        """Do `work` now (True) when the dock can be seen or `now`; else keep it (False)."""
        if now or self._dock is None or on_screen(self._dock):
            self._due = None
            work()
            return True
        self._due = work
        return False

    def cancel(self) -> None:
        """Drop the work waiting, if any."""
        self._due = None

    def _on_visibility_changed(self, visible: bool) -> None:
        if visible and self._due is not None:
            work, self._due = self._due, None
            work()
