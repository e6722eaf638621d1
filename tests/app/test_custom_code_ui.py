"""The code editor and the trust dialog of CustomLayer nodes, driven by real events.

The project's code writes a marker file when it runs: it must not run on open,
on validation or in the editor, and must run once the user trusts it. Keras
answers the shape requests (in this process here, instead of the worker process,
to keep the test short; tests/runtime/test_custom_layers.py runs the worker).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import keras
import pytest
from PySide6 import QtCore, QtWidgets
from PySide6.QtTest import QTest

from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.layers import custom
from kerascanvas.graph.projectfile import save
from kerascanvas.runtime import trust
from kerascanvas.runtime.custom_code import compute
from tests.app.gestures import click, node_point, show
from tests.app.training_fakes import FakeRun

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
    window.actions["trust_custom_code"].trigger()  # Edit > Trust Custom Code...
    dialog = window.trust_dialog
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
    panel = window.training_panel()  # training runs the code the window trusts, no other
    panel.controller.run_factory = FakeRun
    QTest.mouseClick(panel.start_button, LEFT)
    assert FakeRun.made[-1].extra["trusted_code"] == [custom.code_digest(node.params)]


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


CODE = Path(__file__).parents[1] / "runtime" / "data" / "custom_layers.py"


def user_layers():
    """The user's own module of layer classes (CustomDense is not registered with Keras)."""
    spec = importlib.util.spec_from_file_location("user_layers", CODE)
    user = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(user)
    return user


def click_trust_dialog(window, button: str) -> None:
    """Press a button of the (modal) trust dialog once it is up."""
    def press():
        dialog = window.trust_dialog
        target = dialog.trust_button if button == "trust" else \
            dialog.findChild(QtWidgets.QDialogButtonBox).button(
                QtWidgets.QDialogButtonBox.Cancel)
        QTest.mouseClick(target, LEFT)
    QtCore.QTimer.singleShot(200, press)


def import_with_code(make_window, qtbot, monkeypatch, model, answer: str):
    """File > Import Keras Model (Ctrl+Shift+I) on `model`, the code file being CODE, the
    trust dialog answered with `answer`."""
    window = show(make_window(), qtbot)
    monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileName",
                        staticmethod(lambda *args, **kwargs: (str(model), "")))
    window.ask_custom_code = lambda refs: str(CODE)
    click_trust_dialog(window, answer)
    QTest.keyClick(window.canvas.viewer, QtCore.Qt.Key_I,
                   QtCore.Qt.ControlModifier | QtCore.Qt.ShiftModifier)
    return window


def test_import_of_custom_layers_shows_their_code_and_stops_if_declined(
        make_window, qtbot, monkeypatch, tmp_path):
    model = tmp_path / "model.json"  # a model config naming an unregistered custom class
    model.write_text(json.dumps({"module": "keras", "class_name": "Functional", "config": {
        "layers": [{"module": None, "class_name": "CustomDense", "registered_name":
                    "CustomDense", "config": {"name": "hidden", "units": 4}}]}}))
    window = import_with_code(make_window, qtbot, monkeypatch, model, "cancel")
    dialog = window.trust_dialog
    assert [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())] == ["CustomDense"]
    assert "class CustomDense(keras.layers.Layer):" in dialog.tabs.widget(0).toPlainText()
    assert window.import_process is None  # declined: nothing started, nothing ran


@pytest.mark.slow  # two processes start Keras: the import, then the shape worker
def test_import_with_trusted_code_opens_a_valid_project(make_window, qtbot, monkeypatch,
                                                        tmp_path):
    user = user_layers()
    inputs = keras.Input((6,), name="x")
    original = keras.Model(inputs, user.CustomDense(3, name="hidden")(inputs))
    path = tmp_path / "model.keras"
    original.save(path)
    window = import_with_code(make_window, qtbot, monkeypatch, path, "trust")
    qtbot.waitUntil(lambda: window.import_process is None, timeout=240_000)
    node = window.doc.find("hidden")
    assert node.kind == "CustomLayer" and node.params["kwargs"] == {"units": 3}
    qtbot.waitUntil(lambda: window.analysis.valid, timeout=240_000)
    assert sum(window.analysis.total_params) == original.count_params()


def source_missing_project(tmp_path) -> str:
    """Input(4) -> Twice without source (as an import keeps it: registered name, config,
    recorded shapes) -> Dense(2)."""
    doc = Document()
    x = doc.add_node("Input", "x", {"shape": [4]})
    c = doc.add_node("CustomLayer", "twice", {
        "class_name": "Twice", "source": "", "package": "pkg", "kwargs": {"factor": 2},
        "output_shapes": [{"inputs": [[None, 4]], "outputs": [[None, 8]]}]})
    d = doc.add_node("Dense", "out", {"units": 2})
    doc.connect(Edge(x.id, 0, c.id, 0))
    doc.connect(Edge(c.id, 0, d.id, 0))
    doc.set_outputs([d.id])
    path = tmp_path / "missing.json"
    save(doc, path)
    return str(path)


