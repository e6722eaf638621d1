"""A CNN of stages (convolutions, then a pooling layer) is cut into columns between stages:
after a pooling layer, not inside a Keras block (VGG16's `block3_conv2 | block3_conv3` cut in
a 3.0-wide view, for a picture 17% larger than with each block in a column of its own).
Every cut here wraps one tensor, so `test_layout_cuts`' count of tensors does not see it:
the layer before each cut is read off the picture."""

from __future__ import annotations

import pytest

from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.layout import estimated_size, layered_layout, layers_of
from kerascanvas.runtime.importer import import_model
from kerascanvas.runtime.keras_env import import_keras

from .test_layout_cuts import ASPECTS, column_of, drawn_size


def last_before_cuts(doc: Document, pos) -> list[str]:
    """The name of the node in the layer before each cut (each layer here holds one)."""
    column, layer = column_of(doc, pos), layers_of(doc)
    by_layer = {index: node_id for node_id, index in layer.items()}
    return [doc.nodes[by_layer[i - 1]].name for i in sorted(by_layer)[1:]
            if column[by_layer[i]] != column[by_layer[i - 1]]]


def sizes(doc: Document, sized: str) -> dict[str, tuple[float, float]]:
    return {n: drawn_size(node) if sized == "drawn" else estimated_size(node.name)
            for n, node in doc.nodes.items()}


def plain_cnn(stages: int = 5, convs: int = 3) -> Document:
    """Input, then `stages` of `convs` Conv2D and a MaxPooling2D, named as Keras names layers
    added one by one (conv2d, conv2d_1, max_pooling2d: no name tells the stages apart),
    then Flatten and two Dense."""
    doc = Document()
    chain = [doc.add_node("Input", "input_layer", {"shape": [64, 64, 3]}).id]
    kinds = (["Conv2D"] * convs + ["MaxPooling2D"]) * stages + ["Flatten", "Dense", "Dense"]
    counts: dict[str, int] = {}
    for kind in kinds:
        base = {"Conv2D": "conv2d", "MaxPooling2D": "max_pooling2d"}.get(kind, kind.lower())
        seen = counts[kind] = counts.get(kind, -1) + 1
        params = {"filters": 8, "kernel_size": 3, "padding": "same"} if kind == "Conv2D" else \
            {"units": 10} if kind == "Dense" else {}
        node = doc.add_node(kind, f"{base}_{seen}" if seen else base, params)
        doc.connect(Edge(chain[-1], 0, node.id, 0))
        chain.append(node.id)
    doc.outputs = [chain[-1]]
    return doc


@pytest.fixture(scope="module")
def vgg16() -> Document:
    """keras.applications.VGG16 (no weights) imported, as File > Import makes it."""
    return import_model(import_keras().applications.VGG16(weights=None))


@pytest.mark.parametrize("aspect", ASPECTS)
@pytest.mark.parametrize("sized", ["estimated", "drawn"])
def test_vgg16_columns_end_after_a_blocks_pooling_layer(vgg16, sized, aspect):
    ends = last_before_cuts(vgg16, layered_layout(vgg16, "TB", sizes(vgg16, sized),
                                                  aspect=aspect))
    assert ends, "VGG16's 23 layers fit one column"
    assert all(vgg16.find(name).kind == "MaxPooling2D" and name.endswith("_pool")
               for name in ends), ends


def test_vgg16_in_a_wide_view_has_each_block_in_a_column_of_its_own(vgg16):
    """The case reported: at 3.0 with the sizes drawn, each of the five blocks (and the
    head) stands in a column."""
    ends = last_before_cuts(vgg16, layered_layout(vgg16, "TB", sizes(vgg16, "drawn"),
                                                  aspect=3.0))
    assert ends == [f"block{i}_pool" for i in range(1, 6)]


@pytest.mark.parametrize("aspect", ASPECTS)
@pytest.mark.parametrize("sized", ["estimated", "drawn"])
def test_a_cnn_named_layer_by_layer_is_cut_after_its_pooling_layers(sized, aspect):
    doc = plain_cnn()
    ends = last_before_cuts(doc, layered_layout(doc, "TB", sizes(doc, sized), aspect=aspect))
    assert ends
    assert all(doc.find(name).kind == "MaxPooling2D" for name in ends), ends
