"""What `kerascanvas run` shows and keeps while it trains: a progress bar per epoch with
Keras-style epoch lines, the final metrics table, and the JSON-lines event log (`--log`)."""

from __future__ import annotations

import json
import sys

from .. import events as ev

# Batch events are many and the live view does not need them afterwards.
LOGGED_EVENTS = (ev.ExecutorChosen, ev.WeightsLoaded, ev.TrainBegin, ev.EpochEnd, ev.TrainEnd,
                 ev.Result)


def metrics_table(result, message: str | None = None, saved: bool = True) -> str:
    """The final metrics as an aligned two-column table under its header; the run's
    message (or `message`) and where the model was saved (unless not `saved`: a line
    after the table says it) follow the rows, never split them."""
    reached = f"epoch {result.epochs_run}" if result.epochs_run else "no complete epoch"
    where = f"{result.evaluated_on} data" if result.evaluated_on else "no final evaluation"
    lines = [f"Final metrics ({where}, {reached}, {result.device})"]
    if result.metrics:
        width = max(len(k) for k in result.metrics)
        lines += [f"  {name:<{width}}  {value:.4f}" for name, value in result.metrics.items()]
    message = result.message if message is None else message
    if message:
        lines.append(message)
    if result.saved and saved:
        lines.append(f"Saved the model to {result.saved}")
    return "\n".join(lines)


class EventLog:
    """Append the events worth keeping to a JSON-lines file (or do nothing without a path).

    Each line is an event as `events.to_wire` writes it (`events.from_wire` reads it).
    """

    def __init__(self, path: str | None):
        self.path = path
        self._file = None

    def __enter__(self):
        if self.path:
            self._file = open(self.path, "w", encoding="utf-8")  # noqa: SIM115
        return self

    def __exit__(self, *exc):
        if self._file is not None:
            self._file.close()

    def __call__(self, event: ev.TrainingEvent) -> None:
        if self._file is not None and isinstance(ev.require(event), LOGGED_EVENTS):
            self._file.write(json.dumps(ev.to_wire(event)) + "\n")
            self._file.flush()


class ProgressBar:
    """Keras-style progress: a tqdm bar per epoch, then the epoch's summary line.

    The bar's postfix shows the running means of the batch events; the summary
    line the epoch's logs, validation metrics included, its time and rate.
    """

    def __init__(self, file=None):
        self.file = file or sys.stderr
        self._bar = None
        self._epochs = self._steps = None

    def __call__(self, event: ev.TrainingEvent) -> None:
        if isinstance(ev.require(event), ev.TrainBegin):
            self._epochs, self._steps = event.epochs, event.steps
        elif isinstance(event, ev.EpochBegin):
            self._open(event.epoch)
        elif isinstance(event, ev.BatchEnd) and self._bar is not None:
            self._bar.update(event.batch + 1 - self._bar.n)
            self._bar.set_postfix(_short(event.logs), refresh=False)
        elif isinstance(event, ev.EpochEnd):
            elapsed = self._bar.format_dict["elapsed"] if self._bar is not None else None
            self.close()
            self.file.write(epoch_line(event, self._epochs, elapsed) + "\n")
            self.file.flush()

    def _open(self, epoch: int) -> None:
        from tqdm import tqdm

        self.close()
        self._bar = tqdm(desc=f"Epoch {epoch + 1}/{self._epochs}", total=self._steps,
                         unit="batch", file=self.file, leave=False, dynamic_ncols=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _short(logs: dict) -> dict[str, str]:
    return {k: f"{v:.4g}" for k, v in logs.items() if isinstance(v, float | int)}


def epoch_line(event: ev.EpochEnd, epochs: int | None, elapsed: float | None) -> str:
    """`Epoch 3/10 - 1.2s - 5,300 samples/s - loss: 0.3120 - val_loss: 0.4011 - lr: 0.001`."""
    parts = [f"Epoch {event.epoch + 1}/{epochs or '?'}"]
    if elapsed is not None:
        parts.append(f"{elapsed:.1f}s")
    rate = event.samples_per_s
    if isinstance(rate, float | int) and rate == rate:
        parts.append(f"{rate:,.0f} samples/s")
    parts += [f"{k}: {v:.4f}" for k, v in event.logs.items() if isinstance(v, float | int)]
    lr = event.lr
    if isinstance(lr, float | int) and lr == lr:
        parts.append(f"lr: {lr:.3g}")
    return " - ".join(parts)
