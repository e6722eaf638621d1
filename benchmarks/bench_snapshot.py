"""What the epoch-end snapshot costs (`runtime.snapshot`): the digits CNN example trained
with `runtime.train.train` and a save path, once with a snapshot at every epoch end
(`KERASCANVAS_SNAPSHOT_MIN_S=0`: the seconds each snapshot takes against the epoch's own)
and once under the default throttle (how many epochs pass per snapshot).

    KERAS_BACKEND=torch python benchmarks/bench_snapshot.py [--epochs 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from kerascanvas.graph.projectfile import load
from kerascanvas.runtime import snapshot_callback
from kerascanvas.runtime.keras_env import import_keras
from kerascanvas.runtime.snapshot import MIN_INTERVAL_ENV
from kerascanvas.runtime.train import load_checked_data, prepare, train

EXAMPLE = Path(__file__).resolve().parents[1] / "resources" / "examples" / "digits_cnn.json"


class EpochClock(import_keras().callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seconds, self.started = [], 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.started)


def measured_run(epochs: int, every_epoch: bool) -> tuple[list, list]:
    """(each snapshot's (epoch, seconds), each epoch's seconds) of one run."""
    made = []
    original = snapshot_callback.EpochSnapshot.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        made.append(self)

    os.environ.pop(MIN_INTERVAL_ENV, None)
    if every_epoch:
        os.environ[MIN_INTERVAL_ENV] = "0"
    snapshot_callback.EpochSnapshot.__init__ = init
    try:
        doc, settings = prepare(load(EXAMPLE), {"epochs": epochs})
        data = load_checked_data(doc, settings)
        clock = EpochClock()
        with tempfile.TemporaryDirectory() as folder:
            train(doc, data, save=str(Path(folder) / "run_1.keras"), callbacks=[clock],
                  resolved=settings)
    finally:
        snapshot_callback.EpochSnapshot.__init__ = original
    return made[0].saves, clock.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    args = parser.parse_args()
    saves, epochs = measured_run(args.epochs, every_epoch=True)
    costs = [seconds for _, seconds in saves]
    print(f"every epoch: {len(saves)} snapshots, {statistics.median(costs):.3f} s each "
          f"(median; max {max(costs):.3f}), epoch {statistics.median(epochs):.2f} s "
          f"(median): {statistics.median(costs) / statistics.median(epochs):.1%} of an epoch")
    saves, epochs = measured_run(args.epochs, every_epoch=False)
    print(f"default throttle: {len(saves)} snapshots in {len(epochs)} epochs "
          f"({sum(epochs):.0f} s of epochs) at epochs {[epoch for epoch, _ in saves]}")


if __name__ == "__main__":
    main()
