"""Undo of a delete puts the nodes' own items back (not new ones), drawn as a fresh window
draws the same file: texts, ports, marks, positions, wires and their labels."""

from __future__ import annotations

from PySide6 import QtCore

from .gestures import EXAMPLES, show
from .test_paste_large import assert_drawn_as_document, key


def drawn_state(window) -> dict:
    """What each node's item shows, and the labels of the wires out of it."""
    state = {}
    for node_id, item in window.canvas.views.items():
        labels = sorted(pipe.label.text() for port in item.outputs
                        for pipe in port.connected_pipes)
        state[node_id] = (item.name, item.subtitle, item.shape_text, item.show_shape,
                          item.status, [p.name for p in item.inputs], len(item.outputs),
                          sorted(item.output_ports), (item.x(), item.y()), item.width,
                          item.height, item.isSelected(), item.tip,
                          [p.tip for p in item.outputs], labels)
    return state


def drawn_as_opened(make_window, qtbot, path) -> dict:
    window = show(make_window(path), qtbot)
    window.canvas.renderer.render()
    return drawn_state(window)


def test_undoing_a_delete_of_everything_brings_back_the_items_as_drawn(make_window, qtbot):
    path = str(EXAMPLES / "small_resnet.json")
    fresh = drawn_as_opened(make_window, qtbot, path)
    window = show(make_window(path), qtbot)  # the active window, which the keys reach
    window.canvas.renderer.render()
    items = dict(window.canvas.views)
    assert drawn_state(window) == fresh
    wires = wire_state(window)
    key(window, QtCore.Qt.Key_A)
    key(window, QtCore.Qt.Key_Delete, QtCore.Qt.NoModifier)
    assert not window.canvas.views and not window.canvas.viewer.pipe_items()
    key(window, QtCore.Qt.Key_Z)
    qtbot.wait(1)
    assert all(window.canvas.views[n] is item for n, item in items.items())  # not made anew
    assert_reselected(window, list(items))
    assert drawn_state(window) == fresh
    assert wire_state(window) == wires  # the same wires, where they were
    assert_drawn_as_document(window)


def wire_state(window) -> dict:
    """Each wire's path and label, by the wire."""
    state = {}
    for pipe in window.canvas.viewer.pipe_items():
        path = pipe.path()
        state[pipe] = ([(path.elementAt(i).x, path.elementAt(i).y)
                        for i in range(path.elementCount())], pipe.label.text(),
                       (pipe.label.pos().x(), pipe.label.pos().y()), pipe.pen().color().name())
    return state


def test_undoing_a_delete_of_part_rewires_it_to_the_rest(make_window, qtbot):
    """Wires between a deleted node and one that stayed are drawn anew on undo."""
    from .gestures import click, node_point

    path = str(EXAMPLES / "small_resnet.json")
    fresh = drawn_as_opened(make_window, qtbot, path)
    window = show(make_window(path), qtbot)
    window.canvas.renderer.render()
    part = list(window.doc.nodes)[3:8]
    click(window, node_point(window, part[0]))
    for node_id in part[1:]:
        click(window, node_point(window, node_id), modifiers=QtCore.Qt.ShiftModifier)
    key(window, QtCore.Qt.Key_Delete, QtCore.Qt.NoModifier)
    assert_drawn_as_document(window)
    key(window, QtCore.Qt.Key_Z)
    qtbot.wait(1)
    assert_reselected(window, part)
    assert drawn_state(window) == fresh
    assert_drawn_as_document(window)


def assert_reselected(window, node_ids) -> None:
    """The nodes an undo brought back are the selection (and shown as such); then cleared,
    to compare the rest with a window that selected nothing."""
    assert window.canvas.selected_ids() == list(node_ids)
    assert all(window.canvas.views[n].isSelected() for n in node_ids)
    window.canvas.select([])


