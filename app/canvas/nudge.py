"""The arrow keys move the selected nodes: `STEP` scene pixels a press, `SHIFT_STEP` with
Shift (`NUDGE`, `NUDGE_FAR`: Help › Keyboard Shortcuts lists them). A burst of presses on one
selection is one "Move" in Undo/Redo, as a drag is (`Nudge`): a selection change, another
edit, an undo, a save or a pause of `PAUSE` seconds between two presses starts a new step.
With nothing selected (or with Ctrl, Alt or Meta held) the keys go on to the view, which
scrolls."""

from __future__ import annotations

import time

from PySide6 import QtCore, QtGui

from ...graph import commands as cmd
from ..keys import Keys

STEP = 10.0
SHIFT_STEP = 50.0
PAUSE = 1.0  # seconds between two presses after which the second starts a new undo step

_DIRECTIONS = {QtCore.Qt.Key_Left: (-1, 0), QtCore.Qt.Key_Right: (1, 0),
               QtCore.Qt.Key_Up: (0, -1), QtCore.Qt.Key_Down: (0, 1)}
_ARROWS = tuple(QtGui.QKeySequence(key).toString() for key in _DIRECTIONS)  # "Left", ...
NUDGE = Keys(f"Move Selected Nodes {STEP:g} px (canvas; with none selected: scroll)",
             _ARROWS)
NUDGE_FAR = Keys(f"Move Selected Nodes {SHIFT_STEP:g} px (canvas)",
                 tuple(f"Shift+{arrow}" for arrow in _ARROWS))

clock = time.monotonic  # when a press came (tests pass the time by hand)


def nudge_delta(event: QtGui.QKeyEvent) -> tuple[float, float] | None:
    """How far an arrow key `event` moves the selection (None: not a move)."""
    step = STEP if NUDGE.pressed(event) else SHIFT_STEP if NUDGE_FAR.pressed(event) else None
    if step is None:
        return None
    dx, dy = _DIRECTIONS[QtCore.Qt.Key(event.key())]
    return dx * step, dy * step


def nudged(positions: dict[str, tuple[float, float]],
           delta: tuple[float, float]) -> dict[str, tuple[float, float]]:
    """`positions` moved by `delta`."""
    dx, dy = delta
    return {node_id: (x + dx, y + dy) for node_id, (x, y) in positions.items()}


class Nudge(cmd.Move):
    """One arrow press: a "Move" that takes in the next press of its burst (`merge`), so a
    burst undoes as one step. `burst` names the selection it moves (the canvas makes a new
    one when the selection changes); `at` is when the press came (`clock`)."""

    def __init__(self, doc, moves: dict[str, tuple[float, float]], burst: object, at: float):
        super().__init__(doc, moves)
        self.burst, self.at = burst, at

    def merge(self, later: cmd.Command) -> bool:
        """Take in `later` when it is the next press on the same nodes of this burst, within
        `PAUSE` of the last one taken in: undo then puts the nodes back where the burst
        found them, and redo where its last press left them."""
        if not (isinstance(later, Nudge) and later.burst is self.burst
                and later.moves.keys() == self.moves.keys()
                and 0.0 <= later.at - self.at <= PAUSE):
            return False
        self.moves, self.at = later.moves, later.at
        return True
