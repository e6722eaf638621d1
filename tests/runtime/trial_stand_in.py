"""A search trial's process as the driver sees it, for tests that drive a study without
Keras: its events and commands queues (`runtime.search.child`'s wire protocol), and a
process that ends with its result."""

from __future__ import annotations

import queue
import threading

from kerascanvas.runtime.events import (
    STOPPED,
    EpochEnd,
    Paused,
    Result,
    Resumed,
    TrainBegin,
    to_wire,
)


class StandInTrial:
    """It trains epoch 0 (12 batches an epoch), then answers the commands; a pause holds
    before batch 5 of epoch 1 once `reach_batch` is set, and a stop releases a pause (a
    `Resumed`) as the real bridge's does."""

    def __init__(self):
        self.events, self.commands = queue.Queue(), queue.Queue()
        self.reach_batch = threading.Event()
        self.ended = threading.Event()
        self.pid, self.exitcode = 0, None
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        self._send(TrainBegin(epochs=3, steps=12))
        self._send(EpochEnd(0, {"val_accuracy": 0.5, "loss": 1.0}))
        held = False
        while (command := self.commands.get()) not in ("stop", None):
            if command == "pause" and not held:
                self.reach_batch.wait()
                held = self._send(Paused(1, 5))
            elif command == "resume" and held:
                held = not self._send(Resumed(1))
        if held:
            self._send(Resumed(1))
        self._send(Result(STOPPED, epochs_run=1))
        self.exitcode = 0
        self.ended.set()

    def _send(self, event) -> bool:
        self.events.put(to_wire(event))
        return True

    def is_alive(self) -> bool:
        return not self.ended.is_set()

    def join(self, timeout=None) -> None:
        self.ended.wait(timeout)

    def kill(self) -> None:
        self.commands.put("stop")


def stand_in_trials(monkeypatch) -> list[StandInTrial]:
    """Make the driver start stand-ins for its trials; the list of those it started."""
    from kerascanvas.runtime.search import driver

    trials: list[StandInTrial] = []

    def start_trial(payload):
        trials.append(trial := StandInTrial())
        return trial, trial.events, trial.commands

    monkeypatch.setattr(driver, "start_trial", start_trial)
    return trials
