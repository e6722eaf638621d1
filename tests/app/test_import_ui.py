"""File > Import Keras Model, and Open / `kerascanvas open` on a Keras model file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from PySide6 import QtCore, QtGui, QtWidgets
from PySide6.QtTest import QTest

from .gestures import show

MODEL_JSON = Path(__file__).parent / "data" / "tiny_residual.json"
CTRL = QtCore.Qt.ControlModifier


def layer_names(path: Path) -> list[str]:
    """The layer names Keras wrote into the model JSON."""
    return [layer["config"]["name"] for layer in json.loads(path.read_text())["config"]["layers"]]


def answer_open_dialog(monkeypatch, path) -> None:
    monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileName",
                        staticmethod(lambda *args, **kwargs: (str(path), "")))


def record_messages(window) -> list[str]:
    messages: list[str] = []
    window.statusBar().messageChanged.connect(messages.append)
    return messages


@pytest.mark.slow  # Keras starts in the import process: 10 s idle, a minute on a busy machine
def test_import_menu_imports_in_another_process_and_opens_laid_out(make_window, qtbot,
                                                                   monkeypatch):
    window = show(make_window(), qtbot)
    answer_open_dialog(monkeypatch, MODEL_JSON)
    messages = record_messages(window)
    QTest.keyClick(window.canvas.viewer, QtCore.Qt.Key_I, CTRL | QtCore.Qt.ShiftModifier)
    process = window.import_process
    assert process is not None and process.program() == sys.executable
    qtbot.waitUntil(lambda: window.import_process is None, timeout=180_000)
    assert not getattr(window, "last_error", None)
    names = sorted(n.name for n in window.doc.nodes.values())
    assert names == sorted(layer_names(MODEL_JSON))
    assert any(m.startswith("Import: Starting Keras") for m in messages)
    assert window.windowTitle().startswith("tiny_residual (imported)")
    assert not window.stack.is_clean  # a new, unsaved project
    assert all(window.doc.position(n) is not None for n in window.doc.nodes)
    rects = [item.sceneBoundingRect() for item in window.canvas.views.values()]
    assert not any(a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1:])


def test_open_on_a_keras_file_offers_the_import_and_names_what_is_wrong(make_window, qtbot,
                                                                        monkeypatch, tmp_path):
    bad = tmp_path / "broken.keras"
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr("metadata.json", "{}")
    window = show(make_window(), qtbot)
    asked: list[str] = []
    window.ask_import = lambda path: asked.append(path) or True
    answer_open_dialog(monkeypatch, bad)
    QTest.keyClick(window.canvas.viewer, QtCore.Qt.Key_O, CTRL)
    assert asked == [str(bad)]
    qtbot.waitUntil(lambda: window.import_process is None, timeout=60_000)
    assert "broken.keras" in window.last_error and "no config.json" in window.last_error
    assert window.doc.nodes == {} and window.windowTitle().startswith("Untitled")


@pytest.mark.slow
def test_open_command_screenshots_an_imported_model(tmp_path):
    out = tmp_path / "shot.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-m", "kerascanvas.app", "open", str(MODEL_JSON),
                           "--screenshot", str(out), "--size", "1200x800"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    image = QtGui.QImage(str(out))
    assert (image.width(), image.height()) == (1200, 800)


def test_a_file_without_positions_opens_as_a_straight_column(make_window, qtbot, tmp_path):
    """What `kerascanvas import` writes: no positions, so the window lays the nodes out at
    the sizes it draws them (positions from sizes estimated from the names left nodes of
    one column off-centre, and their wires jogged)."""
    from kerascanvas.graph.document import Document, Edge
    from kerascanvas.graph.projectfile import save

    doc = Document()
    last = doc.add_node("Input", "image", {"shape": [32, 32, 3]})
    for kind, name, params in [("Conv2D", "stem", {"filters": 64, "kernel_size": 3}),
                               ("BatchNormalization", "stem_bn", {}),
                               ("ReLU", "stem_relu", {}),
                               ("GlobalAveragePooling2D", "pool", {}),
                               ("Dense", "classes", {"units": 10})]:
        node = doc.add_node(kind, name, params)
        doc.connect(Edge(last.id, 0, node.id, 0))
        last = node
    doc.set_outputs([last.id])
    path = tmp_path / "imported.json"
    save(doc, path)
    window = show(make_window(str(path)), qtbot)
    centres = {round(item.sceneBoundingRect().center().x())
               for item in window.canvas.views.values()}
    assert max(centres) - min(centres) <= 1, centres
    assert window.stack.is_clean  # laid out as opened, nothing to save
