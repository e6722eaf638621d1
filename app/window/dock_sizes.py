"""Widths the window starts with on a given screen, and those a user left, kept per screen.

At the first show the side docks take their preferred widths, or the widths the user left
them at on a screen of this size in an earlier session, as long as the canvas keeps
`CANVAS_SHARE` of the window's width: on a 1024 px screen the Layers (239 px) and
Properties (366 px) docks left the canvas 407 px. Past that share they give up width
together, each down to its `NARROWEST` width. The Training tab's settings column is kept
the same way (`training.widths.SettingsWidth`).
"""

from __future__ import annotations

import math

from PySide6 import QtWidgets

from .preferences import preference, remember

CANVAS_SHARE = 0.55  # of the window's width, at least, for the canvas at the first show
# A side dock starts no narrower than this, whatever the screen: the palette still shows
# "BatchNormalization" whole, the Properties form a label beside its field.
NARROWEST = {"palette": 150, "properties": 250}
SIZES = "sizes"  # the setting: {screen "WxH": {name: width}}


def screen_key(widget: QtWidgets.QWidget) -> str:
    """The size of the screen `widget` is on, as the key of its kept sizes ("1024x700")."""
    screen = widget.screen() or QtWidgets.QApplication.primaryScreen()
    size = screen.availableGeometry().size()
    return f"{size.width()}x{size.height()}"


def kept_widths(widget: QtWidgets.QWidget) -> dict[str, int]:
    """The widths kept for the screen `widget` is on ({} when none)."""
    kept = preference(SIZES, {})
    widths = kept.get(screen_key(widget)) if isinstance(kept, dict) else None
    if not isinstance(widths, dict):
        return {}
    return {name: width for name, width in widths.items()
            if isinstance(width, int) and not isinstance(width, bool) and width > 0}


def keep_widths(widget: QtWidgets.QWidget, widths: dict[str, int]) -> None:
    """Keep `widths` (merged with those kept before) for the screen `widget` is on."""
    kept = preference(SIZES, {})
    kept = kept if isinstance(kept, dict) else {}
    key = screen_key(widget)
    remember(SIZES, {**kept, key: {**kept_widths(widget), **widths}})


def fitted(wanted: dict[str, int], room: int) -> dict[str, int]:
    """`wanted` widths, narrowed in proportion to fit in `room` pixels together, none
    below its `NARROWEST` width (nor below what it wanted, when it wanted less).

    >>> fitted({"palette": 239, "properties": 366}, 452)
    {'palette': 178, 'properties': 273}
    >>> fitted({"palette": 239, "properties": 366}, 700)
    {'palette': 239, 'properties': 366}
    >>> fitted({"palette": 239, "properties": 366}, 300)
    {'palette': 150, 'properties': 250}
    """
    total = sum(wanted.values())
    if total <= room:
        return dict(wanted)
    return {name: max(min(width, NARROWEST.get(name, 0)), width * room // total)
            for name, width in wanted.items()}


def side_room(window_width: int, separators: int) -> int:
    """The width the side docks may take together, the canvas keeping `CANVAS_SHARE`."""
    return window_width - math.ceil(window_width * CANVAS_SHARE) - separators
