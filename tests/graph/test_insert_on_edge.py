"""A layer put on a wire starts as a dropped one does: required params at their initial
values, so it carries no 'needs a value' error (Dropout spliced onto a wire had no rate)."""

from __future__ import annotations

import pytest

from kerascanvas.graph.commands import UndoStack
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.fixes import insert_on_edge
from kerascanvas.graph.placement import NODE_SIZE, overlaps, rect_of
from kerascanvas.graph.spec import LAYER_SPECS
from kerascanvas.graph.validate import analyze

SPLICEABLE = sorted(k for k, s in LAYER_SPECS.items()
                    if s.min_inputs <= 1 and s.max_inputs != 0 and not s.is_block)


def _chain() -> tuple[Document, Edge]:
    doc = Document()
    x = doc.add_node("Input", name="x", params={"shape": [8, 8, 3]})
    y = doc.add_node("Flatten", name="y")
    edge = Edge(x.id, 0, y.id, 0)
    doc.connect(edge)
    doc.outputs = [y.id]
    return doc, edge


@pytest.mark.parametrize("kind", SPLICEABLE)
def test_a_spliced_layer_gets_the_initial_values_of_its_required_params(kind):
    doc, edge = _chain()
    stack = UndoStack()
    node_id = insert_on_edge(doc, stack, edge, kind)
    node = doc.nodes[node_id]
    assert node.params == LAYER_SPECS[kind].initial_params()
    missing = [i for i in analyze(doc).issues if i.node == node_id and i.code == "missing_param"]
    assert not missing, missing


def test_given_params_win_over_the_initial_ones():
    doc, edge = _chain()
    node_id = insert_on_edge(doc, UndoStack(), edge, "Dropout", {"rate": 0.1})
    assert doc.nodes[node_id].params["rate"] == 0.1


# Two columns, as a top-to-bottom layout wraps a long chain: the wire relu -> pool runs
# from the bottom of the first column to the top of the second.
COLUMNS = (("Input", "x", (0, 0)), ("Conv2D", "conv", (0, 150)), ("ReLU", "relu", (0, 450)),
           ("MaxPooling2D", "pool", (300, 0)), ("Flatten", "flat", (300, 150)),
           ("Dense", "head", (300, 300)))


def _columns() -> Document:
    doc = Document()
    ids = [doc.add_node(kind, name).id for kind, name, _ in COLUMNS]
    for node_id, (*_, pos) in zip(ids, COLUMNS, strict=True):
        doc.set_position(node_id, pos)
    for src, dst in zip(ids, ids[1:], strict=False):
        doc.connect(Edge(src, 0, dst, 0))
    return doc


def _by_name(doc: Document, name: str) -> str:
    return doc.find(name).id


def _centre(doc: Document, node_id: str) -> tuple[float, float]:
    x, y = doc.position(node_id)
    return x + NODE_SIZE[0] / 2, y + NODE_SIZE[1] / 2


def _covering(doc: Document) -> list[tuple[str, str]]:
    rects = {n.name: rect_of(doc.position(i), NODE_SIZE) for i, n in doc.nodes.items()}
    return [(a, b) for a in rects for b in rects if a < b and overlaps(rects[a], rects[b])]


@pytest.mark.parametrize("kind", ["ResidualBlock", "BatchNormalization"])
def test_a_node_dropped_on_a_wire_to_the_next_column_lands_at_the_drop(kind):
    """A ResidualBlock dropped below relu, on its wire up to the next column, went midway
    between the columns, beside flatten and dense, their wire bent round it."""
    doc = _columns()
    relu, pool = _by_name(doc, "relu"), _by_name(doc, "pool")
    drop = (150.0, 600.0)  # on the wire's way from relu round to the next column
    node_id = insert_on_edge(doc, UndoStack(), Edge(relu, 0, pool, 0), kind, at=drop)
    assert _centre(doc, node_id) == pytest.approx(drop)
    assert _covering(doc) == []


@pytest.mark.parametrize("drop_y", [290.0, 380.0])
def test_a_node_dropped_on_a_long_wire_lands_where_it_was_dropped(drop_y):
    doc = _columns()
    conv, relu = _by_name(doc, "conv"), _by_name(doc, "relu")
    node_id = insert_on_edge(doc, UndoStack(), Edge(conv, 0, relu, 0), "Dropout",
                             at=(75.0, drop_y))
    assert _centre(doc, node_id)[1] == pytest.approx(drop_y)
    assert _centre(doc, node_id)[0] == pytest.approx(_centre(doc, conv)[0])  # on the line
    assert _covering(doc) == []


def test_a_drop_next_to_a_node_keeps_it_clear_of_the_neighbours():
    doc = _columns()
    conv, relu = _by_name(doc, "conv"), _by_name(doc, "relu")
    node_id = insert_on_edge(doc, UndoStack(), Edge(conv, 0, relu, 0), "Dropout",
                             at=(75.0, 200.0))  # just under conv: the node keeps a gap
    y = doc.position(node_id)[1]
    assert doc.position(conv)[1] + NODE_SIZE[1] < y < y + NODE_SIZE[1] < doc.position(relu)[1]
