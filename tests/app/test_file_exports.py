"""File > Export Picture and Export Model, and how generic and shared nodes are labelled."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from PySide6 import QtCore

from kerascanvas.app.window.exports import UNTRAINED_NOTE
from kerascanvas.graph import commands as cmd
from kerascanvas.graph.inference import Issue

from .conftest import two_inputs_added

EXAMPLES = Path(__file__).parents[2] / "resources" / "examples"


def test_export_picture_writes_png_and_svg(window, tmp_path):
    assert window.open_path(str(EXAMPLES / "mnist_cnn.json"), ask=False)
    png, svg = tmp_path / "g.png", tmp_path / "g.svg"
    assert window.export_picture_to(str(png)) and window.export_picture_to(str(svg))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    text = svg.read_text()
    for node in window.doc.nodes.values():
        assert node.name in text
    assert not window.export_picture_to(str(tmp_path / "g.bmp"))  # refused, app goes on
    assert "bmp" in window.last_error


@pytest.mark.slow  # 6-8 s of the default run (13.6 min of 15): run with -m slow
def test_export_model_runs_in_another_process(window, qtbot, tmp_path):
    assert window.open_path(str(EXAMPLES / "mnist_mlp.json"), ask=False)
    out = tmp_path / "mlp.keras"
    process = window.export_model_to(str(out))
    not_running = QtCore.QProcess.ProcessState.NotRunning
    qtbot.waitUntil(lambda: process.state() == not_running, timeout=180_000)
    assert process.exitCode() == 0, bytes(process.readAll()).decode()
    config = json.loads(zipfile.ZipFile(out).read("config.json"))
    assert config["compile_config"]["loss"] == window.doc.training["loss"]  # ready to fit
    # The window reports the result once the process is done (and removed its temp file).
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() ==
                    f"Exported {out} {UNTRAINED_NOTE}",
                    timeout=10_000)


def test_generic_and_shared_nodes_say_what_they_are(window):
    doc, stack = window.doc, window.stack
    x = stack.push(cmd.AddNode(doc, "Input", params={"shape": [8]}))
    dense = stack.push(cmd.AddNode(doc, "Dense", name="proj", params={"units": 4}))
    call = stack.push(cmd.AddNode(doc, "SharedCall", params={"layer": dense.id}))
    generic = stack.push(cmd.AddNode(doc, "KerasLayer", params={
        "class_name": "Identity", "config": {}, "output_shapes": [], "count": [0, 0]}))
    window.canvas.renderer.render()
    views = window.canvas.views
    assert views[call.id].subtitle.startswith("shares proj")
    assert views[generic.id].subtitle.startswith("generic Identity")
    assert views[x.id].subtitle.startswith("Input")


def test_data_issues_from_a_refused_run_appear_in_the_issues_list(window, qtbot):
    assert window.open_path(str(EXAMPLES / "mnist_cnn.json"), ask=False)
    image = next(n for n in window.doc.nodes.values() if n.kind == "Input")
    panel = window.training_panel()
    panel.controller.data_issues_found.emit([Issue(
        image.id, None, "error", "expected samples of shape (28, 28, 1), received (8, 8, 1)",
        "data_shape")])
    rows = [window.issues.topLevelItem(i) for i in range(window.issues.topLevelItemCount())]
    assert any(r.text(1) == image.name and "(8, 8, 1)" in r.text(2) for r in rows)


def test_exports_suggest_the_projects_name(make_window, qtbot, tmp_path, monkeypatch):
    """Every export suggested model.py / model.keras / model.png, whatever the project."""
    import shutil

    from PySide6 import QtWidgets
    from PySide6.QtTest import QTest

    project = tmp_path / "digits_cnn.json"
    shutil.copy(EXAMPLES / "digits_cnn.json", project)
    window = make_window(str(project))
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)  # shortcuts go to the active window
    suggested = []
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName",
                        lambda parent, title, path, filters: suggested.append(path) or ("", ""))
    monkeypatch.setattr(QtWidgets.QInputDialog, "getItem",
                        lambda *args: ("functional", True))
    ctrl, shift = QtCore.Qt.ControlModifier, QtCore.Qt.ShiftModifier
    QTest.keyClick(window, QtCore.Qt.Key_E, ctrl)
    QTest.keyClick(window, QtCore.Qt.Key_E, ctrl | shift)
    window.export_picture()
    assert suggested == [str(tmp_path / f"digits_cnn{suffix}")
                         for suffix in (".py", ".keras", ".png")]


def test_a_typed_suffix_of_another_offered_format_is_kept(window, tmp_path, monkeypatch):
    """Typing model.onnx (or g.svg) with the dialog's first filter still selected exported
    a Keras model named model.onnx.keras (a PNG named g.svg.png): the name says the format."""
    from PySide6 import QtWidgets

    answers = {"Export Model": (str(tmp_path / "digits.onnx"), "Keras model (*.keras)"),
               "Export Picture": (str(tmp_path / "g.svg"), "PNG image (*.png)")}
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName",
                        lambda parent, title, path, filters: answers[title.split(" (")[0]])
    exported = []
    monkeypatch.setattr(window, "export_model_to", lambda path, weights=None:
                        exported.append(path))
    monkeypatch.setattr(window, "export_picture_to", exported.append)
    window.export_model()
    window.export_picture()
    assert exported == [str(tmp_path / "digits.onnx"), str(tmp_path / "g.svg")]


def test_export_of_a_training_script_refuses_what_run_refuses(window, tmp_path):
    assert window.open_path(str(EXAMPLES / "mnist_mlp.json"), ask=False)
    window.doc.training["callbacks"] = [{"name": "early_stopping", "monitor": "val_top_k"}]
    out = tmp_path / "train.py"
    assert not window.export_python_to(str(out), "full training script")
    assert not out.exists()
    assert "training.callbacks[0].monitor: 'val_top_k'" in window.last_error
    assert window.export_python_to(str(out), "functional")  # the model alone is written


def test_exports_trust_the_custom_code_exactly_when_the_window_does(window, qtbot, tmp_path,
                                                                     monkeypatch):
    """File > Export Model and Results > Save trained model as ONNX start `kerascanvas
    export` on a temporary copy of the project, which no trust store knows: without
    --trust-custom-code, a project whose code the window trusts was refused (exit 4)."""
    from kerascanvas.app.training.records import RunRecord
    from kerascanvas.app.training.results import ResultsView
    from kerascanvas.graph.document import Document, Edge
    from kerascanvas.graph.layers import custom
    from kerascanvas.graph.projectfile import save
    from kerascanvas.runtime.events import FINISHED, Result

    doc = Document()
    x = doc.add_node("Input", "x", {"shape": [4]})
    c = doc.add_node("CustomLayer", "twice", {"class_name": "Twice", "source": (
        "import keras\n\n\nclass Twice(keras.layers.Layer):\n    def call(self, x):\n"
        "        return keras.ops.concatenate([x, x], axis=-1)\n")})
    doc.connect(Edge(x.id, 0, c.id, 0))
    doc.set_outputs([c.id])
    save(doc, tmp_path / "custom.json")
    window.custom_shapes.solver_factory = lambda: (lambda requests: {})  # no worker here
    assert window.open_path(str(tmp_path / "custom.json"), ask=False)
    started = []
    start = QtCore.QProcess.start

    def record(process, program, arguments):  # the arguments; a process that ends at once
        started.append(arguments)
        start(process, program, ["-c", ""])

    monkeypatch.setattr(QtCore.QProcess, "start", record)
    saved = tmp_path / "custom.runs" / "run_1.keras"
    run = RunRecord(1, {}, status="finished", saved_path=str(saved), folder=str(saved.parent))
    run.result = Result(FINISHED)
    view = ResultsView(lambda: window.doc)
    qtbot.addWidget(view)
    view.show_run(run)

    def export_both() -> list[bool]:
        started.clear()
        process = window.export_model_to(str(tmp_path / "m.onnx"))
        qtbot.waitUntil(lambda: process.state() == QtCore.QProcess.ProcessState.NotRunning)
        view.save_model(str(tmp_path / "run.onnx"))
        qtbot.waitUntil(lambda: view.export_process is None)
        return ["--trust-custom-code" in arguments for arguments in started]

    qtbot.wait(50)  # the stored trust is read after the load: none for this project
    assert export_both() == [False, False]
    window.trust_session_code(custom.code_digests(window.doc))  # Trust Custom Code... agreed
    assert export_both() == [True, True]


@pytest.mark.parametrize("style", ["sequential", "full training script"])
def test_export_python_refuses_a_style_before_asking_for_a_file(window, tmp_path, monkeypatch,
                                                                 style):
    """A style that cannot apply (Sequential of a two-input graph), or a script that run
    refuses, was refused only after the user had chosen a file name in the save dialog."""
    from PySide6 import QtWidgets

    doc = two_inputs_added()
    doc.training = {"callbacks": [{"name": "early_stopping", "monitor": "val_top_k"}]}
    window.project.replace(doc)
    asked = []
    monkeypatch.setattr(QtWidgets.QInputDialog, "getItem", lambda *args: (style, True))
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName",
                        lambda *args: asked.append(args) or (str(tmp_path / "m.py"), ""))
    window.export_python()
    assert asked == []
    assert not (tmp_path / "m.py").exists()
    assert ("Sequential model has one Input" if style == "sequential"
            else "training.callbacks[0].monitor") in window.last_error


def test_export_python_writes_the_chosen_style(window, tmp_path, monkeypatch):
    from PySide6 import QtWidgets

    from kerascanvas.codegen import generate

    assert window.open_path(str(EXAMPLES / "mnist_mlp.json"), ask=False)
    monkeypatch.setattr(QtWidgets.QInputDialog, "getItem", lambda *args: ("sequential", True))
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName",
                        lambda *args: (str(tmp_path / "m.py"), "Python (*.py)"))
    window.export_python()
    assert (tmp_path / "m.py").read_text() == generate(window.doc, style="sequential")


def test_export_python_to_a_folder_that_is_gone_says_so(window, tmp_path):
    assert window.open_path(str(EXAMPLES / "mnist_mlp.json"), ask=False)
    out = tmp_path / "gone" / "m.py"
    assert not window.export_python_to(str(out), "functional")
    assert f"Cannot write {out}" in window.last_error and not out.exists()


@pytest.mark.parametrize(("model_name", "stem"), [("func", "func"), ("resnet50_v2", "resnet50_v2"),
                                                  ("my model", "model"), ("", "model")])
def test_an_untitled_projects_exports_suggest_the_models_name(window, tmp_path, monkeypatch,
                                                               model_name, stem):
    """An imported model opens untitled: its exports suggested model.py / model.keras /
    model.png, not the model's own name (a name that is no plain file name still gives
    'model')."""
    from PySide6 import QtWidgets

    window.doc.model_name = model_name
    suggested = []
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName",
                        lambda parent, title, path, filters: suggested.append(path) or ("", ""))
    monkeypatch.setattr(QtWidgets.QInputDialog, "getItem", lambda *args: ("functional", True))
    assert window.open_path(str(EXAMPLES / "mnist_mlp.json"), ask=False)
    window.path = None  # as after an import: untitled
    window.doc.model_name = model_name
    window.export_python()
    window.export_model()
    window.export_picture()
    assert [Path(p).name for p in suggested] == [f"{stem}{s}" for s in (".py", ".keras", ".png")]


def test_export_model_does_not_suggest_the_file_the_weights_start_from(make_window, tmp_path,
                                                                         monkeypatch):
    """A model imported from m.keras and saved as m.json: Export Model suggested m.keras,
    the very file the project's initial weights are read from (Enter and Yes wrote the
    export over the user's model). It suggests m_export.keras; other exports keep m.*."""
    import shutil

    from PySide6 import QtWidgets

    project = tmp_path / "m.json"
    shutil.copy(EXAMPLES / "mnist_mlp.json", project)
    window = make_window(str(project))
    window.doc.weights = {"source": str(tmp_path / "m.keras"), "sha256": "0" * 64}
    suggested = []
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName",
                        lambda parent, title, path, filters: suggested.append(path) or ("", ""))
    window.export_model()
    window.export_picture()
    assert suggested == [str(tmp_path / "m_export.keras"), str(tmp_path / "m.png")]


