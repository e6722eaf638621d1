"""GUI-thread time of the runs index writes, against the number of runs a project holds.

For each RUNS count, writes a project whose runs folder holds that many finished runs as
the product writes them (each a saved model `run_N.keras` with its run record, and its
entry in `runs.json` with its settings, result and curves of EPOCHS epochs of STEPS
batches), opens it in a Training panel whose runs are scripted (no training process),
and, once its runs are listed:
- clicks Start (the run is numbered and listed as running in the index),
- lets the run write a snapshot (`run_N.last.keras` and its record), which the panel
  lists in the index again (the GUI thread's part: its look for a snapshot every 2 s,
  `_on_judge_timer_timeout`, all its calls until the snapshot is listed),
- ends the run (its end is kept in the index).
Prints, side by side for each count, the seconds these took on the GUI thread (the click,
the snapshot's listing, the run's keeping) and the longest delay between ticks of a 10 ms
GUI timer from the click until the end was kept and half a second beyond (which includes
the panel reading the index back after each write), against the 100 ms target.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_runs_index.py [RUNS ...]
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.app
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("KERASCANVAS_DATA_DIR", tempfile.mkdtemp())

TARGET_S = 0.1
AFTER_S = 0.5
EPOCHS, STEPS = 10, 50


def a_saved_model(folder: Path) -> Path:
    """A real Keras file of a tiny model, copied as each run's kept model."""
    import keras

    path = folder / "model.keras"
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(3)])
    model.save(path)
    return path


def a_run(number: int, rng):
    from kerascanvas.app.training.records import RunRecord
    from kerascanvas.runtime.events import Result

    record = RunRecord(number, {"epochs": EPOCHS, "batch_size": 16, "data": "synthetic:2048"},
                       status="finished", epochs=EPOCHS, steps=STEPS, epoch=EPOCHS,
                       epochs_done=EPOCHS)
    for e in range(EPOCHS):
        for b in range(STEPS):
            record.curves.add_batch(e, b, STEPS, 1.0 / (1 + e + b / STEPS) + rng.random())
        record.curves.add_epoch(e, {"loss": 1 / (e + 1), "accuracy": e / EPOCHS,
                                    "val_loss": 1.1 / (e + 1)}, 1e-3)
    record.result = Result("finished", metrics={"loss": 0.5, "accuracy": 0.8},
                           history={"loss": [1 / (e + 1) for e in range(EPOCHS)]})
    return record


def write_project(folder: Path, runs: int, model: Path) -> Path:
    """A project and `runs` finished runs of it, each with its model and run record."""
    import numpy as np

    from kerascanvas.app.training.history import runs_folder, save_runs
    from kerascanvas.graph import projectfile
    from kerascanvas.runtime import run_record
    from tests.app.lag import mlp

    path = folder / "net.json"
    projectfile.save(mlp(epochs=EPOCHS), path)
    target = runs_folder(str(path))
    target.mkdir()
    rng = np.random.default_rng(0)
    records = []
    for number in range(1, runs + 1):
        record = a_run(number, rng)
        record.saved_path = str(target / f"run_{number}.keras")
        shutil.copyfile(model, record.saved_path)
        run_record.write(record.saved_path, "synthetic:2048", {}, EPOCHS, EPOCHS)
        records.append(record)
    save_runs(target, records)
    run_record.reserve_number(target)  # the counter, as the runs took their numbers
    return path


def timed(owner, name: str, spent: dict, key: str) -> None:
    """Wrap `owner.name` so that the seconds of its calls add up in spent[key]."""
    function = getattr(owner, name)

    def wrapper(*args, **kwargs):
        began = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[key] = spent.get(key, 0.0) + time.perf_counter() - began
    setattr(owner, name, wrapper)


def writing(panel) -> bool:
    """A listing is being written off the GUI thread (where the panel does so)."""
    writes = getattr(panel, "index_writes", None)
    return writes is not None and writes.busy


def run_until(app, ready, limit_s: float = 120) -> None:
    began = time.perf_counter()
    while not ready() and time.perf_counter() - began < limit_s:
        app.processEvents()
        time.sleep(0.001)
    if not ready():
        raise RuntimeError("timed out")


def measure(app, path: Path, runs: int, model: Path) -> dict:
    """Start, a snapshot and the end of a run in a panel on `path`; what they took."""
    from kerascanvas.app.training.controller import TrainingController
    from kerascanvas.app.training.panel import TrainingPanel
    from kerascanvas.graph.project import Project
    from kerascanvas.runtime import run_record
    from tests.app.lag import LagMeter
    from tests.app.training_fakes import FakeRun, epoch, started

    panel = TrainingPanel(Project.open(str(path)), TrainingController(FakeRun))
    panel.resize(1200, 700)
    panel.show()
    panel.follow_project(str(path))
    run_until(app, lambda: panel.runs.topLevelItemCount() == runs)
    spent: dict[str, float] = {}
    timed(panel, "start", spent, "start")
    timed(panel, "_on_judge_timer_timeout", spent, "snapshot")
    panel.judge_timer.timeout.disconnect()
    panel.judge_timer.timeout.connect(panel._on_judge_timer_timeout)
    timed(panel, "_keep", spent, "end")

    class Bot:  # `started` waits for the data check with qtbot.waitUntil
        @staticmethod
        def waitUntil(ready, timeout):
            run_until(app, ready, timeout / 1000)

    meter = LagMeter()
    run, record = started(panel, Bot)
    run.push(*epoch(0))
    folder = Path(record.folder)
    snapshot = folder / f"run_{record.number}.last.keras"
    shutil.copyfile(model, snapshot)
    run_record.write(str(snapshot), "synthetic:2048", {}, 1, 3)
    run_until(app, lambda: panel._listings[record.uid].seen is not None and not writing(panel))
    run.push({"event": "result", "status": "finished", "saved": run.save_path})
    run_until(app, lambda: "end" in spent and not writing(panel))  # written off the thread
    began = time.perf_counter()
    run_until(app, lambda: time.perf_counter() - began > AFTER_S)
    meter.timer.stop()
    listed = run_record.read_index(folder)
    assert len(listed) == runs + 1 and listed[-1]["uid"] == record.uid, "a run was lost"
    panel.shutdown()
    return {**spent, "worst": meter.worst, "size": (folder / "runs.json").stat().st_size}


def main(counts: list[int]) -> None:
    from kerascanvas.app.window.launch import make_app

    app = make_app()
    root = Path(tempfile.mkdtemp())
    model = a_saved_model(root)
    print(f"load average {os.getloadavg()[0]:.1f}; each run {EPOCHS} epochs x {STEPS} "
          "batches; GUI-thread seconds")
    print(f"{'runs':>6} {'index MB':>9} {'Start':>7} {'snapshot':>9} {'end':>7} "
          f"{'worst lag':>10}")
    for runs in counts:
        folder = root / f"p{runs}"
        folder.mkdir()
        path = write_project(folder, runs, model)
        row = measure(app, path, runs, model)
        print(f"{runs:>6} {row['size'] / 1e6:>9.1f} {row['start']:>7.3f} "
              f"{row['snapshot']:>9.3f} {row['end']:>7.3f} {row['worst']:>10.3f}")
        shutil.rmtree(folder)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [0, 500, 2000])
