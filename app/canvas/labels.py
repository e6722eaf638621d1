"""Where the shape labels of wires go: beside the middle of each wire, apart from each other.

The wires out of one node are labelled together, in a fixed order, each label
clear of those placed before it and, where it can be, of the other wires of
the group. Parallel wires (an LSTM's two states into one Concatenate, one
tensor into both inputs of an Add) have their middles side by side, so their
labels would otherwise be drawn on top of each other.

A label never goes under a node or on an arrow head (`label_obstacles`; its own wire's too:
`label_spots` steps its spots off it), nor over another wire's label where a spot
beside its wire is free. A short wire that runs sideways across the 22 units between two
rows, with no room above or below it, has its label in that gap, in line with the wire
beside its run across. Where no spot beside or in line with its wire is clear of the nodes
and arrows (its sides taken by other wires' arrows or by nodes), the label is hidden rather
than drawn half under a node, as is one left only a spot on another label where its shape
shows beside it (`label_repeats`); the wire's tooltip names its shape. Wires
are queued and labelled once per turn of the event loop (or at `flush`: after
a render, after a batch of moves), so dragging a node with many wires costs
one pass per move, not one per wire, and the nodes are looked up once a pass.
"""

from __future__ import annotations

import re

from PySide6 import QtCore
from shiboken6 import isValid

from .label_obstacles import Obstacles, label_rect, shown  # noqa: F401 - shown importable here
from .label_repeats import hide_repeats
from .label_spots import WireOutlines, label_spot, label_spots
from .nodes import LayerNodeItem

OWN_WIRE_MARGIN = 1.0  # of a label's spot, that its own wire may graze


class LabelQueue:
    """Wires, and nodes whose wires go together, that need their labels placed."""

    pending: dict[int, object] = {}
    timer: QtCore.QTimer | None = None

    @classmethod
    def add(cls, item) -> None:
        """Queue a pipe, or a node item (all its wires, placed together)."""
        cls.pending[id(item)] = item
        if cls.timer is None:
            cls.timer = QtCore.QTimer()
            cls.timer.setSingleShot(True)
            cls.timer.setInterval(0)
            cls.timer.timeout.connect(cls.flush)
        if not cls.timer.isActive():
            cls.timer.start()

    @classmethod
    def flush(cls) -> None:
        """Place the labels of every queued wire now, with what a label keeps off in each
        scene brought up to date once (`Obstacles.of`) rather than by a scene query per spot."""
        scenes: dict = {}  # scene -> what a label there keeps off
        # A label that made way for another is queued again while its group is placed: it
        # is placed in this flush too, with the obstacles kept up to date as labels move,
        # not in one of its own on the next turn, which counted every node and label of
        # the scene again for the one or two labels moved (on a pasted ResNet50, a sixth
        # as long as placing all its labels).
        # Each round moves only labels of longer wires than the last, so the rounds end.
        placed: list = []
        while cls.pending:
            placed += cls._place_pending(scenes)
        hide_repeats(placed)

    @classmethod
    def _place_pending(cls, scenes: dict) -> list:
        # In the nodes' order, not the queue's: wires are queued from sets of items (by
        # address), and each label takes the first spot the ones placed before it left.
        items = sorted((item for item in cls.pending.values() if isValid(item)), key=in_order)
        cls.pending = {}
        groups = []
        for item in items:
            scene = item.scene()  # None: removed since
            if scene is None:
                continue
            if scene not in scenes:
                scenes[scene] = Obstacles.of(scene)
            wires = wires_out(item) if isinstance(item, LayerNodeItem) else parallel(item)
            if wires:
                groups.append((wires, scenes[scene]))
        place_groups(groups)
        return [(pipe, obstacles) for wires, obstacles in groups for pipe in wires]


def in_order(item) -> tuple:
    """Where a queued node item, or wire, is placed in a flush: by its source node's id
    (numbers within it by value), then by its output port and its end's id and port."""
    if isinstance(item, LayerNodeItem):
        return (_id_key(item.id), -1)
    src, end = item.output_port, item.input_port
    if src is None or end is None:
        return ((), -2)
    return (_id_key(src.node.id), src.node.outputs.index(src), _id_key(end.node.id),
            end.node.inputs.index(end))


