"""After Auto Layout in a wide window, every shape label of a long model cut into columns
has room: each column keeps room on its right for the labels beside its wires, which ran
into the arrows of the wires climbing the gap to the next column. At 1600x560, ResNet50 had
10 labels hidden, MobileNetV2 9 (one pair on each other), VGG16 1 hidden and 1 pair. A
label may still be hidden where its shape shows on another wire of the same tensor or into
the same node. Models built in Keras (keras.applications, no weights) and imported."""

from __future__ import annotations

import pytest
from PySide6 import QtWidgets

from kerascanvas.app.canvas.labels import shown
from kerascanvas.app.canvas.node_style import node_fonts
from kerascanvas.graph.layout_labels import text_width
from kerascanvas.runtime.importer import import_model
from kerascanvas.runtime.keras_env import import_keras

from .gestures import saved, show
from .test_label_placement import label_faults, settle, wire_of

APPS = ["ResNet50", "DenseNet121", "MobileNetV2", "VGG16"]


def repeated(pipe) -> bool:
    """Whether the shape on `pipe` shows on another wire of the same tensor or into the
    same node (a label hidden as a repeat, not for lack of room)."""
    others = [*pipe.output_port.connected_pipes,
              *(p for port in pipe.input_port.node.inputs for p in port.connected_pipes)]
    return any(other is not pipe and shown(other) and other.label.text() == pipe.label.text()
               for other in others)


@pytest.mark.slow
@pytest.mark.parametrize("name", APPS)
def test_every_label_has_room_after_auto_layout_in_a_wide_window(make_window, qtbot,
                                                                  tmp_path, name):
    doc = import_model(getattr(import_keras().applications, name)(weights=None))
    window = make_window(saved(doc, tmp_path, f"{name}.json"))
    window.resize(1600, 560)
    show(window, qtbot)
    settle(window, qtbot)
    assert window.canvas.view_aspect() > 2.2  # a wide view: the model in several columns
    window.auto_layout()
    settle(window, qtbot)
    assert label_faults(window) == []
    pipes = [p for p in window.canvas.viewer.pipe_items() if p.label.text()]
    assert len(pipes) >= len(doc.edges) - 1
    assert [wire_of(p) for p in pipes if not shown(p) and not repeated(p)] == []


@pytest.mark.parametrize("text", ["(None, 14, 14, 1024)", "(None, 1000)", "?",
                                  "(None, None, 512)"])
def test_the_layouts_label_width_covers_the_label_drawn(qapp, text):
    item = QtWidgets.QGraphicsSimpleTextItem(text)
    item.setFont(node_fonts()["label"])
    assert item.boundingRect().width() <= text_width(text) <= item.boundingRect().width() + 2
