"""Nodes inserted by a fix sit between their neighbours and overlap nothing."""

from __future__ import annotations

import pytest

from kerascanvas.graph.commands import UndoStack
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.fixes import apply_fix
from kerascanvas.graph.layout import layered_layout
from kerascanvas.graph.placement import (
    BENT_ROOM,
    GAP,
    NODE_SIZE,
    after,
    between,
    free_shift,
    free_spot,
)
from kerascanvas.graph.validate import analyze


def rect(doc, node_id):
    x, y = doc.position(node_id)
    return (x, y, x + NODE_SIZE[0], y + NODE_SIZE[1])


def overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def laid_out(doc, direction):
    for node_id, pos in layered_layout(doc, direction, aspect=None).items():  # one column
        doc.set_position(node_id, pos)
    return doc


def conv_on_vector():
    doc = Document()
    ids = [doc.add_node("Input", params={"shape": [784]}).id,
           doc.add_node("Conv2D", params={"filters": 4, "kernel_size": [3, 3]}).id,
           doc.add_node("Flatten").id, doc.add_node("Dense", params={"units": 10}).id]
    for a, b in zip(ids, ids[1:], strict=False):
        doc.connect(Edge(a, 0, b, 0))
    doc.outputs = [ids[-1]]
    return doc


def two_branches_into_concat():
    doc = Document()
    image = doc.add_node("Input", params={"shape": [8, 8, 3]}).id
    seq = doc.add_node("Input", params={"shape": [12, 16]}).id
    text = doc.add_node("Input", params={"shape": [5]}).id
    cat = doc.add_node("Concatenate").id
    for port, src in enumerate((image, seq, text)):
        doc.connect(Edge(src, 0, cat, port))
    doc.outputs = [cat]
    return doc


def branch_beside_shortcut():
    """x feeds d and an Add that d feeds too: the Add's projection goes on x -> add, whose
    place under x (centred on it) is d's."""
    doc = Document()
    x = doc.add_node("Input", params={"shape": [4]}).id
    d = doc.add_node("Dense", params={"units": 5}).id
    add = doc.add_node("Add").id
    out = doc.add_node("Dense", params={"units": 3}).id
    for edge in (Edge(x, 0, add, 1), Edge(x, 0, d, 0), Edge(d, 0, add, 0), Edge(d, 0, out, 0)):
        doc.connect(edge)
    doc.outputs = [out]
    return doc


@pytest.mark.parametrize("direction", ["TB", "LR"])
@pytest.mark.parametrize("make, code", [(conv_on_vector, "insert_reshape"),
                                        (two_branches_into_concat, "insert_flatten"),
                                        (branch_beside_shortcut, "insert_projection")])
def test_fix_inserts_between_neighbours_without_overlap(make, code, direction):
    doc = laid_out(make(), direction)
    issue = next(i for i in analyze(doc).issues if code in i.fixes)
    added = apply_fix(doc, issue, code, UndoStack())
    assert added and analyze(doc).errors == []
    along = 1 if direction == "TB" else 0
    for new in added:
        (src,) = [e.src for e in doc.in_edges(new)]
        (dst,) = [e.dst for e in doc.out_edges(new)]
        assert doc.position(src)[along] < doc.position(new)[along] < doc.position(dst)[along]
        others = [n for n in doc.nodes if n != new]
        hits = [doc.nodes[n].name for n in others if overlaps(rect(doc, new), rect(doc, n))]
        assert hits == [], f"{doc.nodes[new].name} overlaps {hits}"


@pytest.mark.parametrize("direction", ["TB", "LR"])
def test_a_node_added_after_another_follows_it_and_overlaps_nothing(direction):
    """A new node goes after the given one in the graph's direction; when that place is
    taken (here by the chain's next node), it moves aside, across the direction."""
    doc = laid_out(conv_on_vector(), direction)
    along = 1 if direction == "TB" else 0
    first, second = list(doc.nodes)[:2]
    pos = after(doc, first)
    assert pos[along] > doc.position(first)[along]
    new = (pos[0], pos[1], pos[0] + NODE_SIZE[0], pos[1] + NODE_SIZE[1])
    assert not any(overlaps(new, rect(doc, n)) for n in doc.nodes)
    last = list(doc.nodes)[-1]
    end = after(doc, last)  # nothing beyond the last one: right after it, centred on it
    assert end[1 - along] == doc.position(last)[1 - along]
    assert end[along] == doc.position(last)[along] + NODE_SIZE[along] + GAP


