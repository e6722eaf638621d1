"""Where a layered layout's columns end: a long model cut into columns that fill the view.

A cut costs more where several tensors would have to wrap from one column to the next,
and more inside a repeated unit (layers named `block_3_*` or `conv2_block1_*` belong to
one unit, see `unit_key`); of the cuts that give columns of about one height, the
cheapest is taken, and of the column counts, the one whose picture fills a view of the
given aspect ratio largest, or nearly as large (`CUT_SLACK`) with cheaper cuts, its cuts
moved to cheaper ones nearby where the picture stays that large. Pure, no Qt;
`graph.layout` places the nodes in the columns.
"""

from __future__ import annotations

import bisect
import re

from .document import Document

CUT_FROM = 0.5  # a column may end early, at a cheaper cut, once this share of it is full
EMPTY_COST = 2.0  # what leaving a whole column empty costs, against the costs of cuts
# A column no taller than this (a dozen plain layers) is never cut: a canvas of a usual
# window shows it whole at a readable zoom (0.7: 630 px), so columns would only add wires
# that climb back up between them (a 5-layer CNN imported as 3 + 2 layers).
WRAP_FROM = 900.0
# Of the largest picture's scale, what cuts between units may give up: in a wide view, the
# first DenseNet layer whole beside a short column of the stem is 11% smaller than with
# its concat at the top of the next column.
CUT_SLACK = 0.12
# Where every cut within CUT_SLACK would wrap several tensors (a residual block split, its
# skip and its main path both climbing to the next column), or cut inside a unit, what cuts
# that do neither (or wrap one tensor) may give up: the expanded small_resnet in a 2.5-wide
# view split res2 for a picture 13% larger, and VGG16 in a 3.0-wide one cut block3 and
# block4 for a picture 17% larger than with each block in a column of its own.
BLOCK_SLACK = 0.2
TENSOR_COST = 4.0  # the cost of a cut for each tensor past the first that wraps there
_INDEXED_ROLE = re.compile(r"[A-Za-z]+[0-9]+")  # a role and its index in a unit: conv1, bn2


def unit_key(name: str) -> str:
    """The repeated unit a layer name belongs to: its name without the role suffix.

    A role may end in its index within the unit (`conv1`, `bn2`): the layers of an
    expanded block (`res1_conv1` .. `res1_out`) and VGG's (`block1_conv2`, `block1_pool`)
    each make one unit.

    >>> [unit_key(n) for n in ("block_3_expand_BN", "conv2_block1_1_conv", "conv2_block1_out",
    ...                         "expanded_conv_project", "conv2d_1", "dense")]
    ['block_3', 'conv2_block1', 'conv2_block1', 'expanded', 'conv2d_1', 'dense']
    >>> [unit_key(n) for n in ("res1_conv1", "res1_bn2", "res1_add", "residual_block_1_relu1",
    ...                         "residual_block_1_out", "block1_conv2", "max_pooling2d")]
    ['res1', 'res1', 'res1', 'residual_block_1', 'residual_block_1', 'block1', 'max_pooling2d']
    """
    tokens = name.split("_")
    if len(tokens) > 1 and _INDEXED_ROLE.fullmatch(tokens[-1]):
        tokens.pop()
    while len(tokens) > 1 and not any(c.isdigit() for c in tokens[-1]):
        tokens.pop()
    if len(tokens) > 2 and tokens[-1].isdigit() and any(c.isdigit() for c in tokens[-2]):
        tokens.pop()  # conv2_block1_1 -> conv2_block1: the index of a layer inside its block
    return "_".join(tokens)


def unit_starts(doc: Document, slots) -> set[int]:
    """Layers that begin a new unit (their names share no unit with the layer before),
    where that unit or the one before spans at least three layers."""
    keys = [{unit_key(doc.nodes[n].name) for n, _ in nodes} for nodes in slots]
    changes = [i for i in range(1, len(keys)) if not keys[i] & keys[i - 1]]
    bounds = [0, *changes, len(keys)]
    long_units = {bounds[k] for k in range(len(bounds) - 1) if bounds[k + 1] - bounds[k] >= 3}
    return {i for k, i in enumerate(changes, 1) if i in long_units or bounds[k - 1] in long_units}


