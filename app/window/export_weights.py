"""Which weights File › Export Model writes: freshly initialised ones (or the project's
initial weights), or the trained model of a run, as `kerascanvas export --weights
RUN.keras` writes it (the run's own graph, as trained).

Every run of the project that saved a model is offered, newest first, with its date (the
model file's), the epoch it reached and its best loss: the runs of this session and those
on disk (the runs index, `training.history`, read when the Training panel has not read
it yet), then model files of the runs folder the index does not list. A run whose model
file is gone is listed as missing and cannot be chosen. The choice is asked in the
dialog's body (`weights_dialog`): only its window title said "untrained", which an X
server without a window manager does not show. The latest finished run whose graph is
the project's graph now is offered first; a run's graph is noted when it starts
(`graph_key`) and kept in the runs index, so a run of an earlier session is offered
first too; one written before the graph was kept (or by `kerascanvas run`) is listed but
not chosen for the user.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

from ...graph.digest import graph_key
from ...graph.document import Document
from ...runtime.events import FINISHED
from ...runtime.snapshot import snapshot_path

SNAPSHOT_END = snapshot_path("run.keras").removeprefix("run")  # ".last.keras"


@dataclass(frozen=True)
class WeightsChoice:
    name: str  # "the trained model of Run 3", or the project's own weights
    path: str | None  # the run's saved model, None for the project's own weights
    note: str  # what the status message says was written
    details: str = ""  # status, date, epochs, best loss; or that the file is missing
    available: bool = True  # False: its model file is gone, listed but not chosen

    @property
    def label(self) -> str:
        """As listed after "Weights:"."""
        return f"{self.name} · {self.details}" if self.details else self.name


def date_text(path: str) -> str:
    """When the model file at `path` was written, local time ("2026-12-01 05:28")."""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(os.path.getmtime(path)))


def best_text(record) -> str:
    """"best val_loss 0.2345 (epoch 3)": the lowest validation loss of the run's epochs
    (the training loss without validation), epochs counted from 1 as Keras counts them;
    empty when no epoch ended with a finite loss."""
    result = record.result
    history = getattr(result, "history", None) or {}
    name = "val_loss" if history.get("val_loss") else "loss"
    start = getattr(result, "initial_epoch", 0) or 0
    finite = [(float(v), start + i + 1) for i, v in enumerate(history.get(name) or [])
              if isinstance(v, int | float) and math.isfinite(v)]
    if not finite:
        return ""
    value, epoch = min(finite)
    return f"best {name} {value:.4g} (epoch {epoch})"


def run_choice(record) -> WeightsChoice:
    """The choice of `record`'s saved model: its status, date, epoch and best loss, or
    that its file is missing."""
    path = record.saved_path
    name = f"the trained model of {record.label}"
    if not os.path.isfile(path):
        return WeightsChoice(name, path, "", f"{record.status} · model file missing: {path}",
                             available=False)
    reached = record.initial_epoch + record.epochs_done
    parts = [record.status, date_text(path), f"epoch {reached}/{record.epochs or '?'}",
             best_text(record)]
    return WeightsChoice(name, path, f"({name})", " · ".join(p for p in parts if p))


def unlisted_models(folder: str | None, listed: set[str]) -> list[WeightsChoice]:
    """The model files of the runs folder that no run names (a run whose listing failed),
    newest first; not the partial files of a save under way (".partial-…") nor the
    snapshots runs keep while they train ("run_3.last.keras")."""
    try:
        files = [(p.stat().st_mtime, p) for p in Path(folder).glob("*.keras")
                 if not p.name.startswith(".") and not p.name.endswith(SNAPSHOT_END)
                 and os.path.abspath(p) not in listed] if folder else []
    except OSError:  # the folder or a file went meanwhile
        return []
    return [WeightsChoice(f"the model file {p.name}", str(p), f"(the model file {p.name})",
                          f"not in the runs index · {date_text(str(p))}")
            for _, p in sorted(files, key=lambda pair: -pair[0])]


def weight_choices(doc_key: str, own: WeightsChoice, records,
                   folder: str | None = None) -> tuple[list[WeightsChoice], int]:
    """The project's own weights, then each run that saved a model (newest first; one whose
    file is gone listed as missing), then unlisted model files of `folder`, and the index
    of the one to offer: the latest finished run of the project's graph now, else the
    project's own."""
    runs = [r for r in sorted(records, key=lambda r: -r.number)
            if r.saved_path and not r.active]
    listed = {os.path.abspath(r.saved_path) for r in runs}
    choices = [own, *map(run_choice, runs), *unlisted_models(folder, listed)]
    default = next((i for i, r in enumerate(runs, 1) if choices[i].available
                    and r.status == FINISHED and r.graph == doc_key), 0)
    return choices, default


def run_graph(record, doc: Document, records) -> str | None:
    """The graph `record` trains: a continued run goes on with its earlier run's model,
    whatever the project holds now; a new run trains the project's graph."""
    if record.resumed_from is None:
        return graph_key(doc)
    earlier = next((r for r in records if r.number == record.resumed_from), None)
    return earlier.graph if earlier is not None else None
