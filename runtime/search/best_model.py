"""The trained model of the best trial a search ran (`kerascanvas search --best-model`).

Each trial's process saves its model when it finishes (`child`), beside the kept one and
named after the trial (`best.trial7.keras` beside `best.keras`); the driver offers every
complete trial's model here, and only a better value replaces the kept one, by a rename
in the same folder. So the file is always a whole model, the best so far, also when the
study is stopped (Ctrl+C) or a later trial fails.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path


class BestModel:
    """The trained model of the best trial a driver ran, at `path` (see
    `SearchOptions.best_model`). Each trial saves its model beside it, under the trial's
    number; a better value moves it to `path` (a rename: `path` is always a whole
    model), any other is deleted. `trial` and `value` are the kept model's."""

    def __init__(self, path: str | None, direction: str):
        self.path, self.maximize = path, direction == "maximize"
        self.trial: int | None = None
        self.value: float | None = None
        self._lock = threading.Lock()

    def path_for(self, number: int) -> str | None:
        if self.path is None:
            return None
        best = Path(self.path)
        return str(best.with_name(f"{best.stem}.trial{number}{best.suffix}"))

    def offer(self, number: int, value: float, saved: str | None) -> None:
        if not saved:
            return
        with self._lock:
            if self.value is None or (value > self.value if self.maximize
                                      else value < self.value):
                os.replace(saved, self.path)
                self.trial, self.value = number, value
                return
        self.drop(saved)

    @staticmethod
    def drop(saved: str | None) -> None:
        if saved:
            Path(saved).unlink(missing_ok=True)
