"""Pipes between canvas nodes: routed around nodes and between columns, labelled with shapes.

A pipe is a NodeGraphQt `PipeItem` (so the viewer's wiring gestures work) that
bends around the nodes it would cross, and runs up the gap between columns when
it wraps from the bottom of one column of a laid-out model to the top of the
next. Its label is the tensor shape it carries, a `QGraphicsSimpleTextItem`
child that Qt paints itself, placed by `labels` (apart from the labels of the
other wires out of the same node); labels are smaller than node titles, so they
are hidden already below `LABEL_SCALE`. Zoomed out below `DETAIL_SCALE` a pipe is
a plain line. The wire item itself is `pipe_item.LayerPipeItem`; this module draws
wires in batches (`batched_pipes`) and connects two ports.
"""

from __future__ import annotations

from contextlib import contextmanager

from NodeGraphQt.qgraphics.pipe import PIPE_STYLES  # noqa: F401 - importable here as before
from PySide6 import QtCore

from .labels import LabelQueue, label_wire  # noqa: F401 - label_wire as before
from .node_columns import NodeColumns
from .node_style import DETAIL_SCALE, SELECTION_COLOR, shared_style  # noqa: F401 - as before
from .nodes import LayerNodeItem
from .pipe_copies import PastedNodes
from .pipe_curve import near_area, point_xy
from .pipe_item import NO_BRUSH, LayerPipeItem  # noqa: F401 - public here too
from .ports import LayerPortItem, PipeBatch
from .routes import CLEARANCE, route, spread  # noqa: F401 - importable here as before

LABEL_SCALE = 0.55  # below this view scale, the shape labels on the wires are hidden


_RESIZED: dict = {}  # during a batch: node item -> its rectangle before it was resized
_PLACED: dict = {}  # during a batch: node item put in or taken out -> (scene, rectangle)
_COPIES: dict = {}  # during a batch: pasted node item -> the item it is a copy of


@contextmanager
def batched_pipes():
    """Move many nodes inside this block: each pipe they touch is redrawn once, at the end,
    with the node rectangles looked up once rather than by a scene query per pipe."""
    if PipeBatch.pipes is not None:  # nested: the outer block redraws
        yield
        return
    PipeBatch.pipes, PipeBatch.moved = set(), {}
    try:
        yield
    finally:
        pipes, PipeBatch.pipes = PipeBatch.pipes, None
        moved, PipeBatch.moved = PipeBatch.moved, None
        resized, placed, copies = dict(_RESIZED), dict(_PLACED), dict(_COPIES)
        _RESIZED.clear()
        _PLACED.clear()
        _COPIES.clear()
        pipes = [p for p in pipes if p.scene() is not None and p.input_port is not None
                 and p.output_port is not None]
        LayerPipeItem.node_rects = {}  # each scene's nodes, looked up when first needed
        try:
            _redraw(pipes, moved, copies)
            _redraw_near(resized, placed, set(pipes))
            LabelQueue.flush()
        finally:
            LayerPipeItem.node_rects = None


def _redraw(pipes, moved: dict, copies: dict) -> None:
    """Draw the pipes again, after the nodes in `moved` (item -> where it was) moved; a
    wire between two pasted nodes of `copies` as the wire between their originals, shifted,
    where routing it would give that shape (`copy_route`).

    When every moved node moved by the same step (a selection dragged), a wire between two
    of them with no other node near it keeps its shape: it is shifted, not routed again,
    and so is its label when no node stayed behind. Routing and labelling every wire of
    all of a ResNet50 took 0.15 s a mouse step. A wire between two nodes that stayed is
    routed again when a moved node came near it or left it (it went around the node, or
    now has to).
    """
    step = _common_step(moved)
    scenes = ({p.scene() for p in pipes} | {item.scene() for item in moved}) - {None}
    everything = sum(LayerNodeItem.in_scene.get(s, 0) for s in scenes) == len(moved)
    starts = {item: point_xy(was) for item, was in moved.items()} if step is not None else {}
    pasted = PastedNodes(copies) if copies else None
    for pipe in pipes:
        if pasted is not None and pipe.copy_route(pasted):
            continue
        if step is None or not pipe.shift_with(step, starts, everything):
            pipe.draw_path(pipe.input_port, pipe.output_port)
    if moved and not everything:
        for pipe in _passed_by(scenes, set(pipes), moved):
            pipe.draw_path(pipe.input_port, pipe.output_port)


def _passed_by(scenes, drawn: set, moved: dict) -> list:
    """The wires between nodes that stayed, other than those `drawn`, whose route may
    change because the nodes in `moved` came near them or left: those near (`near_area`)
    a moved node's rectangle, where it was or where it is (or between: one box for both)."""
    rects = [(now := item.sceneBoundingRect()).united(now.translated(was - item.pos()))
             for item, was in moved.items()]
    return _near_wires(scenes, drawn, rects, moved)


