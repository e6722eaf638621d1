"""The code editor and the trust dialog of CustomLayer nodes, driven by real events.

The project's code writes a marker file when it runs: it must not run on open,
on validation or in the editor, and must run once the user trusts it. Keras
answers the shape requests (in this process here, instead of the worker process,
to keep the test short; tests/runtime/test_custom_layers.py runs the worker).
"""

from __future__ import annotations

import keras
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.projectfile import save
from kerascanvas.runtime import trust
from kerascanvas.runtime.custom_code import compute
from tests.app.gestures import click, node_point, show

LEFT = QtCore.Qt.LeftButton


def project_file(tmp_path) -> tuple[str, str]:
    marker = tmp_path / "ran.txt"
    source = (f"import keras\nopen({str(marker)!r}, 'a').write('ran')\n\n\n"
              "class Twice(keras.layers.Layer):\n    def call(self, x):\n"
              "        return keras.ops.concatenate([x, x], axis=-1)\n")
    doc = Document()
    x = doc.add_node("Input", "x", {"shape": [4]})
    c = doc.add_node("CustomLayer", "twice", {"class_name": "Twice", "source": source})
    d = doc.add_node("Dense", "out", {"units": 2})
    doc.connect(Edge(x.id, 0, c.id, 0))
    doc.connect(Edge(c.id, 0, d.id, 0))
    doc.set_outputs([d.id])
    path = tmp_path / "custom.json"
    save(doc, path)
    return str(path), marker


def in_process_solver():
    return lambda requests: {key: compute(r) for key, r in requests.items()}


def issue_codes(window) -> list[str]:
    return [i.code for i in window.analysis.issues]


def test_trust_dialog_shows_the_code_and_only_then_it_runs(make_window, qtbot, tmp_path):
    path, marker = project_file(tmp_path)
    window = show(make_window(path), qtbot)
    window.custom_shapes.solver_factory = in_process_solver
    qtbot.wait(50)
    assert issue_codes(window) == ["custom_untrusted"]
    assert not marker.exists()  # opened and validated: nothing ran
    dialog = window.trust_custom_code()
    qtbot.waitExposed(dialog)
    shown = dialog.tabs.widget(0).toPlainText()
    assert dialog.tabs.tabText(0) == "Twice" and "open(" in shown  # the side effect is shown
    QTest.mouseClick(dialog.trust_button, LEFT)
    assert trust.is_trusted(path, window.doc)  # kept outside the project file
    node = window.doc.find("twice")
    qtbot.waitUntil(lambda: window.analysis.results[node.id].ok, timeout=60_000)
    assert marker.exists()
    inputs = keras.Input((4,))
    expected = keras.ops.concatenate([inputs, inputs], axis=-1).shape
    assert window.analysis.results[node.id].output_shapes == [tuple(expected)]
    assert window.analysis.valid


def test_code_editor_edits_the_source_and_edited_code_asks_again(make_window, qtbot, tmp_path):
    path, marker = project_file(tmp_path)
    window = show(make_window(path), qtbot)
    window.custom_shapes.solver_factory = in_process_solver
    node = window.doc.find("twice")
    trust.trust(path, window.doc)
    window.project.load(path)  # reopened: the store trusts this code at this path
    qtbot.waitUntil(lambda: window.analysis.results[node.id].ok, timeout=60_000)
    click(window, node_point(window, node.id))
    button = window.properties.findChild(QtWidgets.QPushButton, "edit_code")
    QTest.mouseClick(button, LEFT)
    dialog = window.properties.editors["source"][1].dialog
    qtbot.waitExposed(dialog)
    edit = dialog.edit
    QTest.keyClick(edit, QtCore.Qt.Key_A, QtCore.Qt.ControlModifier)
    QTest.keyClicks(edit, "import keras")
    QTest.keyClick(edit, QtCore.Qt.Key_Return)
    QTest.keyClicks(edit, "class Twice(keras.layers.Layer):")
    assert "does not parse" in dialog.problem.text()  # checked as you type, not run
    QTest.keyClick(edit, QtCore.Qt.Key_Return)
    QTest.keyClick(edit, QtCore.Qt.Key_Tab)
    QTest.keyClicks(edit, "pass")
    assert dialog.problem.text() == "Defines class Twice."
    QTest.mouseClick(dialog.ok_button, LEFT)
    source = window.doc.find("twice").params["source"]
    assert source == "import keras\nclass Twice(keras.layers.Layer):\n    pass"
    qtbot.wait(50)
    assert issue_codes(window) == ["custom_untrusted"]  # new code: trust is asked again
    window.undo()
    qtbot.waitUntil(lambda: window.analysis.valid, timeout=60_000)