def test_attach_source_fix_opens_the_editor_and_loads_the_class_from_a_file(
        make_window, qtbot, tmp_path):
    marker = tmp_path / "ran.txt"
    code = tmp_path / "layers.py"
    code.write_text("import keras\n\n\nclass Twice(keras.layers.Layer):\n"
                    f"    ran = open({str(marker)!r}, 'a').write('ran')\n\n"
                    "    def __init__(self, factor=2, **kwargs):\n"
                    "        super().__init__(**kwargs)\n        self.factor = factor\n\n"
                    "    def call(self, x):\n"
                    "        return keras.ops.concatenate([x] * self.factor, axis=-1)\n")
    window = show(make_window(source_missing_project(tmp_path)), qtbot)
    window.custom_shapes.solver_factory = in_process_solver
    qtbot.wait(50)
    (issue,) = window.analysis.issues
    assert issue.code == "custom_no_source" and "registered name pkg>Twice" in issue.message
    out = window.doc.find("out")
    assert window.analysis.results[out.id].input_shapes == [(None, 8)]  # Keras' record
    node = window.doc.find("twice")
    click(window, node_point(window, node.id))  # select it on the canvas, then Ctrl+.
    QTest.keyClick(window.canvas.viewer, QtCore.Qt.Key_Period, QtCore.Qt.ControlModifier)
    dialog = window.source_dialog
    qtbot.waitExposed(dialog)
    assert dialog.source() == ""  # no template: the model's own class is asked for
    dialog.choose_file = lambda: str(code)
    QTest.mouseClick(dialog.load_button, LEFT)
    assert dialog.problem.text() == "Defines class Twice."
    QTest.mouseClick(dialog.ok_button, LEFT)
    assert "class Twice(keras.layers.Layer):" in node.params["source"]
    qtbot.wait(50)
    assert issue_codes(window) == ["custom_untrusted"]  # attached: trust applies as before
    assert not marker.exists()
    window.undo()  # one undoable edit; the fix button on the issue's row does the same
    qtbot.wait(50)
    assert issue_codes(window) == ["custom_no_source"]
    (button,) = window.issues.fix_buttons(0)
    assert button.objectName() == "fix:attach_source"
    QTest.mouseClick(button, LEFT)
    qtbot.waitExposed(window.source_dialog)
    assert window.source_dialog is not dialog
    window.source_dialog.reject()
    assert not marker.exists()


@pytest.mark.slow  # the import process starts Keras
def test_import_without_source_opens_the_layer_with_its_issue(make_window, qtbot, monkeypatch,
                                                              tmp_path):
    user = user_layers()
    inputs = keras.Input((6,), name="x")
    hidden = user.CustomDense(3, name="hidden")(inputs)
    original = keras.Model(inputs, keras.layers.Dense(2, name="head")(hidden))
    path = tmp_path / "model.keras"
    original.save(path)
    window = show(make_window(), qtbot)
    monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileName",
                        staticmethod(lambda *args, **kwargs: (str(path), "")))
    window.ask_custom_code = lambda refs: ""  # the dialog's Import Without Source
    QTest.keyClick(window.canvas.viewer, QtCore.Qt.Key_I,
                   QtCore.Qt.ControlModifier | QtCore.Qt.ShiftModifier)
    qtbot.waitUntil(lambda: window.import_process is None, timeout=240_000)
    node = window.doc.find("hidden")
    assert node.kind == "CustomLayer" and node.params["source"] == ""
    qtbot.wait(50)
    (issue,) = window.analysis.issues
    assert issue.code == "custom_no_source" and "CustomDense" in issue.message
    head = window.doc.find("head")
    assert window.analysis.results[head.id].input_shapes == [tuple(hidden.shape)]


