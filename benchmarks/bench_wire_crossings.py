"""Do wires run through nodes, or across each other? Counts, over every wire of each
example project (those with block nodes once more with their blocks expanded, as
"Expand block" does) and of an imported ResNet50, the wires whose path passes through a
third node (one that is neither end of the wire) and the pairs of wires whose paths
cross (two wires sharing a port are not compared): after the load (or the expansion),
after auto layout (Ctrl+L), and after nodes are dragged across others with the mouse.
Also prints the CPU seconds the load spent routing wires.

    python benchmarks/bench_wire_crossings.py                 # examples and ResNet50
    python benchmarks/bench_wire_crossings.py --project FILE [--expand]  # one project
    python benchmarks/bench_wire_crossings.py --against main~1 --rounds 3

With `--against REV` each project (not expanded) is measured in fresh processes,
alternately on the code of REV and on this tree, and the medians of the routing time at
load are compared.

Figures (2026-11-30, offscreen, 1600x1000 window; wires through a third node / all wires,
over the 11 examples and an imported ResNet50; the drags move 4 nodes each to the nearest
free spot on their row past another node):

    d347e85:   after load 1/267, after Ctrl+L 14/267, after drags 15/267
        (ResNet50 1 / 11 / 12 of 192: skips turning into their Add under a row 22 units
        above it; attention_states 2 and seq2seq 1 after layout)
    23ef83a:   after load 0/267, after Ctrl+L 0/267, after drags 2/267
        (ResNet50 after the drags: a node dropped two columns away from its neighbours,
        whose two wires ran across the column between through one of its nodes)
    1c7d7e8:   after load 0/267, after Ctrl+L 0/267, after drags 0/267
        (those two cross the column between in a gap between its rows)

The same with the expanded examples and the pairs of wires that cross (through a third
node + pairs crossing / all wires, 405 wires):

    1c7d7e8:   after load 0+5/405, after Ctrl+L 0+6/405, after drags 1+142/405
        (after Ctrl+L: inception_net expanded 4, each block's b3 wire into in_2 crossing
        b1's and b4's: rows 22 units apart, so the wires between branches and merge
        climbed around; attention_states 1, the LSTM's two states' detours; small_resnet
        expanded 1, the wire into the next column up the skip's lane)
    82776e0:   after load 0+1/405, after Ctrl+L 0+2/405, after drags 0+134/405
        (inception_net expanded 0, its rows 44 units apart where wires run across;
        attention_states and small_resnet expanded as before)
    57cc9e5:   after load 0+0/405, after Ctrl+L 0+1/405, after drags 0+131/405
        (attention_states 0: the states' detours nest in that room; left: small_resnet
        expanded, the wire into the next column up its first block's skip lane)
    this tree: after load 0+0/405, after Ctrl+L 0+0/405, after drags 0+131/405
        (a column with skips on its right is set further from the next, and the wire
        into the next column climbs one lane past them)

The drags drop nodes at places no layout chose; their counts are there to catch wires
that run through nodes, which no drag may cause.

Per project it prints the CPU seconds in `route` during the load, and the time to draw
every wire again after each step (`draw_path`, least of 15 redraws, thread CPU, as in a
batch of moves). With `--against REV` it also prints the redraws one wire at a time (each
wire asking the scene for its nodes) and `route` alone for every wire, REV's routing
against this tree's in one process (least of 40 alternating passes; REV's canvas
modules are imported from a `git archive` of REV, `bench_edit_large.tree_of`, however
it splits them). The figures against 23ef83a are in the README.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from PySide6 import QtCore

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("KERASCANVAS_DATA_DIR", tempfile.mkdtemp())

EXAMPLES = os.path.join(ROOT, "resources", "examples")
DRAGS = 4  # nodes dragged across the others, one after the other
REDRAWS = 15  # timed redraws of all wires after each step (the least is kept)
STEPS = ("load", "layout", "drag")


def count(window) -> tuple[int, int, int, list[str]]:
    """Wires through a third node, pairs of wires that cross each other, all wires, and up
    to five examples of each ('wire through node', 'wire x wire')."""
    from tests.app.wire_geometry import third_node_crossings, wire_crossings

    pipes = window.canvas.viewer.pipe_items()
    found = third_node_crossings(pipes, list(window.canvas.views.values()))
    crossed = wire_crossings(pipes)
    wires = {pipe for pipe, _ in found}
    named = [f"{wire_name(p)} through {n.name}" for p, n in found[:5]]
    named += [f"{wire_name(p)} x {wire_name(q)}" for p, q in crossed[:5]]
    return len(wires), len(crossed), len(pipes), named


def wire_name(pipe) -> str:
    return (f"{pipe.output_port.node.name}.{pipe.output_port.name}->"
            f"{pipe.input_port.node.name}.{pipe.input_port.name}")


def expand_blocks(window) -> int:
    """Expand every block node of the window's project (as its "Expand block" does); how
    many were expanded."""
    blocks = [n for n, node in window.doc.nodes.items() if node.spec.is_block]
    for node_id in blocks:
        window.expand_block(node_id)
    return len(blocks)


def timed_routing():
    """Wrap the canvas' routing with a CPU-time counter; returns the list it adds to."""
    from kerascanvas.app.canvas import pipe_item as pipes  # where wires call `route`

    spent = [0.0]
    route = pipes.route

    def counted(*args, **kwargs):
        began = time.process_time()
        try:
            return route(*args, **kwargs)
        finally:
            spent[0] += time.process_time() - began

    pipes.route = counted
    return spent


