"""Where a long model's columns end: between blocks, not inside one. A cut inside a residual,
inception or dense block leaves its skip and its main path (or its branches) to climb into
the next column side by side; a cut between blocks wraps one tensor. Judged on the picture:
columns are read from the positions (a layer that stands higher than the one before it
begins a new column) and, at each cut, the tensors whose wires run on into a later column
are counted."""

from __future__ import annotations

import importlib.resources

import pytest

from kerascanvas.graph.commands import UndoStack
from kerascanvas.graph.document import Document
from kerascanvas.graph.fixes import expand_block
from kerascanvas.graph.layout import estimated_size, layered_layout, layers_of
from kerascanvas.graph.projectfile import load

from .test_layout import chain_of_blocks, expanded_blocks

EXAMPLES = importlib.resources.files("kerascanvas.resources") / "examples"
ASPECTS = [1.0, 1.4, 2.0, 2.5, 3.0, 4.0]


def column_of(doc: Document, pos) -> dict[str, int]:
    """Node -> the index of the column it is drawn in (as the picture shows: its layer's
    top above the one of the layer before it starts the next column)."""
    layer = layers_of(doc)
    top: dict[int, float] = {}
    for node_id, index in layer.items():
        top[index] = min(top.get(index, pos[node_id][1]), pos[node_id][1])
    column, at, last = {}, 0, None
    for index in sorted(top):
        at += last is not None and top[index] < last
        column[index], last = at, top[index]
    return {node_id: column[index] for node_id, index in layer.items()}


def cuts_inside_blocks(doc: Document, pos) -> tuple[int, list[list[str]]]:
    """(number of cuts, the names of the tensors that wrap at each cut where several do)."""
    column = column_of(doc, pos)
    cuts = max(column.values(), default=0)
    inside = []
    for cut in range(cuts):
        wrapping = {e.src for e in doc.edges if column[e.src] <= cut < column[e.dst]}
        if len(wrapping) > 1:
            inside.append(sorted(doc.nodes[n].name for n in wrapping))
    return cuts, inside


def expanded_example(name: str) -> Document:
    doc = load(EXAMPLES / f"{name}.json")
    for node_id in [n for n, node in doc.nodes.items() if node.spec.is_block]:
        expand_block(doc, node_id, UndoStack())
    return doc


def drawn_size(node) -> tuple[float, float]:
    """About the size the canvas draws a node at: less tall than `estimated_size`, and
    narrower for a long name, so rows stand closer and columns differ."""
    return (max(150.0, 7.4 * len(node.name) + 30.0), 41.8)


MODELS = {
    "small_resnet": lambda: expanded_example("small_resnet"),
    "densenet_small": lambda: expanded_example("densenet_small"),
    "inception_net": lambda: expanded_example("inception_net"),
    "chain_of_40_blocks": lambda: chain_of_blocks(40),
    "bottlenecks": lambda: expanded_blocks("BottleneckBlock", 8, True),
}


@pytest.mark.parametrize("aspect", ASPECTS)
@pytest.mark.parametrize("sized", ["estimated", "drawn"])
@pytest.mark.parametrize("model", sorted(MODELS))
def test_no_column_ends_inside_a_block(model, sized, aspect):
    """At every view aspect (3.0: a wide window), each cut wraps one tensor: the expanded
    small_resnet in a 2.5-wide view was cut inside res2 (res2_add at the top of a column,
    its skip and res2_bn2's output climbing to it) for a picture 13% larger."""
    doc = MODELS[model]()
    size = {n: (drawn_size if sized == "drawn" else
                lambda node: estimated_size(node.name))(node) for n, node in doc.nodes.items()}
    cuts, inside = cuts_inside_blocks(doc, layered_layout(doc, "TB", size, aspect=aspect))
    assert inside == []
    if model != "inception_net":  # two inception blocks stand in one column
        assert cuts >= 1


def test_a_cut_inside_a_block_is_counted():
    """The count sees a block split: the chain of blocks with its first column ending at
    block_3_bn (its Add and its skip's source on either side of the cut)."""
    doc = chain_of_blocks(6)
    pos = layered_layout(doc, "TB", {n: (180.0, 70.0) for n in doc.nodes}, aspect=None)
    bn = doc.find("block_3_bn").id
    cut_at = pos[bn][1] + 1.0
    moved = {n: ((x + 400.0, y - cut_at) if y > cut_at else (x, y)) for n, (x, y) in pos.items()}
    cuts, inside = cuts_inside_blocks(doc, moved)
    assert cuts == 1
    assert inside == [["block_2_out", "block_3_bn"]]
