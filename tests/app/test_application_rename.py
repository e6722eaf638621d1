"""Changing an Application node's architecture in Properties renames the node where its
name is still the automatic one of the old architecture (as Keras would name the new
model, `keras.applications.ResNet50(weights=None).name`), in the same undo step; a name
the user gave stays. It kept `mobilenetv2_1.00_224` on a ResNet50."""

from __future__ import annotations

import pytest
from PySide6 import QtWidgets

from kerascanvas.graph import commands as cmd
from kerascanvas.graph.spec import APPLICATION
from kerascanvas.runtime.keras_env import import_keras

# (from, to): what each architecture's model is named, asked of Keras.
CHANGES = [("MobileNetV2", "ResNet50"), ("ResNet50", "EfficientNetV2B0"),
           ("EfficientNetV2B0", "MobileNetV3Small")]


def keras_name(architecture: str) -> str:
    return getattr(import_keras().applications, architecture)(weights=None).name


def placed(window, architecture: str):
    window.palette.kind_activated.emit(f"{APPLICATION}:{architecture}")
    node = window.doc.nodes[window.canvas.selected_ids()[0]]
    window.properties.show_node(node.id)
    return node


def pick(window, param: str, value: str) -> None:
    """Pick `value` in the param's list, as a click on the entry does."""
    combo = window.properties.editors[param][1].combo
    index = combo.findData(value)
    combo.setCurrentIndex(index)
    combo.activated.emit(index)
    QtWidgets.QApplication.processEvents()


@pytest.mark.parametrize(("old", "new"), CHANGES)
def test_the_automatic_name_follows_the_architecture_in_one_undo_step(window, old, new):
    node = placed(window, old)
    assert node.name == keras_name(old)
    pick(window, "architecture", new)
    assert (node.params["architecture"], node.name) == (new, keras_name(new))
    assert window.properties.name_edit.text() == keras_name(new)
    window.stack.undo()
    assert (node.params["architecture"], node.name) == (old, keras_name(old))
    window.stack.redo()
    assert node.name == keras_name(new)


def test_a_taken_name_is_numbered_and_a_given_name_stays(window):
    window.palette.kind_activated.emit(f"{APPLICATION}:ResNet50")
    window.canvas.select([])
    second = placed(window, "MobileNetV2")
    pick(window, "architecture", "ResNet50")
    assert second.name == f"{keras_name('ResNet50')}_1"
    window.stack.push(cmd.Rename(window.doc, second.id, "backbone"))
    pick(window, "architecture", "VGG16")
    assert (second.params["architecture"], second.name) == ("VGG16", "backbone")


def test_an_older_projects_application_name_follows_too(window):
    """Before Application nodes were named after their architecture, each was
    'application': that name is the automatic one too."""
    node = placed(window, "MobileNetV2")
    window.stack.push(cmd.Rename(window.doc, node.id, "application"))
    pick(window, "pooling", "avg")  # another param: the name stays
    assert (node.params["pooling"], node.name) == ("avg", "application")
    pick(window, "architecture", "VGG16")
    assert node.name == keras_name("VGG16")