def test_undoing_a_delete_leaves_the_restored_nodes_selected_to_move_at_once(make_window,
                                                                               qtbot):
    """As in Qt's own views: Delete, Ctrl+Z, then a drag moves the restored nodes together
    (they were left unselected, and a drag moved only the node under the cursor)."""
    from .gestures import click, drag, node_point

    window = show(make_window(str(EXAMPLES / "small_resnet.json")), qtbot)
    window.canvas.renderer.render()
    part = list(window.doc.nodes)[3:6]
    click(window, node_point(window, part[0]))
    for node_id in part[1:]:
        click(window, node_point(window, node_id), modifiers=QtCore.Qt.ShiftModifier)
    key(window, QtCore.Qt.Key_Delete, QtCore.Qt.NoModifier)
    window.canvas.select([list(window.doc.nodes)[0]])  # something else selected meanwhile
    key(window, QtCore.Qt.Key_Z)
    qtbot.wait(1)
    assert window.canvas.selected_ids() == part
    before = {n: window.doc.position(n) for n in window.doc.nodes}
    start = node_point(window, part[0])
    drag(window, start, start + QtCore.QPoint(0, 40))
    moved = {n for n, pos in before.items() if window.doc.position(n) != pos}
    assert moved == set(part)


def test_undoing_an_older_delete_makes_the_items_afresh(make_window, qtbot):
    """Only the last delete's items are kept; an undo further back draws new ones, alike."""
    path = str(EXAMPLES / "small_resnet.json")
    fresh = drawn_as_opened(make_window, qtbot, path)
    window = show(make_window(path), qtbot)  # the active window, which the keys reach
    window.canvas.renderer.render()
    first, last = list(window.doc.nodes)[0], list(window.doc.nodes)[-1]
    items = dict(window.canvas.views)
    for node_id in (first, last):
        window.canvas.select([node_id])
        key(window, QtCore.Qt.Key_Delete, QtCore.Qt.NoModifier)
    key(window, QtCore.Qt.Key_Z)
    key(window, QtCore.Qt.Key_Z)
    qtbot.wait(1)
    assert window.canvas.views[last] is items[last]
    assert window.canvas.views[first] is not items[first]
    assert_reselected(window, [first])  # the last undo's
    assert drawn_state(window) == fresh
    assert_drawn_as_document(window)


def test_redoing_a_paste_brings_back_its_items_and_wires_as_drawn(make_window, qtbot,
                                                                    tmp_path, monkeypatch):
    """A redo adds each pasted merge node before its wires: its item keeps the ports it has
    once they are wired (a free one after them), and none of their wires is routed again
    (only wires of other nodes that they come near, which may have to go around them)."""
    from kerascanvas.app.canvas.pipes import LayerPipeItem

    from .test_paste_large import residual_stack

    window = show(make_window(residual_stack(tmp_path / "stack.json")), qtbot)
    first = set(window.canvas.views.values())
    for code in (QtCore.Qt.Key_A, QtCore.Qt.Key_C, QtCore.Qt.Key_V):
        key(window, code)
    window.canvas.renderer.render()  # the pasted nodes selected, as a redo brings them back
    items, pasted, wires = dict(window.canvas.views), drawn_state(window), wire_state(window)
    key(window, QtCore.Qt.Key_Z)
    routed = []
    draw_path = LayerPipeItem.draw_path
    monkeypatch.setattr(LayerPipeItem, "draw_path",
                        lambda pipe, *args, **kw: routed.append(pipe) or draw_path(pipe, *args,
                                                                                   **kw))
    key(window, QtCore.Qt.Key_Z, QtCore.Qt.ControlModifier | QtCore.Qt.ShiftModifier)
    qtbot.wait(1)
    assert all(window.canvas.views[n] is item for n, item in items.items())
    assert drawn_state(window) == pasted
    assert wire_state(window) == wires
    assert not [p for p in routed if {p.output_port.node, p.input_port.node} - first]
    assert_drawn_as_document(window)