def break_costs(doc: Document, layer, count: int, starts: set[int]) -> list[float]:
    """cost[i]: how bad a column break before layer i is.

    Each extra node whose tensors would wrap to the next column costs `TENSOR_COST`;
    cutting a repeated unit (no unit starts at i, and layer i - 1 is not all pooling
    layers, which end a stage of a CNN whose layers are named one by one) costs 1.
    """
    sources: list[set[str]] = [set() for _ in range(count + 1)]
    for e in doc.edges:
        if e.src in layer and e.dst in layer:
            for i in range(layer[e.src] + 1, layer[e.dst] + 1):
                sources[i].add(e.src)
    ends = stage_ends(doc, layer, count)
    return [TENSOR_COST * max(len(sources[i]) - 1, 0)
            + (0.0 if i in starts or i - 1 in ends else 1.0) for i in range(count)]


def stage_ends(doc: Document, layer, count: int) -> set[int]:
    """Layers whose nodes are all pooling layers (a MaxPooling2D after a stage's convolutions).

    >>> doc = Document()
    >>> a = doc.add_node("Input", params={"shape": [8, 8, 1]}); p = doc.add_node("MaxPooling2D")
    >>> stage_ends(doc, {a.id: 0, p.id: 1}, 2)
    {1}
    """
    pooling = [True] * count
    for node_id, index in layer.items():
        pooling[index] = pooling[index] and _category(doc.nodes[node_id]) == "Pooling"
    return {i for i, only in enumerate(pooling) if only}


def _category(node) -> str | None:
    try:
        return node.spec.category
    except KeyError:  # a kind this version does not know (a file from a later one)
        return None


def _pack(thick, lead, cost, target: float, gap: float) -> list[tuple[int, int]]:
    """Cut the layers into columns of about `target` height, where cuts cost least."""
    columns, start, n = [], 0, len(thick)
    while start < n:
        height, end = thick[start], start + 1
        heights = [height]  # heights[k]: layers start .. start + k stacked
        while end < n and height + gap + lead[end] + thick[end] <= target:
            height += gap + lead[end] + thick[end]
            heights.append(height)
            end += 1
        if end < n:
            end = _cheapest_cut(heights, cost, start, target)
        columns.append((start, end))
        start = end
    return columns


def _cheapest_cut(heights, cost, start, target) -> int:
    """The cut in (start, end] that costs least, counting the space a short column leaves.

    `heights[k]` is the height of the layers start .. start + k; the last cut considered
    is after them all. Only cuts where the column is `CUT_FROM` full are considered.
    """
    end = start + len(heights)
    best, best_score = end, None
    first = max(bisect.bisect_left(heights, CUT_FROM * target) - 1, 0)  # a rounding's room
    for k in range(first, len(heights)):
        fill = heights[k] / target
        if fill >= CUT_FROM:
            score = cost[start + k + 1] + EMPTY_COST * (1.0 - fill)
            if best_score is None or score <= best_score:
                best, best_score = start + k + 1, score
    return best


def best_columns(thick, lead, spans, cost, gap, view, wide=None) -> list[tuple[int, int]]:
    """The column cut whose picture fits largest into a view of aspect `view`, or of those
    within `CUT_SLACK` of it, the one whose cuts cost least (`break_costs`). `wide`: per
    layer, whether wires go around it on the right (`column_gap`)."""
    n = len(thick)
    if n == 0:
        return []
    total = sum(thick) + gap[1] * (n - 1) + sum(lead)
    if view is None or total <= WRAP_FROM:
        return [(0, n)]
    best, best_scale = [(0, n)], 0.0
    targets = sorted({total / k * f for k in range(1, min(n, 60) + 1) for f in (1.0, 1.06, 1.12)},
                     reverse=True)
    made = []  # (columns, scale), fewer columns first
    for target in targets:
        columns = _pack(thick, lead, cost, max(target, max(thick)), gap[1])
        scale = _scale(columns, (thick, lead, spans, gap, wide), view)
        if scale is None:
            continue
        made.append((columns, scale))
        if scale > best_scale * 1.02:  # more columns only when clearly larger
            best, best_scale = columns, scale
    # Of the cuts nearly as large, the one that splits fewest units and wraps fewest tensors
    # (a DenseNet layer's concat cut from its layers, at the top of the next column)
    shape = (thick, lead, spans, gap, wide)
    chosen = _least_cost(made, cost, shape, view, (1.0 - CUT_SLACK) * best_scale) or best
    if _faults(chosen, cost) > (False, False):
        wider = _least_cost(made, cost, shape, view, (1.0 - BLOCK_SLACK) * best_scale)
        if wider is not None and _faults(wider, cost) < _faults(chosen, cost):
            chosen = wider
    return chosen


