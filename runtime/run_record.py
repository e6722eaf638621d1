"""The data a saved model was trained on, recorded beside it for `run --resume`.

`kerascanvas run --save MODEL.keras` also writes `MODEL.keras.run.json` (atomically):

    {"format": "kerascanvas-run", "version": 1, "data": "csv:data.csv?target=y",
     "fingerprint": {"samples": 150, "arrays": {"x/features": [[150, 4], "float32"], ...},
                     "sha256": "..."},
     "epochs": 5, "planned_epochs": 30}

`epochs` is the epoch the saved model reached and `planned_epochs` the epoch its run was
set to end at (Keras' `fit(epochs=)`), so a resume without `--epochs` trains the rest of
that plan (a record written before it had the plan: the project's epochs more).

`--resume MODEL.keras` reads it. Without `--data` the run goes on with the recorded data
(not the project's). A `--data` other than the recorded one, or recorded data whose
content changed since (samples, array shapes and dtypes, a SHA-256 of the arrays; the
file list of an image folder), is refused with exit 1, naming both, unless
`--data-changed` says that is meant. Synthetic data is random unless seeded, so only
its spec and shapes are compared. A model saved without a record (by another tool, or
a checkpoint) resumes on `--data`, else the project's data, as the command prints.

The runs index: a project's runs folder (`model.runs/` beside `model.json`) lists its
finished runs in `runs.json`, {"runs": [entry, ...]}, which the window's Training tab
shows. The window and `kerascanvas run` (every run it trains, `runtime.cli.kept_runs`)
both write it through `merge_index`: under a lock file
(`runs.json.lock`) it re-reads the index and writes it back atomically with the given
entries, keeping every entry on disk that they do not replace. An entry is known by its
`uid` (entries written before there was one: by their number).

Run numbers are given under that lock and never change once given, since the window
shows a run's number while it trains and `kerascanvas run` prints the one it listed.
`runs.next` beside the index holds the next number to give. The window takes its run's
number when the run starts (`reserve_number`); `merge_index` numbers an entry that has
none (the command's) when it writes it. A number reserved by a run that never ended
(the window was killed) is simply not used. An entry on disk is never renumbered: an
entry written with a number that another run's entry already holds (an index written
by an older version, or a folder copied over) gets the next free number instead.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import time
import uuid
from pathlib import Path
from typing import Any

from filelock import FileLock

from kerascanvas.graph.projectfile import write_text_atomic

FORMAT, VERSION = "kerascanvas-run", 1
SUFFIX = ".run.json"
INDEX = "runs.json"
COUNTER = "runs.next"  # the next run number to give
LOCK_TIMEOUT_S = 30.0


class RecordMismatch(Exception):
    """Resuming would train on data other than the run's; the message says which."""


def record_path(model_path: str | os.PathLike) -> Path:
    return Path(f"{os.fspath(model_path)}{SUFFIX}")


def _arrays(data) -> dict[str, Any]:
    parts = {"x": data.x, "y": data.y, "x_val": data.x_val, "y_val": data.y_val}
    return {f"{part}/{name}": array for part, named in parts.items() if named
            for name, array in sorted(named.items())}


def fingerprint(spec: str, data) -> dict[str, Any]:
    """What identifies the data: sample count, array shapes and dtypes, a content hash."""
    out: dict[str, Any] = {"samples": int(data.num_samples)}
    digest = hashlib.sha256()
    files = getattr(getattr(data, "train", None), "files", None)
    if files is not None:  # an image folder, read lazily: its files, sizes and classes
        out["classes"] = list(data.class_names)
        for path in sorted(map(str, files)):
            digest.update(f"{path}\0{os.path.getsize(path)}\n".encode())
    else:
        arrays = _arrays(data)
        out["arrays"] = {k: [list(a.shape), str(a.dtype)] for k, a in arrays.items()}
        for key, array in arrays.items():
            digest.update(key.encode() + b"\0")
            digest.update(memoryview(array.tobytes()))
    if not spec.startswith("synthetic"):
        out["sha256"] = digest.hexdigest()
    return out


def write(model_path: str, spec: str, current: dict[str, Any], epochs: int,
          planned: int | None = None) -> Path:
    """Record the data of the model saved at `model_path`, the epoch it reached and the
    epoch its run was set to end at (`planned`); returns the record's path."""
    path = record_path(model_path)
    record = {"format": FORMAT, "version": VERSION, "data": spec, "fingerprint": current,
              "epochs": int(epochs)}
    if planned is not None:
        record["planned_epochs"] = int(planned)
    write_text_atomic(path, json.dumps(record, indent=1, sort_keys=True) + "\n")
    return path


def read(model_path: str) -> dict[str, Any] | None:
    """The record beside a saved model, None when there is none.

    Raises:
        RecordMismatch: the record exists but cannot be read as one.
    """
    path = record_path(model_path)
    if not path.exists():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        if record.get("format") != FORMAT or not isinstance(record.get("data"), str):
            raise ValueError("not a run record")
    except (OSError, UnicodeDecodeError, ValueError, AttributeError) as exc:
        raise RecordMismatch(f"cannot read {path}, the record of the data {model_path} was "
                             f"trained on ({exc}); pass --data-changed to resume anyway on "
                             "--data or the project's data") from None
    return record


