"""Auto layout of the example projects, as given and with their blocks expanded, judged by
the geometry of the picture it makes: the main path runs down one straight column, the
branches into a merge stand side by side in the order of its ports, and the wires between
two rows neither cross each other nor run through a node, with room for their bends.

Ports are where the canvas draws them: spread evenly along a node's side (a merge shows
one free input after its last wired one), at the node sizes the layout assumes when it
has no drawn ones.
"""

from __future__ import annotations

import importlib.resources
from itertools import combinations

import pytest

from kerascanvas.graph.commands import UndoStack
from kerascanvas.graph.fixes import expand_block
from kerascanvas.graph.layout import estimated_size, layered_layout, layers_of, main_path
from kerascanvas.graph.layout_ports import output_count, port_count
from kerascanvas.graph.projectfile import load

EXAMPLES = importlib.resources.files("kerascanvas.resources") / "examples"
NAMES = sorted(p.name.removesuffix(".json") for p in EXAMPLES.iterdir()
               if p.name.endswith(".json"))
BLOCKY = ["densenet_small", "inception_net", "small_resnet"]  # examples with block nodes
CASES = [(n, False) for n in NAMES] + [(n, True) for n in BLOCKY]
# The canvas bends a wire that runs across 16 units below its output port and 16 above its
# input port (app/canvas/route_paths.BEND); with less room it takes a detour up and around.
BEND_ROOM = 2 * 16.0


class Picture:
    """An example laid out top to bottom in one column: node boxes and port positions."""

    def __init__(self, name: str, expanded: bool, aspect: float | None = None):
        self.doc = doc = load(EXAMPLES / f"{name}.json")
        if expanded:
            blocks = [n for n, node in doc.nodes.items() if node.spec.is_block]
            assert blocks, name
            for node_id in blocks:
                expand_block(doc, node_id, UndoStack())
        self.size = {n: estimated_size(node.name) for n, node in doc.nodes.items()}
        self.pos = layered_layout(doc, "TB", self.size, aspect=aspect)

    def box(self, n: str) -> tuple[float, float, float, float]:
        (x, y), (w, h) = self.pos[n], self.size[n]
        return (x, y, x + w, y + h)

    def centre(self, n: str) -> float:
        return self.pos[n][0] + self.size[n][0] / 2

    def port(self, n: str, index: int, output: bool) -> tuple[float, float]:
        """(x, y) of the node's output or input port `index`."""
        if output:
            count = output_count(self.doc, n)
        else:
            used = max(e.dst_port for e in self.doc.in_edges(n)) + 1
            count = port_count(self.doc, n, used)
        left, top, right, bottom = self.box(n)
        return (left + (right - left) * (index + 1) / (count + 1), bottom if output else top)

    def ends(self, e) -> tuple[tuple[float, float], tuple[float, float]]:
        return self.port(e.src, e.src_port, True), self.port(e.dst, e.dst_port, False)

    def main_wire(self, a: str, b: str) -> tuple[float, float]:
        """x of the ports of the wire(s) from `a` into `b`, each the mean over them."""
        wires = [self.ends(e) for e in self.doc.in_edges(b) if e.src == a]
        return (sum(o[0] for o, _ in wires) / len(wires), sum(i[0] for _, i in wires) / len(wires))


@pytest.fixture(scope="module", params=CASES, ids=lambda c: c[0] + ("-expanded" * c[1]))
def picture(request) -> Picture:
    return Picture(*request.param)


def test_the_main_path_runs_straight_down_one_column(picture):
    """Each wire of the main path runs straight down into its port. A node whose port is off
    its middle (an Add's in_0) stands aside for it, alone: the wire out of it goes back to
    the column its main wire came down, so the nodes after it do not drift sideways."""
    path = main_path(picture.doc, layers_of(picture.doc))
    aside = {}
    for a, b in zip(path, path[1:], strict=False):
        out, into = picture.main_wire(a, b)
        assert out - aside.get(a, 0.0) == pytest.approx(into), (a, b)
        aside[b] = picture.centre(b) - into


@pytest.mark.parametrize("aspect", [None, 1.4])
def test_an_expanded_resnet_keeps_one_column_per_column(aspect):
    """small_resnet expanded: every main-path node that does not stand aside for its port
    has its middle on one line in each column (there was a staircase: each Add moved the
    rest of the graph a quarter of a node to the right)."""
    pic = Picture("small_resnet", True, aspect)
    path = main_path(pic.doc, layers_of(pic.doc))
    columns, last_y = [[]], None
    for a, b in zip(path, path[1:], strict=False):
        if last_y is not None and pic.pos[b][1] < last_y:
            columns.append([])  # wrapped into the next column
        last_y = pic.pos[b][1]
        if abs(pic.centre(b) - pic.main_wire(a, b)[1]) < 1e-6:
            columns[-1].append(round(pic.centre(b), 6))
    assert len(columns) == (1 if aspect is None else len(columns))
    assert all(len(set(c)) == 1 for c in columns), columns


def branch(doc, source: str) -> list[str]:
    """The source and the nodes of its chain above it, each with one input and one output
    (none where the source itself feeds several: a skip straight from the fork)."""
    nodes = []
    while len({e.dst for e in doc.out_edges(source)}) == 1:
        nodes.append(source)
        ins = doc.in_edges(source)
        if len(ins) != 1:
            break
        source = ins[0].src
    return nodes


def merges(doc) -> dict[str, list]:
    """Node -> its input edges in port order, for nodes wired from several sources."""
    out = {}
    for n in doc.nodes:
        ins = sorted(doc.in_edges(n), key=lambda e: e.dst_port)
        if len({e.src for e in ins}) > 1:
            out[n] = ins
    return out


