"""Where a block's nodes go when it is expanded in place (`in_place`), and where one node
standing in for a group goes when it is collapsed (`collapse`), with the moves that make or
close the room; `graph.placement` places single nodes.
"""

from __future__ import annotations

from collections.abc import Mapping

from .document import Document
from .placement import (
    NODE_SIZE,
    Point,
    Size,
    bounding_box,
    direction_axis,
    overlaps,
    rect_of,
    shift_from,
    size_of,
)


def in_place(doc: Document, node_ids: list[str], origin: Point, along: int,
             old_size: Size = NODE_SIZE, sizes: Mapping[str, Size] | None = None
             ) -> tuple[dict[str, Point], dict[str, Point]]:
    """Positions laying `node_ids` out where one node of `old_size` stood at `origin`,
    flowing along `along` (1: down, 0: right), and the moves that make room after it.

    The group's main path (which the layout runs down one line, and which ends at the
    node the old one's consumers now take from) lies on the old node's centre line, so
    the wires into and out of the group run straight (but for a last node that stands
    aside for the port its main wire enters, as after an auto layout); nodes at or beyond
    the old node's end in its column move on by what the group adds (`_room_after`).
    """
    from .layout import estimated_size, layered_layout, layers_of, main_path

    sub = _sub_document(doc, node_ids)
    local = layered_layout(sub, "TB" if along == 1 else "LR", sizes, aspect=None)
    box = bounding_box(local, sizes)
    cross = 1 - along
    offset = [0.0, 0.0]
    offset[along] = origin[along] - box[along]
    path = main_path(sub, layers_of(sub))
    if path:
        first = path[0]  # on the column, where a merge at the end may stand aside
        line = local[first][cross] + (sizes or {}).get(first, estimated_size(
            doc.nodes[first].name))[cross] / 2
    else:
        line = (box[cross] + box[2 + cross]) / 2
    offset[cross] = origin[cross] + old_size[cross] / 2 - line
    placed = {n: (p[0] + offset[0], p[1] + offset[1]) for n, p in local.items()}
    grow = (box[2 + along] - box[along]) - old_size[along]
    end = origin[along] + old_size[along]
    moves = _room_after(doc, placed, sizes, end, along, grow) if grow > 0 else {}
    return placed, moves


def _room_after(doc: Document, placed: Mapping[str, Point], sizes: Mapping[str, Size] | None,
                end: float, along: int, grow: float) -> dict[str, Point]:
    """The moves that make room for the group `placed` grown by `grow` past `end`: the
    nodes beyond `end` in the group's band across the direction (its column) move on; the
    other columns of a layout cut into columns stay, their wires unstretched. Where a
    moved node would then cover one that stays, every node beyond `end` moves on."""
    from .layout import estimated_size

    def extent(node_id: str) -> Size:
        return (sizes or {}).get(node_id) or estimated_size(doc.nodes[node_id].name)

    cross = 1 - along
    box = bounding_box(placed, sizes)
    every = {n: p for n, p in shift_from(doc, end, along, grow).items() if n not in placed}
    band = {n: p for n, p in every.items()
            if p[cross] < box[2 + cross] and p[cross] + extent(n)[cross] > box[cross]}
    staying = [rect_of(p, extent(n)) for n in doc.nodes
               if n not in band and (p := placed.get(n) or doc.position(n)) is not None]
    if any(overlaps(rect_of(p, extent(n)), r) for n, p in band.items() for r in staying):
        return every
    return band


def _sub_document(doc: Document, node_ids) -> Document:
    """The nodes `node_ids` of `doc` and the edges between them, as a document."""
    sub = Document()
    keep = set(node_ids)
    for nid in node_ids:
        sub.add_node(doc.nodes[nid].kind, doc.nodes[nid].name, node_id=nid,
                     params=doc.nodes[nid].params)
    for e in doc.edges:
        if e.src in keep and e.dst in keep:
            sub.connect(e)
    return sub


def main_line(doc: Document, group: Mapping[str, Point],
              sizes: Mapping[str, Size] | None = None) -> float | None:
    """Across the graph's direction, the centre of the first node of the main path (the
    chain an auto layout runs down one line) of the nodes placed at `group`, where their
    wires come in; asked before they are replaced (`collapse`)."""
    from .layout import estimated_size, layers_of, main_path

    cross = 1 - direction_axis(doc)
    sub = _sub_document(doc, [n for n in group if n in doc.nodes])
    path = main_path(sub, layers_of(sub))
    if not path:
        return None
    extent = (sizes or {}).get(path[0]) or estimated_size(doc.nodes[path[0]].name)
    return group[path[0]][cross] + extent[cross] / 2


def collapse(doc: Document, group: Mapping[str, Point], size: Size = NODE_SIZE,
             sizes: Mapping[str, Size] | None = None, line: float | None = None
             ) -> tuple[Point, dict[str, Point]]:
    """Where one node of `size` standing in for the nodes placed at `group` goes, and the
    moves that close the gap the group leaves (the reverse of `in_place`).

    It stands where the group began along the graph's direction and, across it, centred
    on `line` (`main_line`: a residual unit's conv column, not midway between that and its
    projection's column, so the wires into and out of it run straight), else on the group.
    The nodes after the group, in its band across the direction (its column), move back
    by the room freed; every node after the group does where one of the band is wired to
    one beyond the group outside it (an inception module's side branches below: moving its
    middle branch alone took it out of its row); unless one would then cover another
    node: no moves then.

    >>> from kerascanvas.graph.document import Document
    >>> doc = Document()
    >>> for i, name in enumerate("abcd"):
    ...     _ = doc.add_node("Dense", node_id=name); doc.set_position(name, (0.0, 120.0 * i))
    >>> collapse(doc, {"b": (0.0, 120.0), "c": (0.0, 240.0)})
    ((0.0, 120.0), {'d': (0.0, 240.0)})
    """
    along = direction_axis(doc)
    cross = 1 - along
    box = bounding_box(group, sizes)
    pos = [0.0, 0.0]
    pos[along] = box[along]
    pos[cross] = ((box[cross] + box[2 + cross]) / 2 if line is None else line) - size[cross] / 2
    here = (float(pos[0]), float(pos[1]))
    freed = (box[2 + along] - box[along]) - size[along]
    if freed <= 0:
        return here, {}
    after = {n: p for n in doc.nodes if n not in group and (p := doc.position(n)) is not None
             and p[along] >= box[2 + along] - 0.5}
    band = {n for n, p in after.items() if p[cross] < box[2 + cross]
            and p[cross] + size_of(sizes, n)[cross] > box[cross]}
    if any((e.src in band) != (e.dst in band) and e.src in after and e.dst in after
           for e in doc.edges):
        band = set(after)  # the band is wired to nodes beside it below: all move together
    moves = {}
    for node_id in (n for n in after if n in band):  # in the document's order
        moved = list(after[node_id])
        moved[along] -= freed
        moves[node_id] = (float(moved[0]), float(moved[1]))
    rest = [rect_of(here, size)] + [rect_of(p, size_of(sizes, n)) for n in doc.nodes
                                    if n not in group and n not in moves
                                    and (p := doc.position(n)) is not None]
    if any(overlaps(rect_of(q, size_of(sizes, n)), r) for n, q in moves.items() for r in rest):
        return here, {}
    return here, moves