def _id_key(node_id: str) -> tuple:
    """`n2` before `n10`: runs of digits compared as numbers."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", node_id))


def place_groups(groups, again=None) -> None:
    """Place the labels of each group of wires (`wires`, `Obstacles`), in order; a label
    that must make way goes to `again` (the queue by default; the image export keeps its
    own)."""
    # A label about to be placed again keeps no spot from the others where it was: after
    # an edit that moved many nodes (a block expanded) a label put beside a wire the
    # others had not yet left stayed there, across a skip wire, with its first spot free.
    for wires, obstacles in groups:
        for pipe in wires:
            obstacles.labels.discard(pipe)
    outlines: dict = {}  # per scene: wires' outlines, made once a flush (none moves)
    for wires, obstacles in groups:
        place_labels(wires, obstacles, outlines.setdefault(id(obstacles), WireOutlines()),
                     again)


def label_wire(pipe) -> None:
    """Queue the label of `pipe` to be placed or, when its source node has other wires, the
    node, so that all their labels are placed apart."""
    if pipe.output_port is None or pipe.input_port is None:
        return
    node = pipe.output_port.node
    wires = sum(len(port.connected_pipes) for port in getattr(node, "outputs", ()))
    LabelQueue.add(node if wires > 1 else pipe)


def wires_out(node) -> list:
    """The labelled wires out of `node`, by output port, then by where they end."""
    wires = []
    for index, port in enumerate(getattr(node, "outputs", ())):
        for pipe in port.connected_pipes:
            if hasattr(pipe, "label") and pipe.input_port is not None and pipe.scene() is not None:
                end = pipe.input_port.scenePos()
                wires.append(((index, end.x(), end.y()), pipe))
    wires.sort(key=lambda entry: entry[0])
    return [pipe for _, pipe in wires]


def parallel(pipe) -> list:
    """`pipe` and the other labelled wires from its source node into its destination node
    (one tensor into two ports of an Add), in `wires_out` order: a wire queued alone (its
    label made way for another) is placed with these, so the two labels stay apart."""
    if pipe.output_port is None or pipe.input_port is None:
        return []
    end = pipe.input_port.node
    return [wire for wire in wires_out(pipe.output_port.node) if wire.input_port.node is end]


def _across(rect: QtCore.QRectF, pipe, wires: WireOutlines) -> bool:
    """Whether the wire `pipe` runs across `rect` (a wire bent back up into a merge node
    beside its source ran through its own label), not just by its edge: a short slanted
    wire between two rows grazes both spots beside its middle near its ports."""
    return wires.meet(rect.adjusted(OWN_WIRE_MARGIN, OWN_WIRE_MARGIN, -OWN_WIRE_MARGIN,
                                    -OWN_WIRE_MARGIN), [pipe])


class NodeWires:
    """The wires out of `pipe`'s source node and into its destination node, but `pipe`,
    looked up when first asked about; `cross` tells whether one of them (or its arrow)
    runs through a rectangle."""

    def __init__(self, pipe, outlines: WireOutlines):
        self.pipe, self.outlines, self.wires = pipe, outlines, None

    def cross(self, rect: QtCore.QRectF) -> bool:
        if self.wires is None:
            out, into = self.pipe.output_port.node.outputs, self.pipe.input_port.node.inputs
            self.wires = [p for p in dict.fromkeys(
                p for port in (*out, *into) for p in port.connected_pipes)
                if p is not self.pipe and hasattr(p, "label")]
        return self.outlines.meet(rect, self.wires) or any(
            p._dir_pointer.opacity() > 0.0 and p._dir_pointer.sceneBoundingRect().intersects(rect)
            for p in self.wires)


def place_labels(pipes, obstacles: Obstacles, wires: WireOutlines | None = None,
                 again=None) -> None:
    """Place the `label` of each pipe in `pipes` (in that order), apart from one another and,
    where a spot allows, off its own wire and the other wires into the same node (parallel
    wires: a label centred on a spot past a bent wire's middle lay across its climb) and off
    the `obstacles` (nodes, arrow heads, other labels), and where one allows that too, off
    the other wires of its two nodes (`NodeWires`); never on a node or an arrow head.
    `wires`: outlines made before, while no wire moved."""
    wires = wires if wires is not None else WireOutlines()
    into: dict[int, list] = {}  # destination node -> the wires into it
    for pipe in pipes:
        into.setdefault(id(pipe.input_port.node), []).append(pipe)
    taken: list[QtCore.QRectF] = []
    group = set(pipes)
    for pipe in pipes:
        path = pipe.path()
        if path.isEmpty() or not pipe.label.text():
            obstacles.add_label(pipe)  # where it is, if it shows
            continue  # nothing shown yet: `set_label` queues the wire again when there is
        size = pipe.label.boundingRect().size()
        twins = [p for p in into[id(pipe.input_port.node)] if p is not pipe]
        # Off the other wires of its two nodes too, where a spot allows: at a merge node the
        # wire into another port runs across right beside this one's middle (a shortcut into
        # an Add's first port), and a shortcut leaves beside the main path's first wire.
        spot = label_spot(path, size, taken,
                          lambda r, t=twins, p=pipe: wires.meet(r, t) or _across(r, p, wires)
                          or obstacles.meet(r, group),
                          obstacles.covers, NodeWires(pipe, wires).cross,
                          lambda r: obstacles.labels.meets(r, group))
        pipe.label.setOpacity(0.0 if spot is None else 1.0)  # no room: hidden, not under a node
        if spot is None:
            obstacles.labels.discard(pipe)
            continue
        pipe.label.setPos(spot)
        taken.append(label_rect(pipe))
        obstacles.add_label(pipe)
        for other in obstacles.labels_meeting(taken[-1], group):
            # No free spot beside a short wire between two nodes: the label of a longer
            # wire, which has more places to go, moves instead; so does one of a wire as
            # short that has a spot free of the labels now (it takes that one, so the two
            # never push each other back and forth).
            if other.path().length() > path.length() or has_room(other, obstacles):
                (again or LabelQueue.add)(other)


def has_room(pipe, obstacles: Obstacles) -> bool:
    """Whether a spot beside `pipe` is off the nodes, the arrow heads and every other
    label (where its label would go when placed again)."""
    size = pipe.label.boundingRect().size()
    return any(not obstacles.covers(spot) and not obstacles.labels.meets(spot, {pipe})
               for spot in label_spots(pipe.path(), size))
