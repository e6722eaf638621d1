"""Ctrl+A, Ctrl+C, Ctrl+V on the canvas: what the canvas then draws equals the same document
loaded afresh with the same selection. The node items (texts, status, ports, size), the
wires with their shape labels, the selection and which wires are highlighted: a paste that
makes its items, wires and highlights its own quicker way must end where a load does."""

from __future__ import annotations

import pytest
from PySide6 import QtCore

from kerascanvas.app.canvas.adapter import Canvas
from kerascanvas.app.canvas.pipes import LayerPipeItem
from kerascanvas.graph.project import Project

from .gestures import EXAMPLES, show
from .test_paste_large import key, residual_stack
from .wire_geometry import path_points, routed_again


def drawn(canvas) -> tuple[dict, list]:
    """node id -> what its item shows; the wires (edge, label, highlighted), sorted."""
    canvas.renderer.render()
    nodes = {nid: (item.name, item.subtitle, item.shape_text, item.show_shape, item.status,
                   [p.name for p in item.inputs], len(item.outputs), item.output_ports,
                   round(item.width, 3), round(item.height, 3), item.isSelected())
             for nid, item in canvas.views.items()}
    pipes = [p for p in canvas.viewer.pipe_items()
             if p.input_port is not None and p.output_port is not None]
    wires = sorted((canvas._edge_of(p.output_port, p.input_port), p.label.text(),
                    p.highlighted()) for p in pipes)
    return nodes, wires


@pytest.mark.parametrize("source", ["residual", "inception"])
def test_a_pasted_copy_is_drawn_as_a_fresh_load_of_the_document(make_window, qtbot, tmp_path,
                                                                 source):
    path = (residual_stack(tmp_path / "stack.json") if source == "residual"
            else str(EXAMPLES / "inception_net.json"))
    window = show(make_window(path), qtbot)
    originals = list(window.doc.nodes)
    for code in (QtCore.Qt.Key_A, QtCore.Qt.Key_C, QtCore.Qt.Key_V):
        key(window, code)
    copies = [n for n in window.doc.nodes if n not in originals]
    assert len(copies) == len(originals) and window.canvas.selected_ids() == copies

    fresh = Canvas(Project.from_dict(window.project.to_dict()))
    fresh.select(copies)
    pasted, loaded = drawn(window.canvas), drawn(fresh)
    assert pasted[0] == loaded[0]  # items, their texts and the selection
    assert pasted[1] == loaded[1]  # wires, labels and highlights
    highlighted = {edge for edge, _, lit in pasted[1] if lit}
    assert highlighted == {e for e in window.doc.edges if e.src in copies}  # copies' only
    assert all(label not in ("", "?") for _, label, _ in pasted[1])
    fresh.graph.widget.deleteLater()


def test_a_paste_beside_draws_its_own_wires_once_and_leaves_the_others(make_window, qtbot,
                                                                       tmp_path, monkeypatch):
    """The new nodes are placed, not moved from the scene's origin: routing again every
    wire between the origin and the copies cost a paste of a ResNet50 a fifth of its time.
    Only the wires the copies came near are routed again (and keep their course). Each
    new wire is drawn once: routed, or drawn as its original shifted (`copy_route`)."""
    window = show(make_window(residual_stack(tmp_path / "stack.json")), qtbot)
    key(window, QtCore.Qt.Key_A)
    key(window, QtCore.Qt.Key_C)
    before = {id(p): p.path() for p in window.canvas.viewer.pipe_items()}
    drawn_now, real, copy = [], LayerPipeItem.draw_path, LayerPipeItem.copy_route

    def counted(pipe, *args, **kwargs):
        drawn_now.append(pipe)
        return real(pipe, *args, **kwargs)

    def copied(pipe, *args):
        done = copy(pipe, *args)
        if done:
            drawn_now.append(pipe)
        return done

    monkeypatch.setattr(LayerPipeItem, "draw_path", counted)
    monkeypatch.setattr(LayerPipeItem, "copy_route", copied)
    key(window, QtCore.Qt.Key_V)
    pipes = window.canvas.viewer.pipe_items()
    new = [p for p in pipes if id(p) not in before]
    again = [p for p in drawn_now if id(p) in before]  # those the copies came near
    assert len(new) == len(before) and len(drawn_now) - len(again) == len(new)
    assert {id(p) for p in drawn_now if id(p) not in before} == {id(p) for p in new}
    assert len(again) <= len(before) // 4  # all 20 were, from the origin to the copies
    assert all(p.path() == before[id(p)] for p in pipes if id(p) in before)


def arrow(pipe) -> tuple:
    """Where a wire's arrow is, how it is turned (in degrees, 0 to 360), shown and sized."""
    pointer = pipe._dir_pointer
    return (pointer.pos().x(), pointer.pos().y(), pointer.rotation() % 360.0,
            pointer.isVisible(), pointer.scale())


def same(a: tuple, b: tuple) -> bool:
    return all(abs(x - y) < 1e-6 or abs(abs(x - y) - 360.0) < 1e-6 for x, y in zip(a, b,
                                                                                    strict=True))


@pytest.mark.parametrize("source, part", [("residual", "all"), ("residual", "first half"),
                                          ("small_resnet", "all")])
def test_the_wires_of_a_pasted_copy_lie_where_routing_them_puts_them(
        make_window, qtbot, tmp_path, monkeypatch, source, part):
    """A wire between two copies that stand as their originals, with the nodes around
    alike, is drawn as its original's, shifted (`copy_route`), not routed: it, its arrow and
    every other pasted wire lie exactly where routing them again puts them."""
    copied, copy = [], LayerPipeItem.copy_route

    def noted(pipe, *args):
        copied.append(copy(pipe, *args))
        return copied[-1]

    monkeypatch.setattr(LayerPipeItem, "copy_route", noted)
    path = (residual_stack(tmp_path / "stack.json", blocks=6) if source == "residual"
            else str(EXAMPLES / "small_resnet.json"))
    window = show(make_window(path), qtbot)
    ids = list(window.doc.nodes)
    window.canvas.select(ids if part == "all" else ids[: len(ids) // 2])
    before = set(window.canvas.viewer.pipe_items())
    key(window, QtCore.Qt.Key_C)
    key(window, QtCore.Qt.Key_V)
    new = [p for p in window.canvas.viewer.pipe_items() if p not in before]
    assert new and True in copied
    drawn = {pipe: (path_points(pipe), arrow(pipe), pipe.isVisible()) for pipe in new}
    routed = routed_again(new)
    for pipe, (points, pointer, shown) in drawn.items():
        assert len(points) == len(routed[pipe]) and all(
            same(a, b) for a, b in zip(points, routed[pipe], strict=True)), (points, routed[pipe])
        assert same(pointer, arrow(pipe)) and shown == pipe.isVisible()
