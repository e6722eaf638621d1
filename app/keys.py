"""Keys that widgets of the main window answer themselves, apart from the menus' shortcuts
(the arrow keys on the canvas, Enter in the Find Node bar, ...).

Each is a `Keys` entry, made next to the handler that reads it (`Keys.pressed`), and every
entry made joins `Keys.every`, which Help › Keyboard Shortcuts lists after the menus'
actions: a key a handler answers through its entry cannot be missing from the list.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6 import QtCore, QtGui

_EXACT = QtGui.QKeySequence.SequenceMatch.ExactMatch


@dataclass(frozen=True)
class Keys:
    """Keys that do one thing in one place: `what` as the shortcuts list names it, and the
    `sequences` in QKeySequence's portable text ("Shift+Left")."""

    what: str
    sequences: tuple[str, ...]

    every = []  # every entry made, in the order made (a class attribute, not a field)

    def __post_init__(self) -> None:
        if any(entry.what == self.what for entry in Keys.every):
            raise ValueError(f"Two key entries are named {self.what!r}: each needs its own")
        Keys.every.append(self)

    def pressed(self, event: QtGui.QKeyEvent) -> bool:
        """Whether `event` is one of these keys (a keypad key counts as the main one)."""
        held = event.modifiers() & ~QtCore.Qt.KeypadModifier
        pressed = QtGui.QKeySequence(QtCore.QKeyCombination(
            QtCore.Qt.KeyboardModifier(held), QtCore.Qt.Key(event.key())))
        return any(pressed.matches(QtGui.QKeySequence(s)) == _EXACT for s in self.sequences)

    def key_text(self) -> str:
        """The keys as the platform writes them ("Shift+Left, Shift+Right")."""
        return ", ".join(QtGui.QKeySequence(s).toString(QtGui.QKeySequence.NativeText)
                         for s in self.sequences)
