"""A snapshot of the model as trained, kept at epoch ends for a run whose process dies.

A run that saves its model (`train(save="run_3.keras")`: the window's runs,
`kerascanvas run --save`) keeps, at the end of a complete epoch, the model as trained so
far beside it as `run_3.last.keras`, with its run record (`run_3.last.keras.run.json`,
`run_record.keep_at`: the epoch it holds, its data), written whole (a partial name, then a
rename). When the process is killed from outside (SIGKILL, the system's out-of-memory
killer) or crashes, the snapshot is what is left of the model: the window's run names it
and lists it as the run's model, so Continue goes on from the epoch its record holds, and
`kerascanvas run PROJECT --resume run_3.last.keras` does too.

Snapshots are throttled so that they cost little: one is written only when
`max(60 s, 10 x the last snapshot's own duration)` have passed since the last one (since
training began for the first), never at the last epoch (the final save covers it), nor
after an epoch that stops the run (a stop, early stopping, a NaN loss: the final save
covers those too) or whose loss is not finite. The environment variable
`KERASCANVAS_SNAPSHOT_MIN_S` sets the 60 s (0: at every epoch end, whatever a snapshot
costs). When the run ends and
keeps its model (`run_3.keras`), the snapshot and its record are removed.

One process only: a run on several processes takes no snapshots. The callback that writes
them is `runtime.snapshot_callback`; this module is light (no keras), for the window.
"""

from __future__ import annotations

import os
from pathlib import Path

from kerascanvas.graph import atomicfile

from . import run_record

MIN_INTERVAL_ENV = "KERASCANVAS_SNAPSHOT_MIN_S"
MIN_INTERVAL_S = 60.0
COST_FACTOR = 10.0  # a snapshot waits at least this many times its own last duration


def snapshot_path(save: str | os.PathLike) -> str:
    """Where a run saving to `save` keeps its snapshot: `run_3.keras` -> `run_3.last.keras`.

    >>> snapshot_path("runs/run_3.keras")
    'runs/run_3.last.keras'
    """
    path = Path(save)
    stem = path.name[:-len(".keras")] if path.name.endswith(".keras") else path.name
    return str(path.with_name(f"{stem}.last.keras"))


def min_interval() -> float:
    """The shortest time between two snapshots, in seconds (`KERASCANVAS_SNAPSHOT_MIN_S`,
    else 60)."""
    raw = os.environ.get(MIN_INTERVAL_ENV, "")
    try:
        value = float(raw) if raw.strip() else MIN_INTERVAL_S
    except ValueError:
        return MIN_INTERVAL_S
    return max(value, 0.0)


def held_epoch(path: str) -> int | None:
    """The epoch the snapshot at `path` holds, by its record; None without a readable one."""
    try:
        reached, _ = run_record.resume_point(run_record.read(path))
    except run_record.RecordMismatch:
        return None
    return reached


def discard(save: str | os.PathLike) -> None:
    """Remove the snapshot of a run saving to `save`, and its record (the run kept its model)."""
    discard_at(snapshot_path(save))


def discard_at(path: str | os.PathLike) -> None:
    """Remove the snapshot at `path`, its record and its partial files."""
    for file in (run_record.record_path(path), Path(path)):
        file.unlink(missing_ok=True)
    atomicfile.remove_stale_partials(path)


def kept_snapshot(save: str | None, before: tuple[int, ...] | None) -> str | None:
    """The snapshot a run saving to `save` wrote (its `kill_keep.file_identity` differs
    from `before`, taken as the run began), once none of its processes runs; None
    without one. Partial files of a snapshot cut short are removed."""
    from .kill_keep import file_identity

    if not save:
        return None
    path = snapshot_path(save)
    atomicfile.remove_stale_partials(path)
    identity = file_identity(path)
    return path if identity is not None and identity != before else None


def kept_text(path: str) -> str:
    """What a run whose process died says of the snapshot it kept at `path`."""
    epoch = held_epoch(path)
    held = f"after epoch {epoch}" if epoch is not None else \
        "at an epoch end (its run record is missing: give --initial-epoch to continue it)"
    return (f"A snapshot of the model as trained {held} is kept at {path}: Continue the run "
            f"to go on from there, or run `kerascanvas run PROJECT --resume {path}`.")


def checkpoint_text(patterns: list[str], project: str = "PROJECT") -> str:
    """What a run on several processes (which takes no snapshot) kept once its launcher is
    gone: the newest file ModelCheckpoint wrote at one of `patterns` (its filepaths, Keras'
    `{epoch}` fields and all), else nothing."""
    import glob
    import re

    found = [f for p in patterns for f in glob.glob(re.sub(r"\{[^}]*\}", "*", p))
             if os.path.isfile(f)]
    if not found:
        return ("A run on several processes takes no epoch-end snapshot, and ModelCheckpoint "
                "had written no checkpoint: nothing of its model was kept."
                if patterns else "A run on several processes takes no epoch-end snapshot, "
                "and it had no ModelCheckpoint: nothing of its model was kept.")
    last = max(found, key=os.path.getmtime)
    return (f"A run on several processes takes no epoch-end snapshot; the last checkpoint "
            f"ModelCheckpoint wrote is kept at {last}: run `kerascanvas run {project} --resume "
            f"{last} --initial-epoch N` (N: the epoch it holds) to go on from it.")
