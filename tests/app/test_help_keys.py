"""Help › Keyboard Shortcuts lists every key the main window answers: each action's and
each QShortcut's keys, and each key a widget handles itself (`keys.Keys`); and every key
handler in the app reads its keys from such an entry, so the list cannot fall behind."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtTest import QTest

from kerascanvas.app.canvas import find, nudge, view
from kerascanvas.app.keys import Keys
from kerascanvas.app.panels import code_editor, editors, issues, palette
from tests.app.conftest import show_at

APP = Path(__file__).resolve().parents[2] / "app"
NATIVE = QtGui.QKeySequence.NativeText

# Every class of the app that answers keys itself (a key handler, or an event filter that
# looks at key presses) -> the entries it reads. A new handler fails the last test below
# until its keys are an entry here, and so in the list.
HANDLERS = {
    "canvas/view.py:CanvasViewer": (nudge.NUDGE, nudge.NUDGE_FAR, view.CANCEL_WIRE),
    "canvas/find.py:FindBar": (find.FIND_NEXT, find.FIND_PREVIOUS, find.CLOSE_FIND),
    "panels/palette.py:PalettePanel": (palette.MARK_NEXT, palette.MARK_PREVIOUS,
                                       palette.ADD_MARKED),
    "panels/issues.py:IssuesPanel": (issues.COPY_PROBLEMS,),
    "panels/code_editor.py:CodeTextEdit": (code_editor.INDENT,),
    "panels/editors.py:EscapeReverts": (editors.REVERT_TYPING,),
}
KEY_METHODS = {"keyPressEvent", "keyReleaseEvent"}
FILTERS = {"eventFilter", "event"}


def listed(window) -> dict[str, list[str]]:
    """The F1 list: each row's name -> its keys, as shown."""
    QTest.keyClick(window.canvas.viewer.viewport(), QtCore.Qt.Key_F1)
    table = window.help_dialog.findChild(QtWidgets.QTableWidget)
    rows = {table.item(r, 0).text(): table.item(r, 1).text().split(", ")
            for r in range(table.rowCount())}
    window.help_dialog.close()
    return rows


def test_every_action_shortcut_and_widget_key_is_listed(window, qtbot):
    show_at(window)
    rows = listed(window)
    bound = [(a.property("help_text") or a.text().replace("&", ""), a.shortcuts())
             for a in window.findChildren(QtGui.QAction) if a.shortcuts()]
    bound += [(s.whatsThis() or s.objectName(), s.keys())
              for s in window.findChildren(QtGui.QShortcut)]
    assert len(bound) > 30
    for name, sequences in bound:
        assert name in rows, name
        for sequence in sequences:
            assert sequence.toString(NATIVE) in rows[name], (name, sequence.toString())
    for keys in Keys.every:
        assert rows.get(keys.what) == [QtGui.QKeySequence(s).toString(NATIVE)
                                       for s in keys.sequences], keys.what
    assert rows[nudge.NUDGE.what] == ["Left", "Right", "Up", "Down"]
    assert rows[nudge.NUDGE_FAR.what] == ["Shift+Left", "Shift+Right", "Shift+Up", "Shift+Down"]


def test_the_nudge_entries_are_the_keys_that_move_the_selection():
    """The listed arrow keys, and only they, move a selection, by the step the list names."""
    for keys, step in ((nudge.NUDGE, nudge.STEP), (nudge.NUDGE_FAR, nudge.SHIFT_STEP)):
        assert f"{step:g} px" in keys.what
        for text in keys.sequences:
            combo = QtGui.QKeySequence(text)[0]
            event = QtGui.QKeyEvent(QtCore.QEvent.KeyPress, combo.key(),
                                    combo.keyboardModifiers())
            assert max(map(abs, nudge.nudge_delta(event))) == step, text
    for held in (QtCore.Qt.ControlModifier, QtCore.Qt.AltModifier, QtCore.Qt.MetaModifier):
        event = QtGui.QKeyEvent(QtCore.QEvent.KeyPress, QtCore.Qt.Key_Left, held)
        assert nudge.nudge_delta(event) is None


def key_handlers() -> set[str]:
    """"file:Class" of every class under app/ that defines a key handler, or an event filter
    whose body looks at key presses."""
    found = set()
    for path in APP.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            for fn in (n for n in cls.body if isinstance(n, ast.FunctionDef)):
                looks = fn.name in FILTERS and "KeyPress" in ast.unparse(fn)
                if fn.name in KEY_METHODS or looks:
                    found.add(f"{path.relative_to(APP).as_posix()}:{cls.name}")
    return found


def test_every_key_handler_reads_its_keys_from_a_listed_entry():
    assert key_handlers() == set(HANDLERS)
    for handler, entries in HANDLERS.items():
        assert all(entry in Keys.every for entry in entries), handler


def test_a_second_entry_of_a_name_is_refused():
    with pytest.raises(ValueError, match="Two key entries"):
        Keys(nudge.NUDGE.what, ("F12",))
    assert Keys.every.count(nudge.NUDGE) == 1