def test_the_branches_into_a_merge_stand_side_by_side_in_port_order(picture):
    """Each source of a merge leaves from left of the sources of its later ports, and the
    branches (the chains ending at those sources) stand side by side, left to right as the
    ports, not under or over one another."""
    for node, ins in merges(picture.doc).items():
        xs = [picture.ends(e)[0][0] for e in ins]
        assert xs == sorted(xs), (node, xs)
        sources = list(dict.fromkeys(e.src for e in ins))  # one into several ports: one branch
        spans = [(min(picture.box(n)[0] for n in nodes), max(picture.box(n)[2] for n in nodes))
                 for src in sources if (nodes := branch(picture.doc, src))]
        for (_, right), (left, _) in zip(spans, spans[1:], strict=False):
            assert right <= left, (node, spans)


def neighbour_wires(pic: Picture) -> list:
    """The wires between nodes of neighbouring rows (the rows being the nodes' tops)."""
    rows = sorted({y for _, y in pic.pos.values()})
    return [e for e in pic.doc.edges
            if rows.index(pic.pos[e.dst][1]) == rows.index(pic.pos[e.src][1]) + 1]


def crosses(p, q, r, s) -> bool:
    """Whether segment p-q crosses segment r-s (a strict crossing, not a shared end)."""
    def side(a, b, c):
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
    return side(p, q, r) * side(p, q, s) < 0 and side(r, s, p) * side(r, s, q) < 0


def through(p, q, box, steps: int = 64) -> bool:
    """Whether the straight wire p-q runs inside `box` (less 1 unit all round)."""
    left, top, right, bottom = box
    return any(left + 1 < p[0] + (q[0] - p[0]) * k / steps < right - 1
               and top + 1 < p[1] + (q[1] - p[1]) * k / steps < bottom - 1
               for k in range(steps + 1))


def test_wires_between_neighbouring_rows_have_room_and_cross_nothing(picture):
    """A wire between nodes of neighbouring rows that do not stand over one another runs
    across the whole gap between them: the gap leaves room for its two bends. Drawn
    straight from port to port, no two such wires cross and none runs through a node."""
    wires = neighbour_wires(picture)
    for e in wires:
        src, dst = picture.box(e.src), picture.box(e.dst)
        if src[2] <= dst[0] or dst[2] <= src[0]:
            assert dst[1] - src[3] >= BEND_ROOM, (e, dst[1] - src[3])
    for e, f in combinations(wires, 2):
        if (e.src, e.src_port) != (f.src, f.src_port) and (e.dst, e.dst_port) != (
                f.dst, f.dst_port):
            assert not crosses(*picture.ends(e), *picture.ends(f)), (e, f)
    for e in wires:
        p, q = picture.ends(e)
        hit = [n for n in picture.doc.nodes
               if n not in (e.src, e.dst) and through(p, q, picture.box(n))]
        assert not hit, (e, hit)


def test_wires_run_across_into_a_merge_only_with_room_for_their_bends(picture):
    """Where two or more wires run across into the ports of one merge (an inception
    block's branches converging), the gap above the merge leaves room for their bends."""
    for node, ins in merges(picture.doc).items():
        across = [e for e in ins if abs(picture.ends(e)[0][0] - picture.ends(e)[1][0]) > 1]
        if len(across) > 1:
            above = max(picture.box(n)[3] for n in picture.doc.nodes
                        if picture.box(n)[3] <= picture.box(node)[1])
            assert picture.box(node)[1] - above >= BEND_ROOM, node


# Sizes the canvas draws densenet_small's nodes at (one line of text; the Dense two), as
# measured in a 1500 x 920 window; the others are 150 x 41.8.
DRAWN = {"BatchNormalization": 188.5, "transition1": 176.0, "dense2": 164.8, "pool": 200.7,
         "classes": 164.3}


def drawn_size(node) -> tuple[float, float]:
    width = DRAWN.get(node.name, DRAWN.get(node.kind, 150.0))
    return (width, 60.5 if node.name == "classes" else 41.8)


@pytest.mark.parametrize("aspect", [0.6, 1.0, 1.24, 1.6, 2.0, 2.5])
@pytest.mark.parametrize("drawn", [False, True], ids=["estimated", "drawn"])
def test_columns_of_an_expanded_dense_block_end_between_its_layers(aspect, drawn):
    """densenet_small with dense1 expanded, laid out in columns: each column begins with a
    dense layer's first node (dense1_l2_bn1), never in the middle of one (dense1_l3_concat
    at the top of a column, its two inputs climbing to it from the column before), where
    a cut between layers gives a picture nearly as large. Nodes at their estimated sizes
    (a headless layout) or about as drawn (a 1500 x 920 window's view, aspect 1.24, put
    dense1_l3_concat at the top of the third column; wide views, dense1_l1_concat)."""
    import re

    doc = load(EXAMPLES / "densenet_small.json")
    expand_block(doc, next(n for n, node in doc.nodes.items() if node.name == "dense1"),
                 UndoStack())
    sizes = {n: drawn_size(node) for n, node in doc.nodes.items()} if drawn else None
    pos = layered_layout(doc, "TB", sizes, aspect=aspect)
    tops = sorted(doc.nodes[n].name for n, (_, y) in pos.items() if y == 0.0)
    assert len(tops) > 2
    assert all(re.fullmatch(r"image|transition1|dense1_l\d_bn1", name) for name in tops), tops
