"""GUI-thread pauses for cyclic garbage collection over a scripted session: a ResNet50
project (177 layers, imported from keras.applications with no weights) opened in a window,
edits (drag all, copy and paste all, undo, redo, undo, delete all, undo; 8 times over), then a
short training of it (one epoch of a few synthetic samples, its Input cut to 32 x 32, in its
worker process) while the window waits.

While a window is open the GUI thread collects from a timer (`main_thread_gc`); each
collection's length is read from `gc.callbacks` on that thread. Prints, per generation, how
many collections ran and their median and longest pause, and the seconds spent in them.

With `--against REV` the same session runs in fresh processes, alternately on the code of
REV and on this tree (as `bench_edit_large.py --against` does), and both sides are printed
side by side.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_gc_pause.py
    python benchmarks/bench_gc_pause.py --against main~1 --rounds 2

Figures (2026-12-01, one session a side at load 2.8-7.0, the tree before the hold-off of full
collections / with it): young collections 26 / 26, longest 336 / 380 ms; middle 2 / 2,
269-525 / 268-528 ms; full 0 / 0: in this session no full collection fell due under either
rule (the hold-off matters in longer ones: see the test). The long pauses are the young and
middle generations walking the project just opened and each paste's copies; with `--freeze`
(load 3-4) the longest young collection took 36 ms, the middle ones 7-9 ms.

Collections `main_thread_gc.settle` runs at the end of an open, a paste or an undo, while the
user waits for it, are counted apart ("at an edit's end"). 2026-12-01, two sessions a side
at load 1.9-3.1, the tree before / with them: middle collections 2 / 0 a session (27-695 ms
each before), young 27 / 19-20, longest 150-240 / 185-359 ms; at an edit's end 9 a session,
median 2 ms, longest 303-606 ms. The project's own objects are about 45,000-75,000: in three
traced sessions of this tree (load 2-3) no collection took over 62 ms (young ones as the
window opens 13-62 ms, a paste's at its end 18-49 ms); the longer pauses above were not seen
again there (the load's, likely).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("KERASCANVAS_DATA_DIR", tempfile.mkdtemp())

import bench_edit_large as edits  # noqa: E402  (after the path and Qt platform are set)

EDIT_ROUNDS = 8  # of the seven edits: each leaves thousands of objects, so a collection due
EDIT_WAIT_MS = 700  # after each edit: a tick of the collection timer (500 ms) falls in it
SETTLE_MS = 3000  # after the training
# The run: ResNet50 on 32 x 32 images (its Input edited so), so that its batches come a few a
# second on a CPU and the plots draw them as a long run's would.
SMALL_INPUT = [32, 32, 3]
TRAINING = {"data": "synthetic:64", "epochs": 1, "batch_size": 4, "seed": 0}
TRAINING_LIMIT_S = 600.0


SETTLING = -1  # the generation recorded for a collection `main_thread_gc.settle` ran


def settling() -> bool:
    """Whether `main_thread_gc.settle` (at the end of a load, a paste, an undo) is running."""
    frame = sys._getframe()
    while frame is not None:
        if frame.f_code.co_name == "settle" and frame.f_code.co_filename.endswith(
                "main_thread_gc.py"):
            return True
        frame = frame.f_back
    return False


class Pauses:
    """Each collection as (generation, seconds, on the GUI thread), from `gc.callbacks`;
    those `settle` ran at the end of an edit as generation `SETTLING`."""

    def __init__(self):
        self.found: list[tuple[int, float, bool]] = []
        self._started: dict[int, tuple[float, bool]] = {}

    def __call__(self, phase: str, info: dict) -> None:
        thread = threading.get_ident()
        if phase == "start":
            self._started[thread] = (time.perf_counter(), settling())
            return
        began = self._started.pop(thread, None)
        if began is not None:
            on_gui = threading.current_thread() is threading.main_thread()
            generation = SETTLING if began[1] else info["generation"]
            self.found.append((generation, time.perf_counter() - began[0], on_gui))


def session(path: str, freeze: bool = False) -> dict:
    """Open `path`, edit it, train it briefly; the collections that ran meanwhile. With
    `freeze`, the objects alive once the project is open are frozen out of the collector
    (`gc.freeze`) before the edits."""
    from PySide6.QtTest import QTest

    from kerascanvas.app.window import launch
    from kerascanvas.app.window.main import MainWindow

    app = launch.make_app()
    if hasattr(launch, "settle_imports"):
        launch.settle_imports()
    pauses = Pauses()
    gc.callbacks.append(pauses)
    start = time.perf_counter()
    window = MainWindow(path, recover=False)
    window.resize(1600, 1000)
    window.show()
    QTest.qWait(1500)
    edits.wait_for_preview(window)
    if freeze:
        gc.freeze()
    steps = (lambda: edits.drag_all(window), lambda: edits.copy_paste_all(window),
             window.undo, window.redo, window.undo, lambda: edits.delete_all(window),
             window.undo)  # back to the model as opened: each round edits the same
    for _ in range(EDIT_ROUNDS):
        for step in steps:
            step()
            QTest.qWait(EDIT_WAIT_MS)
    trained = train(window)
    QTest.qWait(SETTLE_MS)
    gc.callbacks.remove(pauses)
    seconds = time.perf_counter() - start
    edits.close(app, window)
    return {"pauses": pauses.found, "seconds": seconds, "trained": trained}


def train(window) -> str:
    """Start a one-epoch run of the window's project and wait for its end; its status."""
    from PySide6.QtTest import QTest

    from kerascanvas.graph import commands

    image = next(n for n in window.doc.nodes.values() if n.kind == "Input")
    window.stack.push(commands.SetParam(window.doc, image.id, "shape", SMALL_INPUT))
    window.doc.training = dict(window.doc.training or {}, **TRAINING)
    panel = window.training
    panel.start()
    start = time.perf_counter()
    while panel.controller.current is None and time.perf_counter() - start < 60:
        QTest.qWait(100)
    record = panel.controller.current
    while record is not None and record.active and time.perf_counter() - start < TRAINING_LIMIT_S:
        QTest.qWait(100)
    if record is None:
        return "not started: " + panel.log.toPlainText()[-300:]
    return record.status


