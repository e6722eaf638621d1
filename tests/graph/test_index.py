"""The graph index: orders, reachability and cycles on small graphs with known answers."""

import doctest
import random

from kerascanvas.graph import index
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.index import GraphIndex, reachable, topological_order


def _is_order(order, pairs):
    at = {n: i for i, n in enumerate(order)}
    return all(at[a] < at[b] for a, b in pairs if a in at and b in at)


def test_doctests():
    assert doctest.testmod(index).failed == 0


def test_stable_order_keeps_the_given_order_where_edges_allow():
    assert topological_order("abcd", [("c", "a")], stable=True) == ["b", "c", "a", "d"]


def test_random_dags_are_ordered_completely():
    rng = random.Random(3)
    ids = [f"n{i}" for i in range(60)]
    pairs = [(ids[i], ids[j]) for i in range(60) for j in range(i + 1, 60) if rng.random() < 0.1]
    rng.shuffle(ids)
    for stable in (False, True):
        order = topological_order(ids, pairs, stable)
        assert sorted(order) == sorted(ids) and _is_order(order, pairs)


def test_cycle_and_what_follows_it_are_left_out():
    order = topological_order("abcd", [("a", "b"), ("b", "c"), ("c", "b"), ("c", "d")])
    assert order == ["a"]


def test_reachable_follows_repeats_and_stops_at_cycles():
    assert reachable(["x"], {"x": ["y", "y"], "y": ["x", "z"]}) == {"x", "y", "z"}


def _doc(n, pairs):
    doc = Document()
    for i in range(n):
        doc.add_node("Dense", f"d{i}", node_id=f"n{i}")
    for k, (a, b) in enumerate(pairs):
        doc.edges.append(Edge(f"n{a}", 0, f"n{b}", k))  # raw, cycles allowed
    return doc


def test_index_finds_only_the_nodes_on_cycles():
    # 0 -> 1 <-> 2 -> 3 ; 4 <-> 5 ; 5 -> 3
    doc = _doc(6, [(0, 1), (1, 2), (2, 1), (2, 3), (4, 5), (5, 4), (5, 3)])
    idx = GraphIndex.of(doc)
    assert idx.order == ["n0"]
    assert idx.cycle_nodes(doc.nodes) == {"n1", "n2", "n4", "n5"}


def test_index_edges_and_reachability():
    doc = _doc(4, [(0, 1), (1, 3), (2, 3)])
    idx = GraphIndex.of(doc)
    assert [e.dst_port for e in idx.ins["n3"]] == [1, 2]
    assert [e.dst for e in idx.outs["n1"]] == ["n3"]
    assert idx.upstream(["n3"]) == {"n0", "n1", "n2", "n3"}
    assert idx.downstream(["n1"]) == {"n1", "n3"}
    assert idx.cycle_nodes(doc.nodes) == set()


def _same_index(doc):
    """The document's own index, kept edit by edit, equals one built afresh."""
    kept, fresh = doc.graph_index(), GraphIndex.of(doc)
    assert (kept.ins, kept.outs, kept.succ, kept.preds, kept.order) == \
        (fresh.ins, fresh.outs, fresh.succ, fresh.preds, fresh.order)


def test_index_kept_by_edits_equals_a_fresh_one():
    """Adds, inserts in the middle of the edge list (as undo does), removals of edges and
    nodes, in a random mix: the incremental index never drifts from a full rebuild."""
    from kerascanvas.graph import commands as cmd

    rng = random.Random(7)
    doc, stack = Document(), cmd.UndoStack()
    kept = doc.graph_index()
    for _ in range(400):
        ids = list(doc.nodes)
        roll = rng.random()
        if roll < 0.3 or len(ids) < 3:
            stack.push(cmd.AddNode(doc, "Add", index=rng.randrange(len(ids) + 1)))
        elif roll < 0.65:
            a, b = rng.sample(ids, 2)
            a, b = (a, b) if ids.index(a) < ids.index(b) else (b, a)  # keeps it acyclic
            ports = {e.dst_port for e in doc.in_edges(b)}
            port = next(p for p in range(9) if p not in ports)
            stack.push(cmd.Connect(doc, Edge(a, rng.randrange(2), b, port)))
        elif roll < 0.75 and doc.edges:
            stack.push(cmd.Disconnect(doc, rng.choice(doc.edges)))
        elif roll < 0.85:
            stack.push(cmd.RemoveNode(doc, rng.choice(ids)))
        elif roll < 0.95:
            stack.undo()
        else:
            stack.redo()
        _same_index(doc)
        assert doc.graph_index() is kept  # updated in place, never rebuilt
    assert len(doc.edges) > 20
