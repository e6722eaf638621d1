"""The wires of pasted nodes drawn as those of their originals, shifted, where routing them
would give that shape (`LayerPipeItem.copy_route`): the nodes pasted in one edit, and
whether each stands as its original does, moved by the paste's step."""

from __future__ import annotations

from PySide6 import QtCore


class PastedNodes:
    """Pasted node items and the items they copy (`originals`), with where each stands
    against its original (`step`), worked out once a node."""

    def __init__(self, originals: dict) -> None:
        self.originals = originals  # a pasted node item -> the item it is a copy of
        self._steps: dict = {}

    def step(self, item) -> tuple[float, float] | None:
        """How far `item` stands from its original, (dx, dy), when it is that original
        moved: at its size, with its ports where the original's are and wired as they are
        (a wire into a merge node keeps off its other wired inputs); else None."""
        if item not in self._steps:
            original = self.originals.get(item)
            self._steps[item] = None if original is None else _moved_copy(original, item)
        return self._steps[item]

    def original_wire(self, pipe):
        """The wire between the same ports of the originals of `pipe`'s two nodes, or
        None."""
        src, dst = pipe.output_port.node, pipe.input_port.node
        out = src.outputs.index(pipe.output_port)
        into = dst.inputs.index(pipe.input_port)
        port = self.originals[src].outputs[out]
        return next((p for p in self.originals[dst].inputs[into].connected_pipes
                     if p.output_port is port), None)


def _moved_copy(original, copy) -> tuple[float, float] | None:
    """(dx, dy) from `original` to `copy` when `copy` is `original` moved; else None."""
    if not copy.isVisible():  # NodeGraphQt draws no wire of a hidden node
        return None
    step = copy.pos() - original.pos()
    if not same_rect(original.sceneBoundingRect().translated(step), copy.sceneBoundingRect()):
        return None
    for mine, theirs in ((original.inputs, copy.inputs), (original.outputs, copy.outputs)):
        if len(mine) != len(theirs) or not all(
                _near(a.pos(), b.pos()) and bool(a.connected_pipes) == bool(b.connected_pipes)
                and b.isVisible() for a, b in zip(mine, theirs, strict=True)):
            return None
    return (step.x(), step.y())


def rects_shifted(rects, others, step: tuple[float, float]) -> bool:
    """Whether `others` are `rects` moved by `step` (dx, dy), in the same order."""
    return len(rects) == len(others) and all(
        same_rect(a.translated(*step), b) for a, b in zip(rects, others, strict=True))


def same_rect(a: QtCore.QRectF, b: QtCore.QRectF) -> bool:
    return (_near(a.topLeft(), b.topLeft())
            and abs(a.width() - b.width()) < 1e-6 and abs(a.height() - b.height()) < 1e-6)


def _near(a: QtCore.QPointF, b: QtCore.QPointF) -> bool:
    return abs(a.x() - b.x()) < 1e-6 and abs(a.y() - b.y()) < 1e-6