@pytest.mark.slow  # another process trains, checks or exports: 5-8 s
def test_an_uncompiled_export_is_said_with_its_field(window, qtbot, tmp_path):
    """A `.keras` export compiles the model with the training settings; where it cannot
    (custom loss code the window does not trust), the file is written uncompiled and the
    window warns, naming the field. It said "Exported" alone, and the file could not
    evaluate or fit."""
    from kerascanvas.graph.projectfile import save

    assert window.open_path(str(EXAMPLES / "mnist_mlp.json"), ask=False)
    doc = window.doc
    doc.training = {**doc.training, "loss": "halved", "custom_code": (
        "import keras\n\ndef halved(y_true, y_pred):\n"
        "    return 0.5 * keras.losses.sparse_categorical_crossentropy(y_true, y_pred)\n")}
    save(doc, tmp_path / "coded.json")
    assert window.open_path(str(tmp_path / "coded.json"), ask=False)
    out = tmp_path / "coded.keras"
    process = window.export_model_to(str(out))
    qtbot.waitUntil(lambda: process.state() == QtCore.QProcess.ProcessState.NotRunning,
                    timeout=180_000)
    qtbot.waitUntil(lambda: (window.last_error or "").startswith(f"Exported {out}"),
                    timeout=10_000)
    assert "not compiled: training.custom_code: custom code not trusted" in window.last_error
    assert not json.loads(zipfile.ZipFile(out).read("config.json")).get("compile_config")


