"""Do wires run through nodes? Counts, over every wire of each example project and of an
imported ResNet50, the wires whose path passes through a third node (one that is neither
end of the wire): after the load, after auto layout (Ctrl+L), and after nodes are dragged
across others with the mouse. Also prints the CPU seconds the load spent routing wires.

    python benchmarks/bench_wire_crossings.py                 # examples and ResNet50
    python benchmarks/bench_wire_crossings.py --project FILE  # one project
    python benchmarks/bench_wire_crossings.py --against main~1 --rounds 3

With `--against REV` each project is measured in fresh processes, alternately on the code
of REV and on this tree, and the medians of the routing time at load are compared.

Figures (2026-11-30, offscreen, 1600x1000 window; wires through a third node / all wires,
over the 11 examples and an imported ResNet50; the drags move 4 nodes each to the nearest
free spot on their row past another node):

    revision before (d347e85): after load 1/267, after Ctrl+L 14/267, after drags 15/267
        (ResNet50 1 / 11 / 12 of 192: skips turning into their Add under a row 22 units
        above it; attention_states 2 and seq2seq 1 after layout)
    this tree:                 after load 0/267, after Ctrl+L 0/267, after drags 2/267
        (ResNet50 after the drags: two wires of a node dropped in the next column's
        conv3 block still meet a node there)

Routing at load (CPU seconds in `route` for ResNet50's 192 wires) is printed per project;
the time in the wires' `draw_path` for all 192 wires of ResNet50 (least of 15 redraws,
thread CPU time, runs alternating with the revision before) is in the README.
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


def count(window) -> tuple[int, int, list[str]]:
    """Wires through a third node, all wires, and up to five 'wire: node' examples."""
    from tests.app.wire_geometry import third_node_crossings

    pipes = window.canvas.viewer.pipe_items()
    found = third_node_crossings(pipes, list(window.canvas.views.values()))
    wires = {pipe for pipe, _ in found}
    named = [f"{p.output_port.node.name}->{p.input_port.node.name} through {n.name}"
             for p, n in found[:5]]
    return len(wires), len(pipes), named


def timed_routing():
    """Wrap the canvas' routing with a CPU-time counter; returns the list it adds to."""
    from kerascanvas.app.canvas import pipes

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


def measure(path: str) -> dict:
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
    load_s, routing_s = time.process_time() - began, spent[0]
    result = {"load": count(window), "load_s": load_s, "routing_s": routing_s}
    window.auto_layout()
    app.processEvents()
    result["layout"] = count(window)
    result["dragged"] = drag_across(window)
    QTest.qWait(1)
    result["drag"] = count(window)
    window.stack.set_clean()
    window.close()
    return result


def projects(resnet50: str | None) -> list[str]:
    found = sorted(os.path.join(EXAMPLES, f) for f in os.listdir(EXAMPLES)
                   if f.endswith(".json"))
    if resnet50 is None:
        from bench_edit_large import resnet50_project

        resnet50 = os.path.join(tempfile.mkdtemp(), "ResNet50.json")
        resnet50_project(resnet50)
    return [*found, resnet50]


def child(path: str, import_path: str | None = None) -> dict:
    """`measure(path)` in a fresh process (on the code at `import_path`, if given)."""
    env = dict(os.environ, **({"PYTHONPATH": import_path} if import_path else {}))
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", path], env=env,
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def report(paths: list[str]) -> None:
    print(f"{'project':<22}{'after load':>12}{'after layout':>14}{'after drags':>13}"
          f"{'routing s':>11}")
    totals = {"load": [0, 0], "layout": [0, 0], "drag": [0, 0]}
    for path in paths:
        got = child(path)
        cells = []
        for when in totals:
            crossing, wires, named = got[when]
            totals[when][0] += crossing
            totals[when][1] += wires
            cells.append(f"{crossing}/{wires}")
            for line in named:
                print(f"    {when}: {line}")
        name = os.path.basename(path)[:-5]
        print(f"{name:<22}{cells[0]:>12}{cells[1]:>14}{cells[2]:>13}{got['routing_s']:>11.3f}")
    print("wires through a third node, of all wires: " + ", ".join(
        f"{when} {c}/{w}" for when, (c, w) in totals.items()))


def compare(paths: list[str], rev: str, rounds: int) -> None:
    from bench_edit_large import _this_tree_path, tree_of

    sides = {rev: tree_of(rev), "this tree": _this_tree_path()}
    for path in paths:
        runs: dict[str, list[dict]] = {side: [] for side in sides}
        for i in range(rounds):
            for side, where in (sides.items() if i % 2 == 0 else reversed(sides.items())):
                runs[side].append(child(path, where))
        old, new = (statistics.median(r["routing_s"] for r in runs[s]) for s in sides)
        crossings = {s: runs[s][-1]["load"][0] for s in sides}
        print(f"{os.path.basename(path)[:-5]:<22} routing at load {old:.3f} -> {new:.3f} s CPU "
              f"({new / old if old else 0:.2f}x); through a third node "
              f"{crossings[rev]} -> {crossings['this tree']}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", metavar="FILE", help="measure this project only")
    parser.add_argument("--resnet50", metavar="FILE",
                        help="an imported ResNet50 project (else one is imported now)")
    parser.add_argument("--against", metavar="REV", help="compare with revision REV")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", metavar="FILE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child)), flush=True)
        os._exit(0)  # Qt's teardown of many items at interpreter exit can crash
    paths = [args.project] if args.project else projects(args.resnet50)
    if args.against:
        compare(paths, args.against, args.rounds)
    else:
        report(paths)


if __name__ == "__main__":
    main()