def draw_ms(window, batched: bool, rounds: int = REDRAWS) -> float:
    """Milliseconds of thread CPU time to draw every wire again (`draw_path`: routing and
    the arrow; labels are queued), least of `rounds` redraws. `batched`: as the canvas
    draws the wires after a load, a layout or a move, with the nodes looked up once for
    all of them; else each wire asks the scene for the nodes near it (a wire drawn alone)."""
    from kerascanvas.app.canvas.pipes import LayerPipeItem

    pipes = window.canvas.viewer.pipe_items()
    best = float("inf")
    for _ in range(rounds):
        began = time.thread_time()
        LayerPipeItem.node_rects = {} if batched else None
        try:
            for pipe in pipes:
                pipe.draw_path(pipe.input_port, pipe.output_port)
        finally:
            LayerPipeItem.node_rects = None
        best = min(best, time.thread_time() - began)
    return 1000 * best


def route_calls(window) -> list[tuple]:
    """The arguments of `route` for every wire of the window, as drawn now (the nodes
    bucketed once, as in a batch of moves)."""
    from functools import partial

    from kerascanvas.app.canvas import pipe_item as pipes  # where wires call `route`

    views = list(window.canvas.views.values())
    columns = pipes.NodeColumns([(item, item.sceneBoundingRect()) for item in views])
    made, route = [], pipes.route

    def record(start, end, nodes_in, ends, offset=0.0):
        skip = {item for item, rect in columns.rects if rect in ends}
        made.append((start, end, partial(columns.meeting, skip=skip), ends, offset))
        return route(start, end, nodes_in, ends, offset)

    pipes.route = record
    try:
        for pipe in window.canvas.viewer.pipe_items():
            pipe.draw_path(pipe.input_port, pipe.output_port)
    finally:
        pipes.route = route
    return made


def canvas_module(canvas_dir: str, name: str):
    """Module `name` of the canvas package in `canvas_dir` (another revision's
    kerascanvas/app/canvas, from `tree_of`), imported beside this tree's: as a package of
    its own, so that its imports of its sibling modules (routes.py on route_paths.py) find
    that revision's, whether it kept the routing in one file or in several. The package's
    __init__ is not run."""
    import importlib
    import types

    package = "rev_canvas"  # one other revision per process
    if package not in sys.modules:
        module = types.ModuleType(package)
        module.__path__ = [canvas_dir]
        sys.modules[package] = module
    return importlib.import_module(f"{package}.{name}")


def route_ms_side_by_side(window, other_canvas: str, rounds: int = 40) -> list[float]:
    """Milliseconds of thread CPU to route every wire once with the routing of another
    revision (`other_canvas`: its canvas package folder) and with this tree's, least of
    `rounds` passes, alternating."""
    from kerascanvas.app.canvas import routes

    other = canvas_module(other_canvas, "routes")
    calls, best = route_calls(window), [float("inf"), float("inf")]
    for r in range(rounds):
        for side in ((0, 1) if r % 2 == 0 else (1, 0)):
            began = time.thread_time()
            for args in calls:
                (other, routes)[side].route(*args)
            best[side] = min(best[side], time.thread_time() - began)
    return [1000 * t for t in best]