def summary(pauses: list) -> dict:
    """Per generation (on the GUI thread, then those run at the end of an edit, then any off
    the GUI thread): count, median and longest pause (ms), and the seconds spent."""
    out = {}
    for gen, name in ((0, "gen 0"), (1, "gen 1"), (2, "gen 2"), (SETTLING, "at an edit's end")):
        times = [s for g, s, on_gui in pauses if g == gen and on_gui]
        out[name] = (len(times), 1000 * statistics.median(times) if times else 0.0,
                     1000 * max(times, default=0.0), sum(times))
    off = [s for _, s, on_gui in pauses if not on_gui]
    out["off the GUI thread"] = (len(off), 1000 * statistics.median(off) if off else 0.0,
                                 1000 * max(off, default=0.0), sum(off))
    return out


def row(cells: tuple) -> str:
    count, median, worst, total = cells
    return f"{count:4d} x, median {median:6.1f} ms, longest {worst:6.1f} ms, {total:5.2f} s"


def report(result: dict) -> None:
    print(f"session {result['seconds']:.0f} s, training {result['trained']}")
    for name, cells in summary(result["pauses"]).items():
        print(f"{name:>18}: {row(tuple(cells))}")


def compare(path: str, rev: str, rounds: int, freeze: bool = False) -> None:
    """Alternate sessions on REV and on this tree; print their collections side by side."""
    sides = {rev: edits.tree_of(rev), "this tree": edits._this_tree_path()}
    runs: dict[str, list[dict]] = {side: [] for side in sides}
    loads = []
    for i in range(rounds):
        for side, import_path in (sides.items() if i % 2 == 0 else reversed(sides.items())):
            loads.append(os.getloadavg()[0])
            runs[side].append(child_run(path, import_path, freeze))
            print(f"round {i + 1} {side} (load {loads[-1]:.1f}): "
                  f"{summary(runs[side][-1]['pauses'])['gen 2']}", flush=True)
    print(f"\n{rounds} alternating sessions a side, load {min(loads):.1f}-{max(loads):.1f}; "
          "collections on the GUI thread, per session")
    for i in range(rounds):
        for name in summary([]):
            cells = [summary(runs[side][i]["pauses"])[name] for side in sides]
            print(f"session {i + 1} {name:>18}: {rev}: {row(tuple(cells[0]))} | "
                  f"this tree: {row(tuple(cells[1]))}")


def child_run(path: str, import_path: str, freeze: bool = False) -> dict:
    env = dict(os.environ, PYTHONPATH=import_path)
    command = [sys.executable, os.path.abspath(__file__), "--child", path]
    out = subprocess.run(command + ["--freeze"] * freeze, env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", metavar="FILE", help="this project instead of ResNet50")
    parser.add_argument("--against", metavar="REV", help="also run revision REV, alternately")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--freeze", action="store_true",
                        help="freeze the objects alive once the project is open (both sides)")
    parser.add_argument("--child", metavar="FILE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(session(args.child, args.freeze)), flush=True)
        return
    path = args.project
    if path is None:
        path = os.path.join(tempfile.mkdtemp(), "resnet50.json")
        edits.resnet50_project(path)
    if args.against:
        compare(path, args.against, args.rounds, args.freeze)
    else:
        report(session(path, args.freeze))


if __name__ == "__main__":
    main()