def test_a_free_spot_is_the_place_asked_for_when_nothing_is_there():
    doc = laid_out(conv_on_vector(), "TB")
    box = rect(doc, list(doc.nodes)[0])
    assert free_spot(doc, (box[2] + 500, box[3] + 500)) == (box[2] + 500, box[3] + 500)
    spot = free_spot(doc, (box[0], box[1]))
    moved = (spot[0], spot[1], spot[0] + NODE_SIZE[0], spot[1] + NODE_SIZE[1])
    assert not any(overlaps(moved, rect(doc, n)) for n in doc.nodes)


@pytest.mark.parametrize("other_at, moves", [((300.0, 0.0), False), ((650.0, 30.0), True)])
def test_a_group_moves_only_when_one_of_its_nodes_would_cover_another(other_at, moves):
    """A node in a gap inside the group's box (between its two nodes) covers none of them:
    the group stays where it was asked to go; one under a node of the group moves it
    across, by the group's width and a gap, to where it covers nothing."""
    doc = Document()
    other = doc.add_node("Dense").id
    doc.set_position(other, other_at)
    group = {"a": (0.0, 0.0), "b": (600.0, 0.0)}
    shift = free_shift(doc, group, (0.0, 0.0))
    assert (shift != (0.0, 0.0)) == moves
    placed = rect(doc, other)
    for x, y in group.values():
        moved = (x + shift[0], y + shift[1])
        assert not overlaps((*moved, moved[0] + NODE_SIZE[0], moved[1] + NODE_SIZE[1]), placed)


@pytest.mark.parametrize("offset, moved", [(0.0, False), (60.0, True)])
def test_a_bent_wire_gets_room_for_its_bend(offset, moved):
    """A wire whose ends are not on one line needs BENT_ROOM more before the next node:
    with 130 between two nodes a straight wire takes a new node as it is, a bent one moves
    the next node on."""
    doc = Document()
    a, b = doc.add_node("Input", params={"shape": [4]}).id, doc.add_node("Dense").id
    doc.connect(Edge(a, 0, b, 0))
    doc.set_position(a, (0.0, 0.0))
    doc.set_position(b, (offset, NODE_SIZE[1] + 2 * GAP + NODE_SIZE[1]))
    pos, moves = between(doc, a, b)
    assert (b in moves) is moved
    end = moves.get(b, doc.position(b))
    assert end[1] - (pos[1] + NODE_SIZE[1]) >= GAP + (BENT_ROOM if moved else 0.0)


def merge_beside_branch(add_x: float):
    """A residual block drawn by hand: the branch runs down, then its last conv and the
    Add stand side by side on one row (the Add at `add_x`); the branch's valid convs
    shrink it, so ZeroPadding2D goes on the wire conv2d_2 -> add, which runs sideways."""
    doc = Document()
    names = ["input", "conv2d", "conv2d_1", "conv2d_2", "add"]
    places = [(265, 85), (330, 203), (330, 325), (580, 343), (add_x, 341)]
    for name, place in zip(names, places, strict=True):
        kind = {"input": "Input", "add": "Add"}.get(name, "Conv2D")
        params = {"shape": [8, 8, 1]} if kind == "Input" else \
            {"filters": 32, "kernel_size": [3, 3]} if kind == "Conv2D" else {}
        doc.set_position(doc.add_node(kind, name, params=params).id, place)
    ids = {doc.nodes[n].name: n for n in doc.nodes}
    for a, b, port in [("input", "conv2d", 0), ("conv2d", "conv2d_1", 0),
                       ("conv2d_1", "conv2d_2", 0), ("conv2d_2", "add", 0), ("conv2d", "add", 1)]:
        doc.connect(Edge(ids[a], 0, ids[b], port))
    doc.outputs = [ids["add"]]
    return doc, ids


@pytest.mark.parametrize("add_x, moved", [(740, True), (1100, False)])
def test_a_fix_on_a_sideways_wire_goes_between_its_ends(add_x, moved):
    doc, ids = merge_beside_branch(add_x)
    before = {n: doc.position(n) for n in doc.nodes}
    issue = next(i for i in analyze(doc).issues if "insert_padding" in i.fixes)
    (new,) = apply_fix(doc, issue, "insert_padding", UndoStack())
    src, add = ids["conv2d_2"], ids["add"]
    assert [e.src for e in doc.in_edges(new)] == [src]
    assert rect(doc, src)[2] < doc.position(new)[0] < rect(doc, new)[2] < doc.position(add)[0]
    assert doc.position(new)[1] == doc.position(src)[1]  # on the row, centred on conv2d_2
    hits = [doc.nodes[n].name for n in doc.nodes if n != new and
            overlaps(rect(doc, new), rect(doc, n))]
    assert hits == []
    changed = {doc.nodes[n].name for n in before if doc.position(n) != before[n]}
    assert changed == ({"add"} if moved else set())
