"""One training run as the window holds it (`RunRecord`: settings, live curves, progress,
result), the metric names its settings will log, and the run's numbers as text (its
logs, ETA, speed and progress line)."""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...graph.document import Document
from ...graph.number_text import float_text
from ...graph.training import output_names
from ...runtime import events as ev
from .curves import RunCurves

ACTIVE = ("starting", "running", "paused", "stopping")


def expected_metrics(doc: Document, settings: Mapping[str, Any]) -> list[str]:
    """The metric names Keras will log for these settings (a guess used for layout)."""
    outputs = output_names(doc)
    metrics = settings.get("metrics") or []
    per = metrics if isinstance(metrics, dict) else {n: metrics for n in outputs}
    names = []
    for output, listed in per.items():
        for metric in listed or []:
            name = metric if isinstance(metric, str) else str(dict(metric).get("name", ""))
            names.append(name if len(outputs) == 1 else f"{output}_{name}")
    return names


@dataclass
class RunRecord:
    """One training run: its settings, live curves, progress and final result."""

    number: int
    settings: dict[str, Any]
    source: Any = None
    status: str = "starting"
    curves: RunCurves = field(default_factory=RunCurves)
    epochs: int | None = None
    steps: int | None = None
    epoch: int = 0
    batch: int = -1
    initial_epoch: int = 0
    epoch_offset: int | None = None
    epochs_done: int = 0
    started_at: float | None = None
    eta_s: float | None = None
    samples_per_s: float | None = None
    message: str = ""
    result: ev.Result | None = None
    saved_path: str | None = None
    resumed_from: int | None = None
    processes: int = 1
    folder: str | None = None  # where its model is saved, with its project's other runs
    heard_at: float | None = None  # when it last spoke while training (clock seconds)
    silence_told: bool = False  # its silence since then was told
    validating: tuple[int, int | None] | None = None  # (batch, batches) of its validation
    # What names it in its project's runs index (`runtime.run_record.merge_index`).
    uid: str = field(default_factory=lambda: uuid.uuid4().hex)
    # The process that lists it as running there (`runtime.runs_index.PROCESS`): a run of
    # `kerascanvas run`, not this window's; None for the window's runs and ended ones.
    process: dict[str, Any] | None = None
    # A digest of the graph it trains (`graph.digest.graph_key`), kept in the runs
    # index so that Export Model offers its model first in a later session; None: unknown.
    graph: str | None = None

    @property
    def label(self) -> str:
        return f"Run {self.number}"

    @property
    def active(self) -> bool:
        """Whether this window's run is under way (not one another process trains)."""
        return self.status in ACTIVE and self.process is None

    @property
    def final_metrics(self) -> dict[str, float]:
        """The logs of the finished epoch whose weights the run kept: after a NaN loss the
        weights are the last finite ones and the run's history ends at their epoch, while
        the live curves still hold the NaN epoch; EarlyStopping(restore_best_weights)
        keeps the best epoch's weights, and its logs are in the history."""
        result = self.result
        if result is not None and result.nan:
            return {name: float(values[-1]) for name, values in result.history.items()
                    if values}
        return self.kept_logs() or self.curves.last_epoch_logs()

    @property
    def metrics_epoch(self) -> int | None:
        """The epoch (from 1) whose logs `final_metrics` holds; None before one ended."""
        result = self.result
        if result is not None and result.nan:
            return result.epochs_run or None
        if self.kept_logs():
            return result.kept_epoch
        return self.curves.epochs_logged() or None

    def kept_logs(self) -> dict[str, float]:
        """The logs of the epoch whose weights EarlyStopping restored; empty when it did
        not restore any (or the history lacks that epoch)."""
        result = self.result
        if result is None or result.kept_epoch is None:
            return {}
        index = result.kept_epoch - 1 - result.initial_epoch
        return {name: float(values[index]) for name, values in result.history.items()
                if 0 <= index < len(values)}

    @property
    def dropped_note(self) -> str:
        """After a NaN loss, which epoch was dropped and whose weights were kept, from the
        result's fields (empty for other runs, and for results saved before the fields)."""
        result = self.result
        if result is None or result.dropped_epoch is None:
            return ""
        losses = ", ".join(result.nan_losses) or "loss"
        kept = (f"the weights of epoch {result.epochs_run} were kept" if result.epochs_run
                else "the initial weights were kept")
        return (f"Epoch {result.dropped_epoch} was dropped ({losses} not finite); {kept}, "
                f"with its metrics.")

    @property
    def fraction(self) -> float:
        """How much of this run's epochs is done, 0..1."""
        if self.status == "finished":  # to the end, or ended by early stopping
            return 1.0
        if not self.epochs or self.epochs <= self.initial_epoch:
            return 0.0
        done = self.epoch - self.initial_epoch + ((self.batch + 1) / self.steps
                                                  if self.steps else 0.0)
        return min(max(done / (self.epochs - self.initial_epoch), 0.0), 1.0)

    def summary(self) -> str:
        """One line: optimizer, learning rate, batch size, epochs (and the run it continues),
        then what differs from the defaults: mixed precision (a mixed_float16 run read as
        a float32 one), the number of processes, and `fit_extras`."""
        opt = self.settings.get("optimizer") or {}
        opt = {"name": opt} if isinstance(opt, str) else opt
        precision = self.settings.get("mixed_precision") or "off"
        mixed = f" {precision}" if precision != "off" else ""
        ranks = f" processes={self.processes}" if self.processes > 1 else ""
        # A continued run's epochs count from the start of the run it continues.
        continued = (f" (continues Run {self.resumed_from} from epoch {self.initial_epoch})"
                     if self.resumed_from is not None else "")
        lr = opt.get("learning_rate", "default")
        lr = float_text(lr) if isinstance(lr, float) else lr  # 1e+09, not 1000000000.0
        return (f"{opt.get('name', 'adam')} lr={lr} "
                f"batch={self.settings.get('batch_size', 32)} "
                f"epochs={self.settings.get('epochs', 10)}{continued}{mixed}{ranks}"
                + "".join(f" {part}" for part in fit_extras(self.settings)))


