"""Layered layout: edges point forward, the main path is straight, nothing overlaps."""

from __future__ import annotations

import pytest

from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.layout import layered_layout, layers_of, main_path

SIZE = (180.0, 70.0)


def residual_doc() -> Document:
    """input -> conv_a -> conv_b -> add(conv_b, input) -> dense, plus a side branch."""
    doc = Document()
    ids = {}
    for name, kind, params in [("x", "Input", {"shape": [8, 8, 3]}),
                               ("a", "Conv2D", {"filters": 3, "kernel_size": 3,
                                                "padding": "same"}),
                               ("b", "Conv2D", {"filters": 3, "kernel_size": 3,
                                                "padding": "same"}),
                               ("add", "Add", {}), ("side", "Flatten", {}),
                               ("out", "Flatten", {})]:
        ids[name] = doc.add_node(kind, name, params).id
    for src, dst, port in [("x", "a", 0), ("a", "b", 0), ("b", "add", 0), ("x", "add", 1),
                           ("add", "out", 0), ("x", "side", 0)]:
        doc.connect(Edge(ids[src], 0, ids[dst], port))
    doc.outputs = [ids["out"], ids["side"]]
    return doc


@pytest.mark.parametrize("direction", ["TB", "LR"])
def test_edges_point_forward_and_main_path_is_straight(direction):
    doc = residual_doc()
    pos = layered_layout(doc, direction, {n: SIZE for n in doc.nodes})
    assert set(pos) == set(doc.nodes)
    along = 1 if direction == "TB" else 0
    for e in doc.edges:
        assert pos[e.src][along] < pos[e.dst][along]
    path = main_path(doc, layers_of(doc))
    assert [doc.nodes[n].name for n in path] == ["x", "a", "b", "add", "out"]
    assert len({pos[n][1 - along] for n in path}) == 1


def test_nodes_in_a_layer_do_not_overlap():
    doc = residual_doc()
    pos = layered_layout(doc, "TB", {n: SIZE for n in doc.nodes}, gap=(40.0, 30.0))
    boxes = [(x, y, x + SIZE[0], y + SIZE[1]) for x, y in pos.values()]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


def test_unknown_direction_is_refused():
    with pytest.raises(ValueError, match="direction"):
        layered_layout(Document(), "BT")


def test_500_node_chain_gets_a_position_per_node():
    doc = Document()
    prev = doc.add_node("Input", params={"shape": [4]}).id
    for _ in range(499):
        node = doc.add_node("Dense", params={"units": 4}).id
        doc.connect(Edge(prev, 0, node, 0))
        prev = node
    pos = layered_layout(doc)
    assert len(pos) == 500