def resume_spec(record: dict[str, Any] | None, given: str | None, default: str,
                allow_change: bool) -> tuple[str, str]:
    """(the data spec to resume on, where it comes from, for the message).

    Raises:
        RecordMismatch: `given` differs from the recorded spec, without `allow_change`.
    """
    if record is None:
        return (given, "from --data") if given else (default, "the project's data; "
                                                     "the saved model has no run record")
    if given is None or given == record["data"]:
        return record["data"], "the data the run was trained on, from its record"
    if allow_change:
        return given, "from --data, other than the recorded data (--data-changed)"
    raise RecordMismatch(f"the saved model was trained on --data {record['data']!r} (its "
                         f"record says so), but this run would train on {given!r}. Pass "
                         f"--data {record['data']!r} (or leave --data out) to continue on "
                         "the same data, or add --data-changed to continue on other data")


def verify(record: dict[str, Any] | None, spec: str, current: dict[str, Any],
           allow_change: bool) -> None:
    """Raise RecordMismatch when the recorded data's content changed since the run."""
    if record is None or allow_change or spec != record["data"]:
        return
    before = record.get("fingerprint") or {}
    changed = [key for key in ("samples", "arrays", "classes", "sha256")
               if key in before and before[key] != current.get(key)]
    if changed:
        what = ", ".join({"sha256": "content", "arrays": "array shapes"}.get(k, k)
                         for k in changed)
        raise RecordMismatch(f"the data {spec!r} changed since the saved model was trained "
                             f"on it ({what} differ: {before.get('samples')} samples then, "
                             f"{current.get('samples')} now). Restore it, or add "
                             "--data-changed to continue on the data as it is now")


# ---- the runs index (runs.json) ---------------------------------------------------
def entry_uid(entry: dict[str, Any]) -> str:
    """What identifies an index entry: its uid, else (older entries) its number."""
    return str(entry.get("uid") or f"run-{entry.get('number')}")


def read_index(folder: str | os.PathLike) -> list[dict[str, Any]]:
    """The entries of `folder`'s runs index ([] when there is none).

    Raises:
        ValueError: the index exists but is not a runs index (the message names it).
    """
    index = Path(folder) / INDEX
    if not index.exists():
        return []
    try:
        runs = json.loads(index.read_text(encoding="utf-8"))["runs"]
        if not isinstance(runs, list) or not all(isinstance(r, dict) and
                                                 isinstance(r.get("number"), int)
                                                 for r in runs):
            raise ValueError("'runs' is not a list of numbered runs")
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"Could not read the runs in {index}: {exc}") from None
    return runs


def _set_aside(folder: Path) -> Path:
    """Move an unreadable index out of the way (kept beside it, never deleted)."""
    index = folder / INDEX
    aside = folder / f"{INDEX}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}"
    os.replace(index, aside)
    return aside


def finite_json(value: Any) -> Any:
    """`value` with every NaN or infinity made None: the index is strict JSON, and a run
    can end with a NaN validation metric while its training loss stays finite."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_json(v) for v in value]
    return value


@contextlib.contextmanager
def _locked(folder: Path):
    """Hold `folder`'s index lock (made with the folder when there is none)."""
    folder.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder / f"{INDEX}.lock"), timeout=LOCK_TIMEOUT_S):
        yield


def _next_number(folder: Path, numbers) -> int:
    """The next number to give (hold the lock): past `runs.next` and every number in
    `numbers`. An unreadable counter counts for nothing (`numbers` still do)."""
    try:
        counter = int((folder / COUNTER).read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        counter = 1
    return max([counter, *(n + 1 for n in numbers)])


def _given(folder: Path, number: int) -> None:
    """Record that `number` is given (hold the lock)."""
    write_text_atomic(folder / COUNTER, f"{number + 1}\n")


def reserve_number(folder: str | os.PathLike, floor: int = 1) -> int:
    """Take the next run number of `folder`'s runs (at least `floor`), for a run that
    starts now; no other run of the folder is ever given it.

    Example: a window starting its run while `kerascanvas run` trains beside it: the
    window's run is numbered now, the command's when it is listed, and neither changes.

    Raises:
        OSError, TimeoutError: the folder cannot be written, or its lock is held too long.
    """
    folder = Path(folder)
    with _locked(folder):
        try:
            numbers = [e["number"] for e in read_index(folder)]
        except ValueError:  # merge_index sets it aside; its numbers are not reused here
            numbers = []
        number = max(_next_number(folder, numbers), int(floor))
        _given(folder, number)
    return number


def merge_index(folder: str | os.PathLike, entries: list[dict[str, Any]]) -> list[dict]:
    """Write `entries` into `folder`'s runs index, keeping the others on disk.

    Under the index's lock the index is read again: entries on disk with the uid of one
    of `entries` are replaced by it, the rest are kept as they are. An entry without a
    number, or with one another run's entry holds, gets the next free one (it is set in
    the dict). An unreadable index is moved aside to `runs.json.unreadable-TIME` first.
    Returns the entries written, by number.
    """
    folder = Path(folder)
    with _locked(folder):
        try:
            disk = read_index(folder)
        except ValueError:
            _set_aside(folder)
            disk = []
        for entry in entries:
            if entry.get("number") or entry.get("uid"):
                entry.setdefault("uid", entry_uid(entry))
        mine = {e["uid"] for e in entries if e.get("uid")}
        kept = [e for e in disk if entry_uid(e) not in mine]
        held = {e["number"] for e in kept}
        free = _next_number(folder, [*held, *(e.get("number") or 0 for e in entries)])
        for entry in entries:
            if not entry.get("number") or entry["number"] in held:
                entry.setdefault("uid", uuid.uuid4().hex)
                entry["number"], free = free, free + 1
            held.add(entry["number"])
        runs = sorted([*kept, *entries], key=lambda e: e["number"])
        text = json.dumps({"runs": [finite_json(e) for e in runs]}, allow_nan=False)
        write_text_atomic(folder / INDEX, text)
        _given(folder, free - 1)
    return runs