PATH_OPTIONS = ("filepath", "filename", "log_dir")  # long, and alike from run to run


def fit_extras(settings: Mapping[str, Any]) -> list[str]:
    """What tells runs apart beyond the optimizer: a schedule other than constant, the
    class weights, each callback with the options set (file paths left out)."""
    parts = []
    schedule = (settings.get("schedule") or {}).get("name", "constant")
    if schedule != "constant":
        parts.append(f"schedule={schedule}")
    weights = settings.get("class_weight")
    if isinstance(weights, str):
        parts.append(f"class_weight={weights}")
    elif weights is not None:
        parts.append("class_weight={" + ", ".join(f"{k}: {v:g}" for k, v in weights.items())
                     + "}")
    for callback in settings.get("callbacks") or []:
        options = ", ".join(f"{k}={v}" for k, v in callback.items()
                            if k != "name" and k not in PATH_OPTIONS)
        parts.append(f"{callback.get('name')}({options})" if options else
                     str(callback.get("name")))
    return parts


def format_logs(logs: Mapping[str, Any]) -> str:
    """"loss 0.4512, val_loss 0.5123" with training names first."""
    names = sorted(logs, key=lambda n: (n.startswith("val_"), n != "loss", n))
    return ", ".join(f"{n} {float(logs[n]):.4g}" for n in names
                     if isinstance(logs[n], int | float))


def format_eta(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "--:--"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return (f"{hours}:" if hours else "") + f"{rest // 60:02d}:{rest % 60:02d}"


def speed_text(rate, separator: str) -> str:
    """`separator` and "1,234 samples/s"; empty without a finite rate."""
    finite = isinstance(rate, float | int) and math.isfinite(rate)
    return f"{separator}{rate:,.0f} samples/s" if finite else ""


def progress_text(record: RunRecord) -> str:
    """The progress bar's line: "running · epoch 2/10 · batch 3/40 · ETA 00:12 · 1,234
    samples/s" while a run is active ("paused · ... · 00:12 left once resumed" while it
    is held), "Run 3 finished" once it has ended (with "· early stopping after epoch 12
    of 30" when that ended it). Before its first event a run says what it is doing: Keras
    loads, the data is read and the model built (a minute or more on a busy machine,
    that a bare "running…" left the user to take for a hang)."""
    if record.status in ("finished", "stopped", "failed", "killed", "interrupted"):
        return f"{record.label} {record.status}{early_stop_text(record)}"
    if record.process is not None:  # listed by `kerascanvas run` (or a window) training it
        return (f"{record.label} running in {record.process.get('by', 'kerascanvas run')} · "
                f"{record.curves.epochs_logged() or record.initial_epoch} of "
                f"{record.epochs or '?'} epochs ended")
    epochs = record.epochs or "?"
    if not isinstance(epochs, int):
        return (f"{record.label} starting: loading Keras, reading the data, building the "
                f"model…" if record.status in ("starting", "running") else f"{record.status}…")
    batch = f" · batch {record.batch + 1}/{record.steps}" if record.steps and \
        record.batch >= 0 else ""
    left = f"{format_eta(record.eta_s)} left once resumed" if record.status == "paused" \
        else f"ETA {format_eta(record.eta_s)}"
    return (f"{record.status} · epoch {min(record.epoch + 1, epochs)}/{epochs}{batch} · "
            f"{left}{speed_text(record.samples_per_s, ' · ')}")


def early_stop_text(record: RunRecord) -> str:
    """" · early stopping after epoch 12 of 30, weights of epoch 9 kept", or empty when
    early stopping did not end the run."""
    result = record.result
    stopped = result.early_stopped if result is not None else None
    if stopped is None:
        return ""
    kept = f", weights of epoch {result.kept_epoch} kept" if result.kept_epoch else ""
    return f" · early stopping after epoch {stopped} of {record.epochs or '?'}{kept}"
