"""GUI event-loop stall when a project with many saved runs is opened.

Writes a project and a runs index with RUNS finished runs (EPOCHS epochs of STEPS
batches each, loss/accuracy and their validation twins, the learning rate, and the
last run's sample predictions), then opens it with File > Open into a window that is
up and settled: once with the Training tab behind the Issues tab, once with it
raised. Prints the longest delay between ticks of a 10 ms GUI timer from the open
until the runs are listed (and drawn, when raised) plus a second, against the 100 ms
target, and the longest single redraw of the plots and listing of the runs.

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_load_lag.py [RUNS [EPOCHS [STEPS]]]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.app
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("KERASCANVAS_DATA_DIR", tempfile.mkdtemp())

TARGET_S = 0.1
SETTLE_S = 1.0  # the loop keeps being measured this long after the curves are drawn


def write_project(folder: Path, runs: int, epochs: int, steps: int) -> Path:
    """A small project and `runs` finished runs of it in its runs folder."""
    import numpy as np

    from kerascanvas.app.training.history import runs_folder, save_runs
    from kerascanvas.app.training.records import RunRecord
    from kerascanvas.graph import projectfile
    from kerascanvas.runtime.events import Result
    from tests.app.lag import mlp

    path = folder / "net.json"
    projectfile.save(mlp(epochs=epochs), path)
    target = runs_folder(str(path))
    target.mkdir()
    rng = np.random.default_rng(0)
    records = []
    for number in range(1, runs + 1):
        record = RunRecord(number, {"epochs": epochs, "batch_size": 16}, status="finished",
                           epochs=epochs, steps=steps, epoch=epochs, epochs_done=epochs)
        for e in range(epochs):
            for b in range(steps):
                record.curves.add_batch(e, b, steps, 1.0 / (1 + e + b / steps) + rng.random())
            record.curves.add_epoch(e, {"loss": 1 / (e + 1), "accuracy": e / epochs,
                                        "val_loss": 1.1 / (e + 1),
                                        "val_accuracy": e / epochs - 0.05}, 1e-3)
        records.append(record)
    predictions = target / "predictions.npz"
    np.savez(predictions, y_true=rng.integers(0, 3, 200), y_pred=rng.integers(0, 3, 200),
             x=rng.random((18, 8, 8)))
    records[-1].result = Result("finished", evaluation={
        "split": "validation", "metrics": {"loss": 0.5}, "predictions": str(predictions)})
    save_runs(target, records)
    return path


def measure_until(app, ready) -> tuple[float, float]:
    """The worst event-loop lag until `ready()` and a second beyond, and the seconds
    until `ready()`."""
    from tests.app.lag import LagMeter

    meter, began = LagMeter(), time.perf_counter()
    while not ready() and time.perf_counter() - began < 60:
        app.processEvents()
        time.sleep(0.001)
    shown = time.perf_counter() - began
    while time.perf_counter() - began < shown + SETTLE_S:
        app.processEvents()
        time.sleep(0.001)
    meter.timer.stop()
    return meter.worst, shown


def drawn(panel, runs: int) -> bool:
    """The runs are listed and the last one's curves are drawn."""
    plots = panel.plots
    return (panel.runs.topLevelItemCount() == runs and plots.current is not None
            and plots.redraw_count > 0 and plots._drawn == plots._state())


def timed(owner, name: str, spent: dict) -> None:
    """Wrap `owner.name` so that the seconds of its longest call land in spent[name]."""
    function = getattr(owner, name)

    def wrapper(*args, **kwargs):
        began = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[name] = max(spent.get(name, 0.0), time.perf_counter() - began)
    setattr(owner, name, wrapper)


def open_into(app, path: Path, runs: int, raised: bool) -> str:
    """Open `path` into a window that is up and settled; the worst lag until drawn."""
    from kerascanvas.app.window.main import MainWindow

    window = MainWindow(None, recover=False)
    window.resize(1500, 920)
    window.show()
    panel = window.training_panel()
    if raised:
        window.training_dock.raise_()
    for _ in range(100):  # the idle-time builds (search panel, layout preload) are done
        app.processEvents()
        time.sleep(0.01)
    spent: dict[str, float] = {}
    timed(panel.plots, "redraw", spent)
    timed(panel, "_show_runs", spent)
    began = time.perf_counter()
    window.open_path(str(path), ask=False)
    opened = time.perf_counter() - began
    if raised:
        worst, shown = measure_until(app, lambda: drawn(panel, runs))
    else:
        worst, shown = measure_until(app, lambda: panel.runs.topLevelItemCount() == runs)
    window.stack.set_clean()
    window.close()
    parts = ", ".join(f"{name} {value:.2f} s" for name, value in spent.items())
    return (f"worst event-loop lag {max(worst, opened) * 1000:.0f} ms "
            f"({max(worst, opened) / TARGET_S:.1f}x the 100 ms target); open_path "
            f"{opened:.2f} s; runs shown after {opened + shown:.2f} s; longest {parts}")


def main(runs: int = 10, epochs: int = 50, steps: int = 400) -> None:
    from kerascanvas.app.window.launch import make_app

    app = make_app()
    path = write_project(Path(tempfile.mkdtemp()), runs, epochs, steps)
    size = path.with_suffix(".runs").joinpath("runs.json").stat().st_size / 1e6
    print(f"{runs} runs of {epochs} epochs x {steps} batches ({size:.1f} MB runs index), "
          f"load average {os.getloadavg()[0]:.1f}")
    print("File > Open, Training tab behind Issues:", open_into(app, path, runs, False))
    print("File > Open, Training tab raised:       ", open_into(app, path, runs, True))


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:4]))
