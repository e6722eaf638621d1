"""Shape labels left to their wires' tooltips where they could only lie on another label and
their shape is shown beside them already: by a wire of the same tensor (a DenseNet concat's
two wires, into the next layer and into the next concat; a ResNet block's output into the
next block and into its Add), or by another wire into the same merge node with the same
shape (the two inputs of an Add). In a model cut into columns, the wires that climb the
gap between two columns have no spot there off the labels of the columns beside it: of
DenseNet121's 486 labels, 38 pairs lay on each other after Auto Layout."""

from __future__ import annotations

from shiboken6 import isValid

from .label_obstacles import Obstacles, shown


def hide_repeats(placed) -> None:
    """Of the labels placed (`placed`: (pipe, its scene's `Obstacles`), in the order they
    were placed) and those they lie on, hide each that lies on another label where its
    shape is shown elsewhere (`repeats_shown`): first where that shows on no label, then
    where it shows at all; the labels of longer wires first (a wire up the gap between
    two columns, far from its source). A label hidden comes back when its wire is labelled
    again and finds a free spot."""
    crowded = {}  # pipe -> its Obstacles; most labels placed lie on none: one look-up each
    for pipe, obstacles in placed:
        rect = obstacles.labels.rects.get(pipe)  # where it is counted, if it shows
        if rect is not None and obstacles.labels.meets(rect, (pipe,)):
            for met in (pipe, *obstacles.labels_meeting(rect, {pipe})):
                crowded.setdefault(met, obstacles)
    order = sorted((p for p in crowded if isValid(p)), key=lambda p: -p.path().length())
    for clear in (True, False):
        for pipe in order:
            obstacles = crowded[pipe]
            if _on_a_label(pipe, obstacles, (pipe,)) and repeats_shown(pipe, obstacles, clear):
                pipe.label.setOpacity(0.0)
                obstacles.labels.discard(pipe)


def repeats_shown(pipe, obstacles: Obstacles, clear: bool = True) -> bool:
    """Whether a wire of the same tensor as `pipe` (from its output port) or into the same
    node shows the same shape as its label (where `clear`, on no other label)."""
    if pipe.output_port is None or pipe.input_port is None:
        return False
    into = (p for port in pipe.input_port.node.inputs for p in port.connected_pipes)
    return any(other is not pipe and hasattr(other, "label") and shown(other)
               and other.label.text() == pipe.label.text()
               and not (clear and _on_a_label(other, obstacles, (other, pipe)))
               for other in (*pipe.output_port.connected_pipes, *into))


def _on_a_label(pipe, obstacles: Obstacles, skip) -> bool:
    """Whether the label of `pipe`, counted in `obstacles` (shown), lies on another's."""
    rect = obstacles.labels.rects.get(pipe)
    return rect is not None and obstacles.labels.meets(rect, skip)