@pytest.mark.slow  # another process trains, checks or exports: 5-8 s
def test_an_export_reads_relative_data_beside_the_project(window, qtbot, tmp_path,
                                                           monkeypatch):
    """A cosine schedule is sized on the training data, which the export reads; the
    window exports a temporary copy of the project, so a relative data path must still
    name the file beside the project, not one beside the copy or in the current folder
    (it was written uncompiled: 'training.data ... could not be read')."""
    import numpy as np

    from kerascanvas.graph.projectfile import load, save

    home = tmp_path / "project"
    home.mkdir()
    rng = np.random.default_rng(0)
    np.save(home / "x.npy", rng.random((40, 784)).astype("float32"))
    np.save(home / "y.npy", rng.integers(0, 10, 40))
    doc = load(EXAMPLES / "mnist_mlp.json")
    doc.training = {**doc.training, "data": "x.npy,y.npy", "epochs": 2, "batch_size": 8,
                    "schedule": {"name": "cosine_decay"}}
    save(doc, home / "p.json")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert window.open_path(str(home / "p.json"), ask=False)
    out = tmp_path / "p.keras"
    process = window.export_model_to(str(out))
    qtbot.waitUntil(lambda: process.state() == QtCore.QProcess.ProcessState.NotRunning,
                    timeout=180_000)
    qtbot.waitUntil(lambda: (getattr(window, "last_error", None)
                             or window.statusBar().currentMessage()).startswith(
                                 f"Exported {out}"), timeout=10_000)
    assert "not compiled" not in (getattr(window, "last_error", None) or "")
    optimizer = json.loads(zipfile.ZipFile(out).read("config.json"))["compile_config"][
        "optimizer"]["config"]
    # 40 samples less the project's validation split, in batches of 8, for 2 epochs
    assert optimizer["learning_rate"]["class_name"] == "CosineDecay"
    assert optimizer["learning_rate"]["config"]["decay_steps"] > 0
