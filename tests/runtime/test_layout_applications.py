"""Models imported from keras.applications (no weights) laid out in columns at several view
aspects, wide ones too: no column ends inside a residual, inception or dense block (each
cut wraps one tensor; `tests.graph.test_layout_cuts` reads the columns off the picture)."""

from __future__ import annotations

import pytest

from kerascanvas.graph.layout import estimated_size, layered_layout
from kerascanvas.runtime.importer import import_model
from kerascanvas.runtime.keras_env import import_keras
from tests.graph.test_layout_cuts import cuts_inside_blocks

APPS = ["ResNet50", "ResNet50V2", "MobileNetV2", "DenseNet121", "InceptionV3", "Xception",
        "EfficientNetB0", "InceptionResNetV2"]
ASPECTS = [1.0, 1.4, 2.0, 2.5, 3.0, 4.0]


@pytest.mark.slow
@pytest.mark.parametrize("name", APPS)
def test_no_column_of_an_imported_model_ends_inside_a_block(name):
    doc = import_model(getattr(import_keras().applications, name)(weights=None))
    size = {n: estimated_size(node.name) for n, node in doc.nodes.items()}
    for aspect in ASPECTS:
        cuts, inside = cuts_inside_blocks(doc, layered_layout(doc, "TB", size, aspect=aspect))
        assert cuts >= 2 and inside == [], (aspect, inside)
