"""A new Application node is named as Keras names its architecture's model
(`keras.applications.MobileNetV2(weights=None).name`), unique in the graph: every one was
named "application", whatever its architecture."""

from __future__ import annotations

import pytest

from kerascanvas.graph.layers.application_table import ARCHITECTURES
from kerascanvas.graph.spec import APPLICATION
from kerascanvas.runtime.keras_env import import_keras


def added_name(window, palette_kind: str) -> str:
    window.palette.kind_activated.emit(palette_kind)
    return window.doc.nodes[window.canvas.selected_ids()[0]].name


@pytest.mark.parametrize("architecture", list(ARCHITECTURES))
def test_an_application_is_named_as_keras_names_its_model(window, architecture):
    keras = import_keras()
    expected = getattr(keras.applications, architecture)(weights=None).name
    assert added_name(window, f"{APPLICATION}:{architecture}") == expected
    window.canvas.select([])
    assert added_name(window, f"{APPLICATION}:{architecture}") == f"{expected}_1"


def test_the_plain_application_entry_is_named_after_its_initial_architecture(window):
    keras = import_keras()
    assert added_name(window, APPLICATION) == keras.applications.MobileNetV2(weights=None).name
