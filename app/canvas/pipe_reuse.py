"""A wire drawn again without routing it: shifted with its two nodes when they moved alike
(a dragged selection), or drawn as its original's, shifted, when its nodes are pasted copies
that stand as their originals do (`pipe_copies`). Mixed into `pipe_item.LayerPipeItem`,
which routes a wire where neither applies."""

from __future__ import annotations

from PySide6 import QtCore

from .pipe_copies import PastedNodes, rects_shifted
from .pipe_curve import near_area, plain_curve, point_xy, same_xy


class ReusedPath:
    """What a wire keeps of how it was drawn, and its shortcuts that use it; the wire item
    (`LayerPipeItem`) records it as it routes (`_draw_routed`)."""

    # What the wire was last drawn between: its two node items, where each stood ((x, y)),
    # and how many times each had its ports placed (`port_layout`); None while it is not
    # drawn between them (new, hidden, or being dragged by hand).
    _drawn_between: tuple | None = None
    # Where its route, when it was drawn, asked for the nodes (one rectangle round all the
    # areas; None when it asked for none), moved with the wire: a copy of it with the same
    # nodes there, moved alike, is drawn as it (`copy_route`).
    _looked: QtCore.QRectF | None = None
    _routed = False  # whether it was drawn along a route, not NodeGraphQt's plain curve

    def shift_with(self, step: QtCore.QPointF, starts: dict, everything: bool) -> bool:
        """Shift the wire, its arrow and its label by `step` when both its nodes moved by it
        from where they were when it was drawn (`starts`: each moved node -> its (x, y)
        before the step), with their ports as they were on them, and the nodes around it
        did too (so routing it again would give the same path moved by `step`); False,
        doing nothing, when it must be drawn again.

        Positions kept as numbers are compared, not the ports' scene positions asked of Qt:
        comparing those was most of the time of a drag step of all of a ResNet50."""
        drawn = self._drawn_between
        if drawn is None or drawn[0] not in starts or drawn[1] not in starts:
            return False
        src, dst = drawn[0], drawn[1]
        if not (same_xy(drawn[2], starts[src]) and same_xy(drawn[3], starts[dst])
                and drawn[4] == (src.port_layout, dst.port_layout)):
            return False  # drawn elsewhere, or its ports were placed on their nodes since
        path = self.path().translated(step)
        if not everything:  # a node that stayed in the way (or off it) changes the route
            near = near_area(path).united(near_area(self.path()))
            if self.scene_nodes(self.scene()).meeting(near, starts):
                return False
        dx, dy = step.x(), step.y()
        self.setPath(path)
        if self._looked is not None:
            self._looked = self._looked.translated(step)
        self._dir_pointer.moveBy(dx, dy)
        self.label.moveBy(dx, dy)
        self._drawn_between = (src, dst, (starts[src][0] + dx, starts[src][1] + dy),
                               (starts[dst][0] + dx, starts[dst][1] + dy), drawn[4])
        if not everything:  # the labels of the wires that stayed may be in its way now
            self._place_label()
        return True

    def copy_route(self, copies: PastedNodes) -> bool:
        """Draw the wire as the wire between the originals of its two nodes, shifted, where
        routing it would give that shape: both nodes are copies (`copies`) that stand where
        their originals do moved by one step, at their sizes, with their ports as theirs,
        and where the original's route looked for nodes (`_looked`) the nodes stand alike,
        moved by that step too, so that each of its questions gets the same answer. False,
        doing nothing, where it must be routed (routing each wire of a pasted residual
        stack was a sixth of the paste)."""
        src, dst = self.output_port.node, self.input_port.node
        step, other = copies.step(src), copies.step(dst)
        if step is None or other is None or not same_xy(step, other):
            return False
        original = copies.original_wire(self)
        if original is None or not original.drawn_as_now():
            return False
        looked = original._looked
        if looked is not None:
            nodes = self.scene_nodes(self.scene())
            ends = (copies.originals[src], copies.originals[dst])
            if not rects_shifted(nodes.meeting(looked, ends),
                                 nodes.meeting(looked.translated(*step), (src, dst)), step):
                return False
        self.setVisible(True)
        self.setPath(original.path().translated(*step))
        if original._routed:
            self._arrow_after(plain_curve(self.input_port, self.output_port))
        else:
            self._draw_direction_pointer()
        self._routed = original._routed
        self._looked = None if looked is None else looked.translated(*step)
        self._drawn_between = (src, dst, point_xy(src.pos()), point_xy(dst.pos()),
                               (src.port_layout, dst.port_layout))
        self._place_label()
        return True

    def drawn_as_now(self) -> bool:
        """Whether the wire is drawn (and shown) between its nodes as they stand now, with
        their ports as they are."""
        drawn = self._drawn_between
        if drawn is None or not self.isVisible() or self.scene() is None:
            return False
        src, dst = drawn[0], drawn[1]
        return (src is self.output_port.node and dst is self.input_port.node
                and same_xy(drawn[2], point_xy(src.pos()))
                and same_xy(drawn[3], point_xy(dst.pos()))
                and drawn[4] == (src.port_layout, dst.port_layout))
