"""The data a saved model was trained on, recorded beside it for `run --resume`.

`kerascanvas run --save MODEL.keras` also writes `MODEL.keras.run.json` (atomically):

    {"format": "kerascanvas-run", "version": 1, "data": "csv:data.csv?target=y",
     "fingerprint": {"samples": 150, "arrays": {"x/features": [[150, 4], "float32"], ...},
                     "sha256": "..."},
     "epochs": 5, "planned_epochs": 30, "learning_rate": 0.00025,
     "source": {"spec": "csv:data.csv?target=y", "files": {"data.csv": {"size": ...}}}}

`epochs` is the epoch the saved model reached and `planned_epochs` the epoch its run was
set to end at (Keras' `fit(epochs=)`), so a resume without `--epochs` trains the rest of
that plan (a record written before it had the plan: the project's epochs more), and
`learning_rate` the rate its optimizer had reached (a schedule or ReduceLROnPlateau
included). Every kept model of a run gets one, written by `keep`: `runtime.train` for
the file it saves to (`--save`, the window's `run_N.keras`, after a stop, early stopping
or a NaN loss too), `kerascanvas run` for a model it keeps in the runs folder. Both the
window's Continue and `--resume` read it (`resume_point`).

`--resume MODEL.keras` reads it. Without `--data` the run goes on with the recorded data
(not the project's). A `--data` other than the recorded one, or recorded data whose
content changed since (samples, array shapes and dtypes, a SHA-256 of the arrays; the
file list of an image folder), is refused with exit 1, naming both, unless
`--data-changed` says that is meant. Synthetic data is random unless seeded, so only
its spec and shapes are compared. `source` is the cheap stamp of the data's files taken
as the run started (`runtime.data_stamp`): compared before any data is read, it names
the file and what changed (size, content, an image class's files). A model saved
without a record (by another tool, or a checkpoint) resumes on `--data`, else the
project's data, as the command prints.

The runs index beside them (`runs.json`) is `runtime.runs_index`; its names are
importable from here too.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from pathlib import Path
from typing import Any

from kerascanvas.graph.projectfile import write_text_atomic

from .runs_index import (  # noqa: F401  (their home was here)
    COUNTER,
    INDEX,
    LOCK_TIMEOUT_S,
    entry_uid,
    finite_json,
    merge_index,
    read_index,
    reserve_number,
)

FORMAT, VERSION = "kerascanvas-run", 1
SUFFIX = ".run.json"


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
          planned: int | None = None, learning_rate: float | None = None,
          source: dict[str, Any] | None = None) -> Path:
    """Record the data of the model saved at `model_path`, the epoch it reached, the
    epoch its run was set to end at (`planned`), the rate its optimizer reached and the
    stamp of its data's files taken as the run started (`source`, `runtime.data_stamp`);
    returns the record's path."""
    path = record_path(model_path)
    record = {"format": FORMAT, "version": VERSION, "data": spec, "fingerprint": current,
              "epochs": int(epochs)}
    if source is not None:
        record["source"] = source
    if planned is not None:
        record["planned_epochs"] = int(planned)
    if learning_rate is not None and math.isfinite(learning_rate) and learning_rate > 0:
        record["learning_rate"] = float(learning_rate)
    write_text_atomic(path, json.dumps(record, indent=1, sort_keys=True) + "\n")
    return path


def keep(result, data) -> str:
    """Write the record of the model `result` (a `TrainResult`) saved at `result.saved`:
    its settings' data (with the fingerprint taken before training, when the caller
    put one in `settings["data_fingerprint"]`), `epochs_run`, the planned epochs and the
    learning rate its model's optimizer reached. The one writer of run records.

    Returns:
        "" when written (or nothing was saved, or by no run: no data in its settings),
        else a sentence saying why not.
    """
    if not result.saved:
        return ""
    return keep_at(result.saved, result.settings, data, result.epochs_run, result.model)


def keep_at(path: str, settings, data, epochs: int, model) -> str:
    """`keep` for the model `model` saved at `path` after `epochs` epochs, trained with
    the resolved `settings` on `data` (also a run's epoch-end snapshot,
    `runtime.snapshot`)."""
    if not isinstance(settings.get("data"), str):
        return ""
    try:
        current = settings.get("data_fingerprint") or \
            (fingerprint(settings["data"], data) if data is not None else {})
        source = settings.get("data_stamp")  # taken as the run read its data
        write(path, settings["data"], current, epochs, settings.get("epochs"),
              _reached_rate(model), source if _stamps(source, settings["data"]) else None)
    except OSError as exc:
        return (f"Could not write {record_path(path)}, the run record of the model "
                f"({exc.strerror or exc}): continuing it needs the data and the epoch "
                "reached given again (--data, --initial-epoch).")
    return ""


def _stamps(source, spec: str) -> bool:
    """Whether `source` is a data stamp of `spec` (`runtime.data_stamp.stamp`)."""
    return isinstance(source, dict) and source.get("spec") == spec.strip()


def _reached_rate(model) -> float | None:
    """The learning rate `model`'s optimizer applies at its current step, or None."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return None
    from .optim import current_learning_rate  # keras: only where a model was trained

    return current_learning_rate(optimizer)


def _count(value) -> int | None:
    """A recorded epoch: an int >= 0 (not a bool), else None."""
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    return value if ok else None


def resume_point(record: dict[str, Any] | None) -> tuple[int | None, int | None]:
    """(the epoch the recorded model reached, the epoch its run was set to end at), each
    None where the record (None: there is none) does not say: where `--resume` and the
    window's Continue go on from, and to."""
    record = record or {}
    planned = _count(record.get("planned_epochs"))
    return _count(record.get("epochs")), planned or None


def reached_rate(record: dict[str, Any] | None) -> float | None:
    """The learning rate the recorded model's optimizer had reached, or None."""
    rate = (record or {}).get("learning_rate")
    ok = isinstance(rate, int | float) and not isinstance(rate, bool) and \
        math.isfinite(rate) and rate > 0
    return float(rate) if ok else None


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
        if not isinstance(record, dict):
            raise ValueError(f"expected a JSON object, received {type(record).__name__}")
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
