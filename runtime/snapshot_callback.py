"""The Keras callback that writes a run's epoch-end snapshots (`runtime.snapshot` says
where, when and why)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from . import run_record
from .callbacks import non_finite_losses, save_atomic
from .keras_env import import_keras
from .snapshot import COST_FACTOR, min_interval, snapshot_path


class EpochSnapshot(import_keras().callbacks.Callback):
    """Saves the model at epoch ends as `snapshot_path(save)`, throttled (see the module).

    Args:
        save: the run's model path (None with `path`).
        settings: the run's resolved settings (its data spec, planned epochs).
        data: the run's data (for the record's fingerprint, taken once).
        path: where to keep the snapshot instead (`kerascanvas run` without --save: in
            the project's runs folder); `train` then adds no snapshot of its own.
        written: called with (path, epoch held) after each snapshot written whole.
    """

    def __init__(self, save: str | None, settings, data, path: str | None = None,
                 written: Callable[[str, int], None] | None = None) -> None:
        super().__init__()
        self.path = str(path) if path else snapshot_path(save or "")
        self.settings, self.data, self.written = settings, data, written
        self.last_at: float | None = None  # when the last snapshot (or training) began
        self.cost = 0.0  # the last snapshot's own duration, seconds
        self.saves: list[tuple[int, float]] = []  # (epoch held, seconds): what was written

    def on_train_begin(self, logs=None) -> None:
        if self.last_at is None:  # a second fit (fine-tuning's phase 2) keeps the clock
            self.last_at = time.monotonic()

    def on_epoch_end(self, epoch, logs=None) -> None:
        if not self._due(epoch, logs):
            return
        started = time.monotonic()
        self._write(epoch + 1)
        self.cost = time.monotonic() - started
        self.last_at = started
        self.saves.append((epoch + 1, self.cost))
        if self.written is not None and os.path.exists(self.path):
            self.written(self.path, epoch + 1)

    def kept(self) -> str | None:
        """The snapshot this run wrote, when one is on disk; None without one."""
        return self.path if self.saves and os.path.exists(self.path) else None

    def _due(self, epoch: int, logs) -> bool:
        last = epoch + 1 >= int(self.params.get("epochs") or 0)
        if last or self.model.stop_training or non_finite_losses(logs):
            return False
        least = min_interval()
        if least == 0:  # asked for at every epoch end, whatever they cost
            return True
        wait = max(least, COST_FACTOR * self.cost)
        return time.monotonic() - (self.last_at or 0.0) >= wait

    def _write(self, epochs: int) -> None:
        """The model, then its record; a kill between them leaves a snapshot without a
        record (its epoch unknown), never one whose record names another epoch."""
        run_record.record_path(self.path).unlink(missing_ok=True)
        try:
            save_atomic(self.model, self.path)
        except OSError:
            return  # a full disk: the run goes on without a snapshot this time
        spec = self.settings.get("data")
        if "data_fingerprint" not in self.settings and isinstance(spec, str) and \
                self.data is not None:  # taken once, at the first snapshot
            self.settings = {**self.settings,
                             "data_fingerprint": run_record.fingerprint(spec, self.data)}
        run_record.keep_at(self.path, self.settings, None, epochs, self.model)
