"""GUI event-loop lag while a real worker process trains a tiny model, and while one is
killed.

Starts the training panel on a 3-epoch MLP, measures the longest delay between
ticks of a 10 ms timer on the GUI thread during the run, and prints it against the
100 ms target; then kills a long run mid-training and measures the same until its
process is gone. (The tests check that the blocking calls run off the GUI thread; the
figures live here, since a loaded machine stretches them.)

    QT_QPA_PLATFORM=offscreen python benchmarks/bench_gui_lag.py [RUNS]
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


def one_run(app) -> float:
    from kerascanvas.app.training.controller import TrainingController
    from kerascanvas.app.training.panel import TrainingPanel
    from kerascanvas.graph.project import Project
    from tests.app.lag import LagMeter, mlp

    panel = TrainingPanel(Project(mlp()), TrainingController(save_dir=tempfile.mkdtemp()))
    panel.show()
    panel.start()
    record = panel.controller.current
    while record.started_at is None:
        app.processEvents()
        time.sleep(0.005)
    meter = LagMeter()
    while record.active:
        app.processEvents()
        time.sleep(0.001)
    meter.timer.stop()
    panel.shutdown()
    return meter.worst


def one_kill(app) -> float:
    from kerascanvas.app.training.controller import TrainingController
    from kerascanvas.app.training.panel import TrainingPanel
    from kerascanvas.graph.project import Project
    from tests.app.lag import LagMeter, mlp

    doc = mlp(epochs=1000, batch_size=2)
    panel = TrainingPanel(Project(doc), TrainingController(save_dir=tempfile.mkdtemp()))
    panel.show()
    panel.start()
    record = panel.controller.current
    while not len(record.curves.batch_loss):
        app.processEvents()
        time.sleep(0.005)
    meter = LagMeter()
    panel.kill_button.click()
    while record.source.status != "killed" or record.source.process.is_alive():
        app.processEvents()
        time.sleep(0.001)
    meter.timer.stop()
    panel.shutdown()
    return meter.worst


def main(runs: int = 3) -> None:
    from kerascanvas.app.window.launch import make_app

    app = make_app()
    for i in range(runs):
        worst = one_run(app)
        print(f"run {i + 1}: worst event-loop lag {worst * 1000:.0f} ms "
              f"({worst / TARGET_S:.2f}x the 100 ms target)")
    worst = one_kill(app)
    print(f"kill: worst event-loop lag {worst * 1000:.0f} ms "
          f"({worst / TARGET_S:.2f}x the 100 ms target)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
