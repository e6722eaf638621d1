"""A layered layout's columns keep room for the shape labels beside their wires: a label
right of a column's wire reached some 40 units past its nodes, across most of the 51-unit
gap to the next column, onto the arrows of the wires climbing there, and was hidden or lay
on another (`(None, 14, 14, 1024)` is 132 units wide). The labels' widths are estimated from
their texts, the shapes Keras gives each layer's output."""

from __future__ import annotations

import pytest

from kerascanvas.graph.layout import estimated_size, layered_layout
from kerascanvas.graph.layout_labels import LABEL_CHAR_WIDTH, label_widths
from kerascanvas.runtime.importer import import_model
from kerascanvas.runtime.keras_env import import_keras

from .test_layout import chain_of_blocks
from .test_layout_cuts import column_of

LABEL_OFFSET = 7.0  # the canvas puts a label this far beside its wire


def overreach(doc, pos, sizes, widths) -> list[str]:
    """The nodes whose wire's label (right of its wire, which leaves the node's middle)
    reaches past the left of the next column's nodes, or within an arrow's half width (7)
    of it, where a wire climbs to that column."""
    column = column_of(doc, pos)
    count = max(column.values()) + 1
    left = [min(pos[n][0] for n in doc.nodes if column[n] == k) for k in range(count)]
    sources = {e.src for e in doc.edges}
    return [doc.nodes[n].name for n in sources if column[n] + 1 < count
            and pos[n][0] + sizes[n][0] / 2 + LABEL_OFFSET + widths[n] + 7.0
            > left[column[n] + 1]]


def blocks(channels: int):
    doc = chain_of_blocks(40)
    doc.nodes[next(iter(doc.nodes))].params["shape"] = [14, 14, channels]
    for node in doc.nodes.values():
        if node.kind == "Conv2D":
            node.params["filters"] = channels
    return doc, {n: estimated_size(node.name) for n, node in doc.nodes.items()}


@pytest.mark.parametrize("aspect", [1.4, 2.7, 4.0])
@pytest.mark.parametrize("channels", [4, 1024])
def test_the_labels_beside_a_column_end_before_the_next_column(aspect, channels):
    doc, sizes = blocks(channels)
    widths = label_widths(doc)
    assert max(widths.values()) == LABEL_CHAR_WIDTH * len(f"(None, 14, 14, {channels})")
    pos = layered_layout(doc, "TB", sizes, aspect=aspect, labels=widths)
    assert max(column_of(doc, pos).values()) >= 1
    assert overreach(doc, pos, sizes, widths) == []


def test_the_layouts_fit_counts_the_labels():
    """With labels wider than the nodes, fewer columns fill a wide view best: the choice of
    columns reckons with the room the labels take. Without labels (a layout at estimated
    sizes, wider than drawn), the columns stand as close as the wires allow."""
    doc, sizes = blocks(1024)
    wide = dict.fromkeys(doc.nodes, 400.0)
    narrow = layered_layout(doc, "TB", sizes, aspect=2.7)
    roomy = layered_layout(doc, "TB", sizes, aspect=2.7, labels=wide)
    columns = [max(column_of(doc, pos).values()) + 1 for pos in (narrow, roomy)]
    assert columns[1] < columns[0]
    assert overreach(doc, roomy, sizes, wide) == []
    assert overreach(doc, narrow, sizes, wide) != []


def test_label_widths_are_estimated_from_the_shapes_keras_gives():
    model = import_keras().applications.MobileNetV2(weights=None)
    doc = import_model(model)
    widths = label_widths(doc)
    sources = {e.src for e in doc.edges}
    assert len(sources) > 100
    for layer in model.layers:
        node = doc.find(layer.name)
        if node is not None and node.id in sources:
            assert widths[node.id] == LABEL_CHAR_WIDTH * len(str(layer.output.shape)), layer.name
