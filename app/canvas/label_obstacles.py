"""What a wire's shape label keeps off in a scene (`Obstacles`): the nodes and the arrow
heads, where a label is never drawn, and the other labels, where a spot beside its wire is
free of them; and whether a label is shown. Used by `labels` to place labels, by
`label_repeats` to hide those that repeat a shape, and by the image export.
"""

from __future__ import annotations

import weakref

from PySide6 import QtCore
from shiboken6 import isValid

from .nodes import LayerNodeItem
from .rect_grid import RectGrid


class Obstacles:
    """What a label in a scene keeps off: the nodes, which would hide it, and the wires'
    arrow heads, together in one `RectGrid` (one look-up a spot), and where it can the
    labels of other wires, in another.

    One is kept per scene and brought up to date at each flush (`of`): every node and
    label is compared with where it was counted, and only those that moved, came or went
    are bucketed again (counting all of them anew, for all 177 new nodes of a paste and at
    each step of a drag, was the largest part of placing the labels)."""

    kept: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def __init__(self):
        self.solid = RectGrid()  # node -> where it is; pipe -> where its arrow head is
        self.labels = RectGrid()  # pipe -> where its label is

    @classmethod
    def of(cls, scene) -> Obstacles:
        """The obstacles of `scene`, up to date."""
        made = cls.kept.get(scene)
        if made is None:
            made = cls.kept[scene] = cls()
        made.refresh(LayerNodeItem.members.get(scene, {}))
        return made

    def refresh(self, nodes) -> None:
        """Count the node items `nodes` (those of the scene) and their wires' labels and
        arrow heads where they are now, and forget the others."""
        labelled, solid = set(), set(nodes)
        for node in nodes:
            self.solid.put(node, node.sceneBoundingRect())
            for port in node.outputs:
                for pipe in port.connected_pipes:
                    if not hasattr(pipe, "label"):
                        continue
                    if shown(pipe):
                        labelled.add(pipe)
                        self.labels.put(pipe, label_rect(pipe))
                    if pipe._dir_pointer.isVisible():  # none on a wire too short for one
                        solid.add(pipe)
                        self.solid.put(pipe, pipe._dir_pointer.sceneBoundingRect())
        self.solid.keep_only(solid)
        self.labels.keep_only(labelled)

    def add_label(self, pipe) -> None:
        """Count the label of `pipe` where it is now."""
        if shown(pipe):
            self.labels.put(pipe, label_rect(pipe))

    def meet(self, rect: QtCore.QRectF, skip) -> bool:
        """Whether `rect` meets a node, an arrow head or the label of a pipe not in `skip`."""
        return self.solid.meets(rect) or self.labels.meets(rect, skip)

    def covers(self, rect: QtCore.QRectF) -> bool:
        """Whether `rect` meets a node or an arrow head: where a label is never drawn."""
        return self.solid.meets(rect)

    def labels_meeting(self, rect: QtCore.QRectF, skip) -> list:
        """The pipes not in `skip` whose labels meet `rect`."""
        return [pipe for pipe in self.labels.meeting(rect) if pipe not in skip
                and isValid(pipe)]


def label_rect(pipe) -> QtCore.QRectF:
    return pipe.label.sceneBoundingRect()


def shown(pipe) -> bool:
    """Whether the label of `pipe` is drawn: it has a text, and found a spot off the nodes."""
    return bool(pipe.label.text()) and pipe.label.opacity() > 0.0
