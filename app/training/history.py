"""A project's finished runs on disk, so they come back when the project is reopened.

A saved project `model.json` keeps its runs in `model.runs/` beside it: each run's
trained model (`run_N.keras`) and `runs.json`, which holds every finished run's
settings, status, result, progress and curves (and each run in training, listed as
running: `run_listing`). An untitled project keeps them
in the data folder (`graph.paths.data_dir() / "runs" / "untitled"`).

`kerascanvas run` writes into the same index (every run it trains, with the model it
kept, if any), so both write through `runtime.run_record.merge_index`: the index is
re-read under its lock and entries this window does not hold are kept.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ...graph.paths import data_dir
from ...runtime import run_record, runs_index
from ...runtime.cli.kept_runs import KERAS_LR_LOG
from ...runtime.events import Result, from_wire, to_wire
from .curves import RunCurves, Series
from .records import RunRecord

INDEX = run_record.INDEX
FIELDS = ("number", "settings", "status", "epochs", "steps", "epoch", "initial_epoch",
          "epochs_done", "message", "result", "resumed_from", "processes", "graph")


def runs_folder(project_path: str | None) -> Path:
    """Where the runs of the project saved at `project_path` (None: untitled) are kept."""
    if project_path:
        path = Path(project_path)
        return path.with_name(path.stem + ".runs")
    return data_dir() / "runs" / "untitled"


def _series(series: Series) -> list[list[float | None]]:
    """[x values, y values] with None for a value that is not finite (JSON has no NaN)."""
    y = series.y.astype(object)
    y[~np.isfinite(series.y)] = None
    return [series.x.tolist(), y.tolist()]


def _from_series(pair) -> Series:
    """The series of a stored [x values, y values] pair; None comes back as NaN."""
    return Series.of(*pair)


def record_to_dict(record: RunRecord, folder: Path) -> dict:
    data = {name: getattr(record, name) for name in FIELDS}
    data["uid"] = record.uid
    data["result"] = None if record.result is None else to_wire(record.result)
    saved = record.saved_path  # kept when its file is gone: Export says it is missing
    data["saved"] = os.path.relpath(saved, folder) if saved else None
    curves = record.curves
    data["curves"] = {"batch_loss": _series(curves.batch_loss), "lr": _series(curves.lr),
                      "epochs": {k: _series(s) for k, s in curves.epochs.items()},
                      "last_epoch": curves.last_epoch}
    return data


def record_from_dict(data: dict, folder: Path) -> RunRecord:
    """The run an index entry lists, as things stand: one listed as running by a process
    of this host that is gone reads "interrupted" (`runs_index.judged`); one of another
    host is shown as listed, saying that it is not checked from here."""
    data = runs_index.judged(data, folder)
    record = RunRecord(int(data["number"]), dict(data.get("settings") or {}),
                       uid=run_record.entry_uid(data), folder=str(folder))
    for name in FIELDS[2:]:
        if name in data:
            setattr(record, name, data[name])
    if data.get("result") is not None:
        record.result = _with_nans(from_wire(data["result"]))
    if data.get("saved"):
        record.saved_path = str(folder / data["saved"])
    if isinstance(data.get(runs_index.PROCESS), dict):  # another process's run, listed
        record.process = data[runs_index.PROCESS]  # as running (or found interrupted)
        host = runs_index.elsewhere(data)
        if host is not None:
            record.message = (f"Listed as running on {host}; this machine cannot tell "
                              f"whether it still runs. {record.message}")
    curves, stored = RunCurves(), data.get("curves") or {}
    curves.batch_loss = _from_series(stored.get("batch_loss", [[], []]))
    curves.lr = _from_series(stored.get("lr", [[], []]))
    curves.epochs = {k: _from_series(v) for k, v in (stored.get("epochs") or {}).items()
                     if k != KERAS_LR_LOG}  # listed as a metric by earlier commands
    curves.last_epoch = stored.get("last_epoch")
    curves.dropped = getattr(record.result, "dropped_epoch", None)  # NaN: not drawn
    record.curves = curves
    return record


def judge_listed(record: RunRecord) -> bool:
    """Mark `record`, listed as running by a process of this host (`record.process`),
    "interrupted" with the message that process left once it is gone, and the snapshot it
    left as its model, as a read of the index would (`runs_index.judged`); whether it
    changed. Its process stays named: the index may still hold its end, which a later
    read brings."""
    if record.process is None or record.status != runs_index.RUNNING:
        return False
    folder = Path(record.folder) if record.folder else None
    entry = runs_index.judged({"status": record.status, "message": record.message,
                               "epoch": record.epoch, "initial_epoch": record.initial_epoch,
                               runs_index.PROCESS: record.process}, folder)
    if entry["status"] != runs_index.INTERRUPTED:
        return False
    record.status, record.message = entry["status"], entry["message"]
    if folder is not None and runs_index.SNAPSHOT in record.process:
        record.saved_path = str(folder / entry["saved"]) if entry.get("saved") else None
        record.epoch, record.epochs_done = entry["epoch"], entry["epochs_done"]
    return True


def _with_nans(result):
    """A stored result with the NaN its metrics had (the index writes it as null)."""
    if not isinstance(result, Result):
        return result
    nan = float("nan")
    return dataclasses.replace(
        result, metrics={k: nan if v is None else v for k, v in result.metrics.items()},
        history={k: [nan if v is None else v for v in values]
                 for k, values in result.history.items()})


def save_runs(folder: Path, records: list[RunRecord]) -> list[tuple[RunRecord, int]]:
    """Write the finished runs into the index (the models are already in `folder`);
    runs on disk that `records` do not hold (another window's, the command line's) stay,
    and so do those listed as running by another process (it writes their end).
    Returns (record, its number before) for each run the index numbered anew: one whose
    number another run's entry already held (its number could not be reserved)."""
    done, entries = ended_entries(folder, records)
    run_record.merge_index(folder, entries)
    return renumbered(done, entries)


def ended_entries(folder: Path, records: list[RunRecord]
                  ) -> tuple[list[RunRecord], list[dict]]:
    """The ended runs of `records` this process writes (not another's listed runs), and
    their index entries (made where the records change: the GUI thread)."""
    done = [r for r in records if not r.active and r.process is None]
    return done, [record_to_dict(r, folder) for r in done]


def renumbered(done: list[RunRecord], entries: list[dict]) -> list[tuple[RunRecord, int]]:
    """Give `done` the numbers `merge_index` gave their `entries`; (record, number before)
    for each that changed."""
    moved = [(r, r.number) for r, e in zip(done, entries, strict=True)
             if e["number"] != r.number]
    for record, entry in zip(done, entries, strict=True):
        record.number = entry["number"]
    return moved


def load_runs(folder: Path, read: Callable[[Path], list[dict]] = run_record.read_index
              ) -> tuple[list[RunRecord], str | None]:
    """The runs kept in `folder`, and a message when its index cannot be read. `read`
    returns the index's entries (`runs_parse.parse_index` reads them in a child process)."""
    try:
        return [record_from_dict(d, folder) for d in read(folder)], None
    except ValueError as exc:
        return [], str(exc)
    except (KeyError, TypeError) as exc:
        return [], f"Could not read the runs in {folder / INDEX}: {exc}"