def test_attach_source_on_a_block_instance_edits_the_block_definition(make_window, qtbot,
                                                                       tmp_path):
    code = tmp_path / "layers.py"
    code.write_text("import keras\n\n\nclass Twice(keras.layers.Layer):\n"
                    "    def call(self, x):\n"
                    "        return keras.ops.concatenate([x, x], axis=-1)\n")
    doc = Document()
    x = doc.add_node("Input", "x", {"shape": [4]})
    block = doc.add_node("UserBlock", "twice_block", {"block": "tw"})
    doc.blocks["tw"] = {"nodes": [{"id": "n1", "kind": "CustomLayer", "name": "twice",
                                   "params": {"class_name": "Twice", "source": "",
                                              "package": "pkg"}}],
                        "edges": [], "inputs": [[{"node": "n1"}]], "output": {"node": "n1"}}
    doc.connect(Edge(x.id, 0, block.id, 0))
    doc.set_outputs([block.id])
    path = tmp_path / "block.json"
    save(doc, path)
    window = show(make_window(str(path)), qtbot)
    qtbot.wait(50)
    assert issue_codes(window) == ["custom_no_source"]
    (button,) = window.issues.fix_buttons(0)
    QTest.mouseClick(button, LEFT)
    dialog = window.source_dialog
    qtbot.waitExposed(dialog)
    dialog.choose_file = lambda: str(code)
    QTest.mouseClick(dialog.load_button, LEFT)
    QTest.mouseClick(dialog.ok_button, LEFT)
    inner = window.doc.blocks["tw"]["nodes"][0]["params"]
    assert "class Twice(keras.layers.Layer):" in inner["source"]
    qtbot.wait(50)
    assert issue_codes(window) == ["custom_untrusted"]  # one edit of the definition
    window.undo()
    qtbot.wait(50)
    assert window.doc.blocks["tw"]["nodes"][0]["params"]["source"] == ""


def test_a_layer_without_source_shows_its_ports_and_an_unknown_count(make_window, qtbot,
                                                                      tmp_path):
    """Two recorded outputs give two ports, the second usable as a model output from its
    context menu; with no weights known its count reads "? params", not 0."""
    from tests.app.gestures import port_point
    from tests.app.test_output_ports_ui import _right_click_and_choose

    doc = Document()
    x = doc.add_node("Input", "x", {"shape": [4]})
    c = doc.add_node("CustomLayer", "split", {
        "class_name": "Split", "source": "", "outputs": 2,
        "output_shapes": [{"inputs": [[None, 4]], "outputs": [[None, 3], [None, 1]]}]})
    d = doc.add_node("Dense", "out", {"units": 2})
    doc.connect(Edge(x.id, 0, c.id, 0))
    doc.connect(Edge(c.id, 1, d.id, 0))
    doc.set_outputs([d.id])
    save(doc, tmp_path / "split.json")
    window = show(make_window(str(tmp_path / "split.json")), qtbot)
    node = window.doc.find("split")
    item = window.canvas.views[node.id]
    assert len(item.outputs) == 2
    assert "? params" in item.subtitle
    assert "+ ? in 1 layer(s)" in window.params_label.text()
    _right_click_and_choose(window, port_point(window, node.id, "out", 1), "Model output")
    assert window.doc.outputs == [window.doc.find("out").id, f"{node.id}:1"]
    assert window.analysis.results[node.id].output_shapes == [(None, 3), (None, 1)]


def _click_fix_until(window, done) -> bool:
    """Click the first issue's fix button unless `done()`; the issues list is rebuilt when
    Keras' shapes arrive, so a button taken before that may already be gone."""
    if done():
        return True
    buttons = window.issues.fix_buttons(0)
    if buttons:
        QTest.mouseClick(buttons[0], LEFT)
    return done()


def test_the_outputs_fix_gives_a_port_per_tensor_keras_returns(make_window, qtbot, tmp_path):
    """Trusted code whose call() returns (y, aux): Keras' answer puts the issue on the
    node, and its fix button gives the node a second port on the canvas (one undo)."""
    source = ("import keras\n\n\nclass Pair(keras.layers.Layer):\n"
              "    def call(self, x):\n"
              "        return x, keras.ops.sum(x, axis=-1, keepdims=True)\n")
    doc = Document()
    x = doc.add_node("Input", "x", {"shape": [4]})
    c = doc.add_node("CustomLayer", "pair", {"class_name": "Pair", "source": source})
    doc.connect(Edge(x.id, 0, c.id, 0))
    doc.set_outputs([c.id])
    path = str(tmp_path / "pair.json")
    save(doc, path)
    window = show(make_window(path), qtbot)
    window.custom_shapes.solver_factory = in_process_solver
    trust.trust(path, window.doc)
    window.project.load(path)  # reopened: the store trusts this code at this path
    qtbot.waitUntil(lambda: issue_codes(window) == ["custom_outputs"], timeout=60_000)
    node = window.doc.find("pair")
    assert len(window.canvas.views[node.id].outputs) == 1
    qtbot.waitUntil(lambda: _click_fix_until(window, lambda: node.params.get("outputs") == 2),
                    timeout=60_000)
    qtbot.waitUntil(lambda: window.analysis.valid, timeout=60_000)
    assert len(window.canvas.views[node.id].outputs) == 2
    inputs = keras.Input((4,))
    aux = keras.ops.sum(inputs, axis=-1, keepdims=True)
    assert window.analysis.results[node.id].output_shapes == [(None, 4), tuple(aux.shape)]
