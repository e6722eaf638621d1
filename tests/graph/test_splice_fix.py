"""A layer added beside a chain (wired from a node that feeds the next one already) gets
the fix that puts it into the chain: `graph.splice_fix`."""

from __future__ import annotations

import pytest

from kerascanvas.graph.commands import UndoStack
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.errors import DocumentError
from kerascanvas.graph.fixes import apply_fix, fix_label
from kerascanvas.graph.placement import NODE_SIZE, overlaps, rect_of
from kerascanvas.graph.validate import analyze

SPLICE = "splice_into_wire"


def chain() -> Document:
    """image -> conv -> pool -> flatten -> digit, one column, 120 units apart."""
    doc = Document()
    specs = [("Input", "image", {"shape": [8, 8, 1]}),
             ("Conv2D", "conv", {"filters": 4, "kernel_size": 3}),
             ("MaxPooling2D", "pool", {}), ("Flatten", "flatten", {}),
             ("Dense", "digit", {"units": 10, "activation": "softmax"})]
    nodes = [doc.add_node(kind, name, params=params) for kind, name, params in specs]
    for i, (a, b) in enumerate(zip(nodes, nodes[1:], strict=False)):
        doc.connect(Edge(a.id, 0, b.id, 0))
        doc.set_position(a.id, (0.0, 120.0 * i))
    doc.set_position(nodes[-1].id, (0.0, 480.0))
    doc.outputs = [nodes[-1].id]
    return doc


def beside(doc: Document, kind: str, after: str = "pool", params=None) -> str:
    node = doc.add_node(kind, params=params or {})
    src = doc.find(after)
    doc.connect(Edge(src.id, 0, node.id, 0))
    x, y = doc.position(src.id)
    doc.set_position(node.id, (x + 250.0, y + 60.0))
    return node.id


def unused(doc: Document, node_id: str):
    return next(i for i in analyze(doc).issues if i.node == node_id
                and i.code == "unused_node")


def wires(doc: Document) -> set[tuple[str, str]]:
    return {(doc.nodes[e.src].name, doc.nodes[e.dst].name) for e in doc.edges}


@pytest.mark.parametrize("kind, params", [
    ("Dropout", {"rate": 0.25}), ("BatchNormalization", {}), ("Activation", {
        "activation": "relu"}), ("GaussianNoise", {"stddev": 0.1}), ("SpatialDropout2D", {
            "rate": 0.2}), ("LayerNormalization", {})])
def test_a_layer_beside_a_chain_goes_into_it_in_one_step(kind, params):
    doc, stack = chain(), UndoStack()
    nid = beside(doc, kind, params=params)
    name = doc.nodes[nid].name
    before_edges, before_pos = set(doc.edges), {n: doc.position(n) for n in doc.nodes}
    issue = unused(doc, nid)
    assert issue.fixes[0] == SPLICE and "remove_node" in issue.fixes
    assert fix_label(SPLICE, issue, doc) == "Insert between pool and flatten"
    apply_fix(doc, issue, SPLICE, stack)
    assert ("pool", name) in wires(doc) and (name, "flatten") in wires(doc)
    assert ("pool", "flatten") not in wires(doc)
    result = analyze(doc)
    assert result.valid and not [i for i in result.issues if i.code == "unused_node"]
    # placed in the column between pool and flatten, on no other node
    pool_y, flat_y = doc.position(doc.find("pool").id)[1], doc.position(doc.find("flatten").id)[1]
    x, y = doc.position(nid)
    assert x == 0.0 and pool_y < y < flat_y
    mine = rect_of((x, y), NODE_SIZE)
    assert not any(overlaps(mine, rect_of(doc.position(n), NODE_SIZE)) for n in doc.nodes
                   if n != nid)
    stack.undo()
    assert set(doc.edges) == before_edges
    assert {n: doc.position(n) for n in doc.nodes} == before_pos


def test_the_label_names_the_layers_as_they_are_now():
    doc = chain()
    issue = unused(doc, beside(doc, "Dropout", params={"rate": 0.5}))
    doc.rename(doc.find("flatten").id, "to_vector")
    assert fix_label(SPLICE, issue, doc) == "Insert between pool and to_vector"
    assert fix_label(SPLICE, issue) == "Insert between pool and flatten"


@pytest.mark.parametrize("case", ["changes_shape", "fork", "end_of_chain", "two_inputs",
                                  "feeds_something"])
def test_no_splice_where_it_would_change_what_follows_or_is_ambiguous(case):
    doc = chain()
    if case == "changes_shape":  # a Dense would give flatten another shape
        nid = beside(doc, "Conv2D", params={"filters": 8, "kernel_size": 1})
    elif case == "fork":  # pool feeds flatten and another branch: which wire?
        beside(doc, "Flatten")
        nid = beside(doc, "Dropout", params={"rate": 0.5})
    elif case == "end_of_chain":  # after the output: the output moves instead
        nid = beside(doc, "Dropout", after="digit", params={"rate": 0.5})
    elif case == "two_inputs":
        nid = beside(doc, "Add")
        doc.connect(Edge(doc.find("pool").id, 0, nid, 1))
    else:  # it feeds a layer of its own already: not a stray end
        nid = beside(doc, "Dropout", params={"rate": 0.5})
        tail = doc.add_node("Dropout", params={"rate": 0.5})
        doc.connect(Edge(nid, 0, tail.id, 0))
    issues = [i for i in analyze(doc).issues if i.node == nid and i.code == "unused_node"]
    assert issues and all(SPLICE not in i.fixes for i in issues)


def test_a_fix_whose_wire_is_gone_changes_nothing():
    doc, stack = chain(), UndoStack()
    nid = beside(doc, "Dropout", params={"rate": 0.5})
    issue = unused(doc, nid)
    pool, flatten = doc.find("pool").id, doc.find("flatten").id
    doc.disconnect(Edge(pool, 0, flatten, 0))
    doc.connect(Edge(doc.find("conv").id, 0, flatten, 0))  # not the same wire any more
    before = set(doc.edges)
    with pytest.raises(DocumentError, match="no longer sits beside one wire"):
        apply_fix(doc, issue, SPLICE, stack)
    assert set(doc.edges) == before


def test_a_stray_node_of_an_unknown_kind_is_reported_not_raised():
    """A hand-edited file's unknown kind beside the chain: the analysis said nothing and
    raised KeyError while looking for the wire to splice into."""
    doc = chain()
    nid = beside(doc, "Dropout", params={"rate": 0.5})
    doc.nodes[nid].kind = "NoSuchLayer"
    codes = {i.code for i in analyze(doc).issues if i.node == nid}
    assert codes == {"unknown_kind", "unused_node"}
