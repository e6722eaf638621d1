"""A project opened, a paste and an undo that brings nodes back leave the objects they made
(the graph's nodes and their canvas items, which live on) in the collector's oldest
generation at once: no later young or middle collection, during a drag, walks them again
(`main_thread_gc.settle`). Timings are in benchmarks/bench_gc_pause.py."""

from __future__ import annotations

import gc

from PySide6 import QtWidgets

from benchmarks.bench_large_graph import chain_text
from kerascanvas.app.window import main_thread_gc

CHAIN = 120  # nodes: Input and Dense layers, one wire between each two


def young_share(objects: list) -> float:
    """The share of `objects` that the young and middle generations hold."""
    assert all(gc.is_tracked(o) for o in objects), "an object the collector never walks"
    young = {id(o) for generation in (0, 1) for o in gc.get_objects(generation=generation)}
    return sum(id(o) in young for o in objects) / len(objects)


def graph_objects(window, node_ids) -> list:
    """The nodes `node_ids` of the window's document, and the canvas items that draw them."""
    return ([window.doc.nodes[n] for n in node_ids]
            + [window.canvas.views[n] for n in node_ids])


def opened_chain(make_window, tmp_path):
    path = tmp_path / "chain.json"
    path.write_text(chain_text(CHAIN))
    window = make_window(str(path))
    QtWidgets.QApplication.processEvents()  # the window built, as a user sees it
    assert len(window.doc.nodes) == CHAIN
    return window


def test_a_project_just_opened_has_left_the_young_generations(make_window, tmp_path):
    window = opened_chain(make_window, tmp_path)
    share = young_share(graph_objects(window, list(window.doc.nodes)))
    assert share < 0.05, f"{share:.0%} of the project's objects still in the young generations"


def test_a_pastes_copies_have_left_the_young_generations(make_window, tmp_path):
    window = opened_chain(make_window, tmp_path)
    before = set(window.doc.nodes)
    window.select_all()
    window.duplicate()
    copies = [n for n in window.doc.nodes if n not in before]
    assert len(copies) == CHAIN
    share = young_share(graph_objects(window, copies))
    assert share < 0.05, f"{share:.0%} of the copies still in the young generations"


def test_nodes_an_undo_brings_back_have_left_the_young_generations(make_window, tmp_path):
    window = opened_chain(make_window, tmp_path)
    window.select_all()
    window.delete_selected()
    assert not window.doc.nodes
    window.undo()
    assert len(window.doc.nodes) == CHAIN
    share = young_share(graph_objects(window, list(window.doc.nodes)))
    assert share < 0.05, f"{share:.0%} of the nodes brought back in the young generations"


def test_a_small_edit_leaves_its_objects_to_the_timer(make_window):
    """A settle after a few new objects collects nothing: the timer's young collection
    walks them, as it would have."""
    make_window(None)
    gc.collect(1)
    ran = []

    def watch(phase, info):
        ran.append(info["generation"])

    gc.callbacks.append(watch)
    try:
        kept = [[] for _ in range(100)]
        assert main_thread_gc.settle() == 0
    finally:
        gc.callbacks.remove(watch)
    assert ran == [] and len(kept) == 100
