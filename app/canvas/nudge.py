"""The arrow keys move the selected nodes: `STEP` scene pixels a press, `SHIFT_STEP` with
Shift. Each press is one "Move" in Undo/Redo, as a drag is: the undo stack has no merging
of edits, and a step per press undoes exactly what one press did. With nothing selected
(or with Ctrl, Alt or Meta held) the keys go on to the view, which scrolls."""

from __future__ import annotations

from PySide6 import QtCore, QtGui

STEP = 10.0
SHIFT_STEP = 50.0

_DIRECTIONS = {QtCore.Qt.Key_Left: (-1, 0), QtCore.Qt.Key_Right: (1, 0),
               QtCore.Qt.Key_Up: (0, -1), QtCore.Qt.Key_Down: (0, 1)}


def nudge_delta(event: QtGui.QKeyEvent) -> tuple[float, float] | None:
    """How far an arrow key `event` moves the selection (None: not a move)."""
    direction = _DIRECTIONS.get(QtCore.Qt.Key(event.key()))
    held = event.modifiers() & ~QtCore.Qt.KeypadModifier
    if direction is None or held not in (QtCore.Qt.NoModifier, QtCore.Qt.ShiftModifier):
        return None
    step = SHIFT_STEP if held == QtCore.Qt.ShiftModifier else STEP
    return direction[0] * step, direction[1] * step


def nudged(positions: dict[str, tuple[float, float]],
           delta: tuple[float, float]) -> dict[str, tuple[float, float]]:
    """`positions` moved by `delta`."""
    dx, dy = delta
    return {node_id: (x + dx, y + dy) for node_id, (x, y) in positions.items()}