def free_spot(window, node_id) -> QtCore.QPointF | None:
    """Where to drag the node's centre: the nearest spot on its row, left or right, that
    lies past at least one other node and leaves room around the node (none near it)."""
    views = window.canvas.views
    box = views[node_id].sceneBoundingRect()
    others = [v.sceneBoundingRect() for n, v in views.items() if n != node_id]
    reach = window.canvas.viewer.scene().itemsBoundingRect().width() + box.width()
    for way in (1.0, -1.0):
        for step in range(int(box.width()), int(reach), 10):
            spot = box.translated(way * step, 0.0)
            swept = box.united(spot)
            if any(spot.adjusted(-30, -30, 30, 30).intersects(r) for r in others):
                continue
            if any(swept.intersects(r) for r in others):
                return spot.center()
    return None


def drag_across(window) -> int:
    """Drag `DRAGS` nodes, spread over the graph, with the mouse across the nodes beside
    them to the nearest free spot on their row; how many were dragged."""
    from tests.app.gestures import drag, node_point, view_point

    ids, dragged = list(window.doc.nodes), 0
    for k in range(DRAGS):
        node_id = ids[(k * 2 + 1) * len(ids) // (2 * DRAGS)]
        spot = free_spot(window, node_id)
        if spot is None:
            continue
        box = window.canvas.views[node_id].sceneBoundingRect()
        window.canvas.viewer.show_range(box.united(box.translated(spot - box.center()))
                                        .adjusted(-100, -100, 100, 100))
        start = node_point(window, node_id)
        drag(window, start, start + view_point(window, spot) - view_point(
            window, box.center()), steps=6)
        dragged += 1
    return dragged


def measure(path: str, other_canvas: str | None = None, expand: bool = False) -> dict:
    from PySide6.QtTest import QTest

    from kerascanvas.app.window.launch import make_app
    from kerascanvas.app.window.main import MainWindow

    app = make_app()
    spent = timed_routing()
    began = time.process_time()
    window = MainWindow(path, recover=False)
    window.resize(1600, 1000)
    window.show()
    app.processEvents()
    if expand:
        expand_blocks(window)
        app.processEvents()
    load_s, routing_s = time.process_time() - began, spent[0]
    result = {"load_s": load_s, "routing_s": routing_s, "draw_ms": [], "batch_ms": [],
              "route_ms": []}
    for when in STEPS:
        if when == "layout":
            window.auto_layout()
            app.processEvents()
        elif when == "drag":
            result["dragged"] = drag_across(window)
            QTest.qWait(1)
        result[when] = count(window)
        if other_canvas:  # only this, in a process of its own
            result["route_ms"].append(route_ms_side_by_side(window, other_canvas))
        else:
            result["draw_ms"].append(draw_ms(window, batched=False))
            result["batch_ms"].append(draw_ms(window, batched=True))
    window.stack.set_clean()
    window.close()
    return result


def projects(resnet50: str | None) -> list[tuple[str, bool]]:
    """(path, expanded) for each example, each example with block nodes once more with
    its blocks expanded, and the imported ResNet50."""
    from kerascanvas.graph.projectfile import load

    found = sorted(os.path.join(EXAMPLES, f) for f in os.listdir(EXAMPLES)
                   if f.endswith(".json"))
    if resnet50 is None:
        from bench_edit_large import resnet50_project

        resnet50 = os.path.join(tempfile.mkdtemp(), "ResNet50.json")
        resnet50_project(resnet50)
    blocky = [p for p in found
              if any(n.spec.is_block for n in load(p).nodes.values())]
    return [(p, False) for p in found] + [(p, True) for p in blocky] + [(resnet50, False)]


def child(path: str, import_path: str | None = None, other_canvas: str | None = None,
          expand: bool = False) -> dict:
    """`measure(path)` in a fresh process (on the code at `import_path`, if given)."""
    env = dict(os.environ, **({"PYTHONPATH": import_path} if import_path else {}))
    extra = ["--other-canvas", other_canvas] if other_canvas else []
    extra += ["--expand"] if expand else []
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", path, *extra],
                         env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def report(paths: list[tuple[str, bool]]) -> None:
    print("cells: wires through a third node + pairs of wires that cross / all wires")
    print(f"{'project':<27}{'after load':>12}{'after layout':>14}{'after drags':>13}"
          f"{'routing s':>11}  draw_path ms in a batch (load / layout / drags)")
    totals = {when: [0, 0, 0] for when in STEPS}
    for path, expand in paths:
        got = child(path, expand=expand)
        cells = []
        for when in totals:
            through, crossed, wires, named = got[when]
            totals[when] = [a + b for a, b in zip(totals[when], (through, crossed, wires),
                                                  strict=True)]
            cells.append(f"{through}+{crossed}/{wires}")
            for line in named:
                print(f"    {when}: {line}")
        name = os.path.basename(path)[:-5] + (" expanded" if expand else "")
        print(f"{name:<27}{cells[0]:>12}{cells[1]:>14}{cells[2]:>13}{got['routing_s']:>11.3f}"
              f"  {' / '.join(f'{ms:.1f}' for ms in got['batch_ms'])}")
    print("wires through a third node + pairs crossing, of all wires: " + ", ".join(
        f"{when} {t}+{c}/{w}" for when, (t, c, w) in totals.items()))


def compare(paths: list[str], rev: str, rounds: int) -> None:
    from bench_edit_large import _this_tree_path, tree_of

    sides = {rev: tree_of(rev), "this tree": _this_tree_path()}
    other_canvas = os.path.join(sides[rev], "kerascanvas", "app", "canvas")
    for path in paths:
        runs: dict[str, list[dict]] = {side: [] for side in sides}
        for i in range(rounds):
            for side, where in (sides.items() if i % 2 == 0 else reversed(sides.items())):
                runs[side].append(child(path, where))
        old, new = (statistics.median(r["routing_s"] for r in runs[s]) for s in sides)
        crossings = {s: [runs[s][-1][when][0] for when in STEPS] for s in sides}
        print(f"{os.path.basename(path)[:-5]:<22} routing at load {old:.3f} -> {new:.3f} s CPU "
              f"({new / old if old else 0:.2f}x); through a third node (load / layout / "
              f"drags) {crossings[rev]} -> {crossings['this tree']}", flush=True)
        for key, how in (("batch_ms", "in a batch"), ("draw_ms", "one by one")):
            for k, when in enumerate(STEPS):
                before, after = (statistics.median(r[key][k] for r in runs[s]) for s in sides)
                print(f"    draw_path, all wires {how}, after {when:<7}{before:6.1f} -> "
                      f"{after:6.1f} ms ({after / before if before else 0:.2f}x; runs: "
                      + ", ".join(f"{r[key][k]:.1f}" for r in runs[rev]) + " / "
                      + ", ".join(f"{r[key][k]:.1f}" for r in runs["this tree"]) + ")",
                      flush=True)
        routed = child(path, sides["this tree"], other_canvas)["route_ms"]
        print("    route() alone, all wires, one process, least of 40 alternating passes: "
              + "; ".join(f"after {when} {old:.2f} -> {new:.2f} ms ({new / old:.2f}x)"
                          for when, (old, new) in zip(STEPS, routed, strict=True)), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", metavar="FILE", help="measure this project only")
    parser.add_argument("--expand", action="store_true",
                        help="with --project: expand its block nodes first")
    parser.add_argument("--resnet50", metavar="FILE",
                        help="an imported ResNet50 project (else one is imported now)")
    parser.add_argument("--against", metavar="REV", help="compare with revision REV")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", metavar="FILE", help=argparse.SUPPRESS)
    parser.add_argument("--other-canvas", metavar="FOLDER", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.other_canvas, args.expand)), flush=True)
        os._exit(0)  # Qt's teardown of many items at interpreter exit can crash
    paths = [(args.project, args.expand)] if args.project else projects(args.resnet50)
    if args.against:
        compare([p for p, expand in paths if not expand], args.against, args.rounds)
    else:
        report(paths)


if __name__ == "__main__":
    main()
