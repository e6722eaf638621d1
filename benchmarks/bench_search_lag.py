"""GUI event-loop lag while the Search tab checks a study, and while its ranges are edited.

The checks before a study read the whole training data (here an NPZ of SAMPLES x 64
floats), validate the search space and build sampled models; the live range check
validates the graph for every value a range may take after each edit. Neither may
stall the window. A 10 ms timer on the GUI thread measures the longest delay from the
click on Start until the study runs (or the checks refuse it), and during EDITS edits
of small_resnet's searched widths, and prints each against the 100 ms target.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_search_lag.py [SAMPLES] [RUNS]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.app.lag
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("KERASCANVAS_DATA_DIR", tempfile.mkdtemp())

TARGET_S = 0.1


def big_project(folder: Path, samples: int) -> Path:
    """An MLP on an NPZ of `samples` rows, its hidden width searched."""
    import numpy as np

    from kerascanvas.graph.document import Document, Edge
    from kerascanvas.graph.projectfile import save

    rng = np.random.default_rng(0)
    np.savez(folder / "big.npz", x=rng.standard_normal((samples, 64), dtype="float32"),
             y=rng.integers(0, 10, samples))
    doc = Document()
    x = doc.add_node("Input", "pixels", {"shape": [64]})
    h = doc.add_node("Dense", "hidden", {"units": 16, "activation": "relu"})
    out = doc.add_node("Dense", "digit", {"units": 10, "activation": "softmax"})
    doc.connect(Edge(x.id, 0, h.id, 0))
    doc.connect(Edge(h.id, 0, out.id, 0))
    doc.set_outputs([out.id])
    doc.training = {"data": str(folder / "big.npz"), "epochs": 1, "batch_size": 256,
                    "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"],
                    "validation_split": 0.2}
    doc.search = {"metric": "val_accuracy", "params": [
        {"node": h.id, "param": "units", "type": "int", "low": 4, "high": 64, "step": 4}]}
    path = folder / "big.json"
    save(doc, path)
    return path


def checks_done(panel) -> bool:
    """The study runs, or the start was refused (the checks ended either way)."""
    if getattr(panel, "checking", False):
        return False
    runner = panel.runner
    return not runner.running or getattr(runner.driver, "study", None) is not None


def one_run(app, path: Path) -> tuple[float, float]:
    from kerascanvas.app.search.panel import SearchPanel
    from kerascanvas.graph.commands import UndoStack
    from kerascanvas.graph.project import Project
    from tests.app.lag import LagMeter

    doc = Project.open(path).doc
    panel = SearchPanel(doc, UndoStack(), lambda: str(path))
    panel.trials_box.setValue(1)
    panel.show()
    app.processEvents()
    meter, began = LagMeter(), time.perf_counter()
    panel.start_button.click()
    while not checks_done(panel):
        app.processEvents()
        time.sleep(0.001)
    took = time.perf_counter() - began
    settle = time.perf_counter() + 0.15  # a lag tick and the tab's 10 Hz poll, after the end
    while time.perf_counter() < settle:
        app.processEvents()
        time.sleep(0.001)
    meter.timer.stop()
    panel.runner.stop()
    panel.shutdown()
    print(f"  status: {panel.status.text()[:100]}")
    return meter.worst, took


def idle_lag(app, seconds: float = 3.0) -> float:
    """The same meter with nothing to do: this machine's own noise floor."""
    from tests.app.lag import LagMeter

    meter, end = LagMeter(), time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.001)
    meter.timer.stop()
    return meter.worst


def edit_lag(app, edits: int = 10) -> tuple[float, float]:
    """(worst lag, seconds) over `edits` edits of a searched parameter, each followed by
    50 ms of events, on small_resnet with four widths searched."""
    from kerascanvas.app.search.panel import SearchPanel
    from kerascanvas.graph import commands as cmd
    from kerascanvas.graph.project import Project
    from tests.app.lag import LagMeter

    doc = Project.open(Path(__file__).resolve().parents[1] / "resources" / "examples" /
                       "small_resnet.json").doc
    widths = [n for n in doc.nodes.values() if "filters" in n.params][:4]
    doc.search = {"metric": "val_loss", "params": [
        {"node": n.id, "param": "filters", "type": "int", "low": 8, "high": 64, "step": 8}
        for n in widths]}
    stack = cmd.UndoStack()
    panel = SearchPanel(doc, stack)
    panel.show()
    app.processEvents()
    meter, began = LagMeter(), time.perf_counter()
    for i in range(edits):
        stack.push(cmd.SetParam(doc, widths[0].id, "filters", 16 + 8 * (i % 3)))
        settle = time.perf_counter() + 0.05
        while time.perf_counter() < settle:
            app.processEvents()
            time.sleep(0.001)
    took = time.perf_counter() - began
    meter.timer.stop()
    panel.shutdown()
    return meter.worst, took


def main(samples: int = 1_000_000, runs: int = 2) -> None:
    from kerascanvas.app.window.launch import make_app

    app = make_app()
    print(f"data: {samples} x 64 float32 ({samples * 64 * 4 / 1e6:.0f} MB); idle "
          f"event-loop lag {idle_lag(app) * 1000:.0f} ms (the machine's noise floor)")
    with tempfile.TemporaryDirectory() as folder:  # the data file goes with it
        path = big_project(Path(folder), samples)
        results = [one_run(app, path) for _ in range(runs)]
    for i, (worst, took) in enumerate(results):
        print(f"run {i + 1}: checks took {took:.2f} s; worst event-loop lag "
              f"{worst * 1000:.0f} ms ({worst / TARGET_S:.2f}x the 100 ms target)")
    worst, took = edit_lag(app)
    print(f"10 edits of a searched width (small_resnet, 4 ranges): {took:.2f} s; worst "
          f"event-loop lag {worst * 1000:.0f} ms ({worst / TARGET_S:.2f}x the 100 ms target)")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
