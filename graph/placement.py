"""Where new nodes go: between two wired nodes, in the graph's direction, overlapping none.

Positions are top-left corners in scene units, as in `Document.position`. Node
sizes are not stored in the document; a caller that draws the nodes may pass
them, otherwise `NODE_SIZE` (a little larger than a drawn layer node) is assumed.

>>> from kerascanvas.graph.document import Document, Edge
>>> doc = Document()
>>> a, b = doc.add_node("Input", params={"shape": [4]}), doc.add_node("Dense")
>>> doc.set_position(a.id, (0, 0)); doc.set_position(b.id, (0, 110))
>>> pos, moves = between(doc, a.id, b.id)
>>> pos, moves[b.id]
((0.0, 114.0), (0.0, 228.0))
"""

from __future__ import annotations

from collections.abc import Mapping

from .document import Document

NODE_SIZE = (180.0, 80.0)
GAP = 34.0  # between a node and the next one along the graph's direction

Size = tuple[float, float]
Point = tuple[float, float]


def _size(sizes: Mapping[str, Size] | None, node_id: str) -> Size:
    return (sizes or {}).get(node_id, NODE_SIZE)


def direction_axis(doc: Document) -> int:
    """1 when the wires run downwards (a top-to-bottom graph), 0 when they run rightwards.

    Every wire votes for the axis on which its end lies beyond its start: in a
    layered graph all wires agree on that axis, while across it (into a wide
    merge) they point both ways.
    """
    votes = [0, 0]
    for e in doc.edges:
        a, b = doc.position(e.src), doc.position(e.dst)
        if a is not None and b is not None:
            for axis in (0, 1):
                votes[axis] += (b[axis] > a[axis]) - (b[axis] < a[axis])
    return 1 if votes[1] >= votes[0] else 0


def between(doc: Document, src: str, dst: str, size: Size = NODE_SIZE,
            sizes: Mapping[str, Size] | None = None) -> tuple[Point | None, dict[str, Point]]:
    """A place for a new node of `size` on the wire src -> dst, and the moves that make room.

    The new node sits after `src` in the direction the wire runs, centred on
    `src` across it. When the gap before `dst` is too small, `dst` and every node
    at or beyond it along that direction move on by what is missing, so the rows
    after the insertion keep their layout and nothing overlaps.
    """
    ps, pd = doc.position(src), doc.position(dst)
    if ps is None or pd is None:
        return (ps or pd), {}
    along = direction_axis(doc)
    cross = 1 - along
    src_size = _size(sizes, src)
    if pd[along] < ps[along]:  # a wire running backwards: midway, nothing moved
        return _midway(ps, pd), {}
    src_end = ps[along] + src_size[along]
    room = pd[along] - src_end
    need = size[along] + 2 * GAP
    new = [0.0, 0.0]
    new[cross] = ps[cross] + src_size[cross] / 2 - size[cross] / 2
    new[along] = src_end + (room - size[along]) / 2 if room >= need else src_end + GAP
    moves = {} if room >= need else shift_from(doc, pd[along], along, need - room)
    return (float(new[0]), float(new[1])), moves


def shift_from(doc: Document, start: float, along: int, distance: float) -> dict[str, Point]:
    """Every placed node at or beyond `start` on the `along` axis, moved on by `distance`."""
    moves = {}
    for node_id in doc.nodes:
        pos = doc.position(node_id)
        if pos is not None and pos[along] >= start - 0.5:
            moved = list(pos)
            moved[along] += distance
            moves[node_id] = (float(moved[0]), float(moved[1]))
    return moves


def _midway(a: Point, b: Point) -> Point:
    return ((a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0)
