"""Where new nodes go: between two wired nodes, in the graph's direction, overlapping none.

Positions are top-left corners in scene units, as in `Document.position`. Node
sizes are not stored in the document; a caller that draws the nodes passes them
(the window does), otherwise `NODE_SIZE` is assumed: a little larger than a drawn
layer node (150 x 42, 61 with an output ring), and the one size the auto layout
(`layout.estimated_size`) assumes too, so nodes placed here and nodes laid out
there agree on where a node ends.

>>> from kerascanvas.graph.document import Document, Edge
>>> doc = Document()
>>> a, b = doc.add_node("Input", params={"shape": [4]}), doc.add_node("Dense")
>>> doc.set_position(a.id, (0, 0)); doc.set_position(b.id, (0, 110))
>>> pos, moves = between(doc, a.id, b.id)
>>> pos, moves[b.id]
((0.0, 98.0), (0.0, 196.0))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .document import Document

NODE_SIZE = (180.0, 64.0)
GAP = 34.0  # between a node and the next one along the graph's direction
# What a bent wire gets beyond GAP: room for its bend and, beside it, its shape label
BENT_ROOM = 40.0

Size = tuple[float, float]
Point = tuple[float, float]
# Node ids -> their sizes as they will be drawn, measured from the document as it is (the
# window's `canvas.measure.drawn_sizes`): an edit that adds nodes places them at these.
Measure = Callable[[list[str]], Mapping[str, Size]]


def size_of(sizes: Mapping[str, Size] | None, node_id: str) -> Size:
    return (sizes or {}).get(node_id, NODE_SIZE)


def direction_axis(doc: Document) -> int:
    """1 when the wires run downwards (a top-to-bottom graph), 0 when they run rightwards.

    Every wire votes for each axis on which its end lies beyond its start. In a
    layered graph nearly all wires point forward on the flow axis; across it only
    the wires into a wide merge, or those jumping to the next column of a wrapped
    layout, do.
    """
    votes = [0, 0]
    for e in doc.edges:
        a, b = doc.position(e.src), doc.position(e.dst)
        if a is not None and b is not None:
            for axis in (0, 1):
                votes[axis] += b[axis] > a[axis]
    return 1 if votes[1] >= votes[0] else 0


def between(doc: Document, src: str, dst: str, size: Size = NODE_SIZE,
            sizes: Mapping[str, Size] | None = None, at: Point | None = None,
            ignore: str | None = None) -> tuple[Point | None, dict[str, Point]]:
    """A place for a new node of `size` on the wire src -> dst, and the moves that make room.

    The new node sits after `src` in the direction the wire runs, centred on
    `src` across it. When the gap before `dst` is too small, `dst` and every node
    at or beyond it along that direction move on by what is missing, so the rows
    after the insertion keep their layout. A bent wire (its ends not on one line)
    gets `BENT_ROOM` more, for the bend and its shape label. Where that place covers
    a node (another branch of `src`), the new node sits just before `dst`, centred on
    it, or failing that the nearest free place across the direction.

    A wire that runs across the graph's direction between two nodes on one line of it
    (a merge drawn beside its branch) is taken the way it runs: the new node goes
    between them on that line, and only `dst` and the nodes after it in the graph
    move on, if there is no room.

    `at` is where the node was dropped on the wire (its centre): along a straight wire
    with room to spare the node goes there; on a wire to the next column, to the free
    place nearest the drop (a block dropped on a wrapped wire went midway between the
    columns, among other nodes).

    `ignore` is a node placed already that is the one being put on the wire: it is no
    obstacle to its own new place.
    """
    ps, pd = doc.position(src), doc.position(dst)
    if ps is None or pd is None:
        return (ps or pd), {}
    src_size, dst_size = size_of(sizes, src), size_of(sizes, dst)
    along = _wire_axis(doc, ps, pd, src_size)
    cross = 1 - along
    dropped = None if at is None else (at[0] - size[0] / 2, at[1] - size[1] / 2)
    if pd[along] < ps[along]:  # a wire to the next column: by the drop, or midway
        if dropped:
            return _free_near(doc, dropped, size, sizes), {}
        return free_spot(doc, _midway(ps, pd), size, sizes), {}
    sideways = along != direction_axis(doc)
    src_mid = ps[cross] + src_size[cross] / 2
    dst_mid = pd[cross] + dst_size[cross] / 2
    bend = BENT_ROOM if abs(src_mid - dst_mid) > 1.0 else 0.0
    src_end = ps[along] + src_size[along]
    room = pd[along] - src_end
    need = size[along] + 2 * GAP + bend
    moves = {} if room >= need else shift_from(
        doc, pd[along], along, need - room, doc.downstream([dst]) if sideways else None)
    new = [0.0, 0.0]
    new[cross] = src_mid - size[cross] / 2
    new[along] = src_end + GAP if bend else src_end + (max(room, need) - size[along]) / 2
    if dropped and not bend and room > need:  # on a long wire: where it was dropped
        new[along] = min(max(dropped[along], src_end + GAP), pd[along] - GAP - size[along])
    if not _covers(doc, rect_of((new[0], new[1]), size), moves, sizes, ignore):
        return (float(new[0]), float(new[1])), moves
    before_dst = [0.0, 0.0]  # the wire's bend and label then lie before the new node
    before_dst[cross] = dst_mid - size[cross] / 2
    before_dst[along] = moves.get(dst, pd)[along] - GAP - size[along]
    if not _covers(doc, rect_of((before_dst[0], before_dst[1]), size), moves, sizes, ignore):
        return (float(before_dst[0]), float(before_dst[1])), moves
    return _free_across(doc, (new[0], new[1]), size, moves, sizes, cross, ignore), moves


def _wire_axis(doc: Document, ps: Point, pd: Point, src_size: Size) -> int:
    """The axis the wire from a node at `ps` to one at `pd` runs along: the graph's
    direction, but for a wire across it between two nodes on one line of it (a merge
    drawn beside its branch's last layer, its wire running sideways): that one runs
    across, and a node inserted on it goes between them on that line."""
    along = direction_axis(doc)
    cross = 1 - along
    beside = abs(pd[along] - ps[along]) < src_size[along]
    return cross if beside and pd[cross] > ps[cross] + src_size[cross] / 2 else along


def _covers(doc: Document, rect: Rect, moves: Mapping[str, Point],
            sizes: Mapping[str, Size] | None, ignore: str | None = None) -> bool:
    """Whether `rect` meets a placed node of `doc` (but `ignore`), the nodes in `moves`
    where they move to."""
    for node_id in doc.nodes:
        if node_id == ignore:
            continue
        pos = moves.get(node_id) or doc.position(node_id)
        if pos is not None and overlaps(rect, rect_of(pos, size_of(sizes, node_id))):
            return True
    return False


def _free_across(doc: Document, pos: Point, size: Size, moves: Mapping[str, Point],
                 sizes: Mapping[str, Size] | None, cross: int,
                 ignore: str | None = None) -> Point:
    """`pos` moved on the `cross` axis (across the wire), to either side, by the least that
    puts a node of `size` there on no node (the nodes in `moves` where they move to)."""
    step = size[cross] / 4
    for k in range(1, 4000):  # a bounded walk: 1000 node widths to each side
        moved = list(pos)
        moved[cross] += step * ((k + 1) // 2) * (1 if k % 2 else -1)
        if not _covers(doc, rect_of((moved[0], moved[1]), size), moves, sizes, ignore):
            return (float(moved[0]), float(moved[1]))
    return pos


def _free_near(doc: Document, pos: Point, size: Size,
               sizes: Mapping[str, Size] | None) -> Point:
    """`pos`, or the nearest place (any way, to 400 units) where a node of `size` keeps
    half a `GAP` from every node (its wires and ports stay in view): a node dropped by
    one stays by the pointer. Beyond that: `free_spot`."""
    steps = sorted(((dx * 8.0, dy * 8.0) for dx in range(-50, 51) for dy in range(-50, 51)
                    if dx * dx + dy * dy <= 2500), key=lambda d: d[0] ** 2 + d[1] ** 2)
    pad = GAP / 2
    for dx, dy in steps:
        x, y = pos[0] + dx, pos[1] + dy
        if not _covers(doc, (x - pad, y - pad, x + size[0] + pad, y + size[1] + pad), {},
                       sizes):
            return (float(x), float(y))
    return free_spot(doc, pos, size, sizes)


def shift_from(doc: Document, start: float, along: int, distance: float,
               among: set[str] | None = None) -> dict[str, Point]:
    """Every placed node (of `among`, when given) at or beyond `start` on the `along` axis,
    moved on by `distance`."""
    moves = {}
    for node_id in doc.nodes if among is None else among:
        pos = doc.position(node_id)
        if pos is not None and pos[along] >= start - 0.5:
            moved = list(pos)
            moved[along] += distance
            moves[node_id] = (float(moved[0]), float(moved[1]))
    return moves


def _midway(a: Point, b: Point) -> Point:
    return ((a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0)


# ---- groups: pasted selections and expanded blocks ------------------------------
Rect = tuple[float, float, float, float]


def rect_of(pos: Point, size: Size) -> Rect:
    return (pos[0], pos[1], pos[0] + size[0], pos[1] + size[1])


def overlaps(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _bounds(rects: list[Rect]) -> Rect:
    return (min(r[0] for r in rects), min(r[1] for r in rects),
            max(r[2] for r in rects), max(r[3] for r in rects))


def bounding_box(positions: Mapping[str, Point],
                 sizes: Mapping[str, Size] | None = None) -> Rect:
    """The rectangle around nodes placed at `positions` (top-left corners)."""
    return _bounds([rect_of(p, size_of(sizes, n)) for n, p in positions.items()])


def free_shift(doc: Document, group: Mapping[str, Point], shift: Point,
               sizes: Mapping[str, Size] | None = None) -> Point:
    """`shift`, or the nearest one across the graph's direction, that puts the group (node ->
    position) where it overlaps no placed node of `doc`.

    >>> from kerascanvas.graph.document import Document
    >>> doc = Document()
    >>> a = doc.add_node("Dense"); doc.set_position(a.id, (0, 0))
    >>> free_shift(doc, {"copy": (0, 0)}, (40, 40))
    (254.0, 40.0)
    """
    placed = [rect_of(p, size_of(sizes, n)) for n in doc.nodes
              if n not in group and (p := doc.position(n)) is not None]
    if not group:
        return shift
    box = bounding_box(group, sizes)
    cross = 1 - direction_axis(doc)
    step = box[2 + cross] - box[cross] + GAP
    moved = [float(shift[0]), float(shift[1])]
    for _ in range(1000):  # a bounded walk: a canvas never holds that many groups in a row
        rects = [rect_of((p[0] + moved[0], p[1] + moved[1]), size_of(sizes, n))
                 for n, p in group.items()]
        # Only nodes within the group's box can be covered: the others are not paired with
        # each node of the group (177 x 177 pairs at each try, for a paste of a ResNet50).
        around = _bounds(rects)
        near = [o for o in placed if overlaps(o, around)]
        if not any(overlaps(r, o) for r in rects for o in near):
            break
        moved[cross] += step
    return (moved[0], moved[1])


def free_spot(doc: Document, pos: Point, size: Size = NODE_SIZE,
              sizes: Mapping[str, Size] | None = None) -> Point:
    """`pos`, or the nearest place across the graph's direction where a new node of `size`
    covers no placed node.

    >>> from kerascanvas.graph.document import Document
    >>> doc = Document()
    >>> a = doc.add_node("Dense"); doc.set_position(a.id, (0, 0))
    >>> free_spot(doc, (40, 40))
    (254.0, 40.0)
    """
    shift = free_shift(doc, {"": pos}, (0.0, 0.0), {**(sizes or {}), "": size})
    return (float(pos[0] + shift[0]), float(pos[1] + shift[1]))


def after(doc: Document, node_id: str, size: Size = NODE_SIZE,
          sizes: Mapping[str, Size] | None = None) -> Point:
    """A free place for a new node of `size` after `node_id` in the graph's direction
    (centred on it across), where a layer added next in a chain goes.

    >>> from kerascanvas.graph.document import Document
    >>> doc = Document()
    >>> a = doc.add_node("Input", params={"shape": [4]}); doc.set_position(a.id, (0, 0))
    >>> after(doc, a.id)
    (0.0, 98.0)
    """
    pos = doc.position(node_id) or (0.0, 0.0)
    along = direction_axis(doc)
    cross = 1 - along
    own = size_of(sizes, node_id)
    new = [0.0, 0.0]
    new[along] = pos[along] + own[along] + GAP
    new[cross] = pos[cross] + own[cross] / 2 - size[cross] / 2
    return free_spot(doc, (new[0], new[1]), size, sizes)


def beside(doc: Document, group: Mapping[str, Point],
           sizes: Mapping[str, Size] | None = None) -> Point:
    """The shift that puts a copy of `group` next to it, across the graph's direction."""
    box = bounding_box(group, sizes)
    cross = 1 - direction_axis(doc)
    shift = [0.0, 0.0]
    shift[cross] = box[2 + cross] - box[cross] + GAP
    return free_shift(doc, group, (shift[0], shift[1]), sizes)