def _near_wires(scenes, drawn: set, rects: list, skip) -> list:
    """The wires of `scenes` between nodes not in `skip`, other than those `drawn`, that
    are near (`near_area`) one of `rects`."""
    wires = [pipe for pipe in _stayed_wires(scenes, skip) if pipe not in drawn
             and pipe._drawn_between is not None and pipe.scene() is not None
             and pipe.isVisible()]
    if not wires:
        return []
    spots, bounds = NodeColumns([(None, r) for r in rects]), _united(rects)
    return [pipe for pipe in wires if (near := near_area(pipe.path())).intersects(bounds)
            and spots.meeting(near, ())]


def _redraw_near(resized: dict, placed: dict, drawn: set) -> None:
    """Route again the wires of other nodes near the nodes in `resized` (item -> its
    rectangle before) or in `placed` (item -> its scene and rectangle, in or out of it): a
    node that grew (a longer name, a port more) or was put in (a delete undone) may stand
    in their way now, and one that shrank or was taken away (deleted, an inserted fix
    undone) may have left it. The wires of a node put in are drawn with it, not here."""
    spots = [(item.scene(), was.united(item.sceneBoundingRect()))
             for item, was in resized.items() if item.scene() is not None]
    spots += placed.values()
    if spots:
        rects = [rect for _, rect in spots]
        for pipe in _near_wires({scene for scene, _ in spots}, drawn, rects, placed):
            pipe.draw_path(pipe.input_port, pipe.output_port)


def _on_node_resized(item, was: QtCore.QRectF) -> None:
    """A node's size changed: the wires of other nodes near it are routed again, at the
    end of the batch of pipes it changed in (or of one of its own)."""
    with batched_pipes():
        _RESIZED[item] = _RESIZED[item].united(was) if item in _RESIZED else was


PipeBatch.resized = _on_node_resized


def draw_as_copies(originals: dict) -> None:
    """The node items of `originals` (a pasted item -> the item it is a copy of) were
    pasted: at the end of the batch they came in (or now), a wire between two of them is
    drawn as the wire between their originals, shifted, where routing it would give that
    shape (`LayerPipeItem.copy_route`)."""
    with batched_pipes():
        _COPIES.update(originals)


def reroute_near(item, scene) -> None:
    """The node `item` was put in `scene`, or taken out of it: the wires of other nodes
    near it (that now pass through it, or went around it) are routed again, at the end of
    the batch it came or left in (or now)."""
    with batched_pipes():
        _PLACED[item] = (scene, item.sceneBoundingRect())


def _stayed_wires(scenes, moved: dict):
    """The wires of `scenes` whose two nodes are not in `moved`. A scene all of whose nodes
    are in `moved` has none, and its nodes are not looked up (an undone delete of all of a
    ResNet50 bucketed its 354 nodes to find no wire)."""
    for scene in scenes:
        if all(node in moved for node in LayerNodeItem.members.get(scene, ())):
            continue
        for node, _ in LayerPipeItem.scene_nodes(scene).rects:
            if node in moved:
                continue
            for port in node.outputs:
                yield from (p for p in port.connected_pipes if p.input_port.node not in moved)


def _united(rects: list[QtCore.QRectF]) -> QtCore.QRectF:
    box = QtCore.QRectF(rects[0])
    for rect in rects[1:]:
        box = box.united(rect)
    return box


def _common_step(moved: dict) -> QtCore.QPointF | None:
    """The step by which every node in `moved` moved, or None (none moved, or not alike)."""
    step = None
    for item, was in moved.items():
        now = item.pos() - was
        if step is None:
            step = now
        elif not _same(now, step):
            return None
    return step if step is not None and not step.isNull() else None


def _same(a: QtCore.QPointF, b: QtCore.QPointF) -> bool:
    return abs(a.x() - b.x()) < 1e-6 and abs(a.y() - b.y()) < 1e-6


def connect_ports(out_port: LayerPortItem, in_port: LayerPortItem,
                  detail: bool = True, labels: bool = True) -> LayerPipeItem:
    """Draw a pipe between two port items (the view only; the document holds the edge)."""
    pipe = LayerPipeItem()
    if not detail:
        pipe._dir_pointer.setOpacity(0.0)
    pipe.label.setVisible(labels)
    out_port.scene().addItem(pipe)
    pipe.set_connections(out_port, in_port)
    if PipeBatch.pipes is None:
        pipe.draw_path(pipe.input_port, pipe.output_port)
    else:
        PipeBatch.pipes.add(pipe)
    if out_port.node.isSelected() or in_port.node.isSelected():
        pipe.highlight()
    return pipe