def _least_cost(made, cost, shape, view, floor) -> list | None:
    """Of the cuts `made` ((columns, scale) pairs) whose picture is `floor` large, each with
    its cuts moved to cheaper ones nearby (`_cheaper_cuts`), the one that costs least."""
    near = [_cheaper_cuts(columns, cost, shape, view, floor)
            for columns, scale in made if scale >= floor]
    return min(near, key=lambda c: c[:2])[2] if near else None


def _faults(columns, cost) -> tuple[bool, bool]:
    """(whether at one of the cuts of `columns` several tensors wrap to the next column,
    whether one is inside a unit): the first is the worse."""
    return (any(cost[a] >= TENSOR_COST for a, _ in columns[1:]),
            any(cost[a] % TENSOR_COST for a, _ in columns[1:]))


def _scale(columns, shape, view) -> float | None:
    """How large the columns' picture fits into a view of aspect `view`; None where the last
    layer stands alone in a column of its own, a wire climbing to it. `shape`: (thick, lead,
    spans, gap, wide) of `best_columns`."""
    if columns[-1][1] - columns[-1][0] == 1 < len(columns):
        return None
    width, height = _extent(columns, *shape)
    return min(view / width, 1.0 / height) if width and height else 0.0


def _cheaper_cuts(columns, cost, shape, view, floor) -> tuple[float, float, list]:
    """(cost, -scale, columns): `columns` with its cuts moved, one at a time, to the nearest
    cheaper cut before or after them while the picture stays `floor` large. Packing to one
    height only ends a column early (the cheapest cut that fills it `CUT_FROM`), never
    late: a DenseNet layer's concat, one layer past the height, went to the next column."""
    def judged(cols):
        scale = _scale(cols, shape, view)
        return None if scale is None else (sum(cost[a] for a, _ in cols[1:]), -scale, cols)

    now = judged(columns)
    while True:
        moved = [judged(cols) for cols in _moves(now[2], cost)]
        moved = [m for m in moved if m is not None and -m[1] >= floor]
        better = min(moved, key=lambda m: m[:2], default=None)
        if better is None or better[:2] >= now[:2]:
            return now
        now = better


def _moves(columns, cost):
    """`columns` with one of its cuts moved to the nearest cheaper cut on either side of
    it, where the columns on both sides keep a layer; and each of those with the column
    that grew split where it costs least (a short first column, the stem, beside the
    first DenseNet layer made whole)."""
    for j in range(1, len(columns)):
        low, cut, high = columns[j - 1][0], columns[j][0], columns[j][1]
        before = (c for c in range(cut - 1, low, -1) if cost[c] < cost[cut])
        after = (c for c in range(cut + 1, high) if cost[c] < cost[cut])
        for c in (c for c in (next(before, None), next(after, None)) if c is not None):
            moved = [*columns[:j - 1], (low, c), (c, high), *columns[j + 1:]]
            yield moved
            yield from _split(moved, j - 1 if c > cut else j, cost)  # the column that grew


def _split(columns, j, cost):
    """`columns` with column j cut in two where it costs least, nearest its middle."""
    a, b = columns[j]
    if b - a > 1:
        cut = min(range(a + 1, b), key=lambda c: (cost[c], abs(2 * c - a - b)))
        yield [*columns[:j], (a, cut), (cut, b), *columns[j + 1:]]


def column_gap(gap, wide: bool = False) -> float:
    """The space between two columns, from the (node, layer) `gap`; `wide` where wires go
    around the left column on its right (a ResNet's skips into the Adds' in_1): room for
    the wire into the next column to climb past their lanes instead of inside them."""
    # room for the wires that wrap and for detours beside the nodes
    return (1.7 + (1.1 if wide else 0.0)) * gap[0]


def _extent(columns, thick, lead, spans, gap, wide=None) -> tuple[float, float]:
    """(cross size, along size) of the columns placed side by side."""
    lefts, rights = [s[0] for s in spans], [s[1] for s in spans]
    cross = sum(max(rights[a:b]) - min(lefts[a:b]) for a, b in columns) \
        + sum(column_gap(gap, any((wide or [])[a:b])) for a, b in columns[:-1])
    along = max(sum(thick[a:b]) + gap[1] * (b - a - 1) + sum(lead[a + 1:b]) for a, b in columns)
    return cross, along
