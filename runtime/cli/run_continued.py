"""A listed run whose model a `kerascanvas run --resume` writes over: its entry says so.

`kerascanvas run PROJECT --resume net.last.keras --save net.keras` continues the run
killed while saving to net.keras (its snapshot, `runtime.snapshot`), and writes its own
snapshot to that same net.last.keras, which it removes once net.keras is written. The
killed run's entry would then still name a snapshot that is no longer its model (another
run's, or no file at all), and Continue on it would refuse it or go on from the wrong
epoch. So once the continuing run's model is that file, or the file is gone, the killed
run's entry names no model, says which run continued it (`CONTINUED_BY`) and where that
run's model is: continuing that run is what goes on from it.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["CONTINUED_BY", "continued", "superseded"]

CONTINUED_BY = "continued_by"  # an entry's key: the number of the run that continued it
KEPT = " A snapshot of the model as trained"  # how `snapshot.kept_text` begins
CURVES = " The curves and metrics up to epoch"  # how a listing says its curves are kept


def continued(previous: dict | None, entry: dict, folder: Path,
              resumed: str | None) -> list[dict]:
    """The entries to write with `entry`: [`previous` superseded] once it is, else []."""
    gone = superseded(previous, entry, folder, resumed)
    return [] if gone is None else [gone]


def superseded(previous: dict | None, entry: dict, folder: Path,
               resumed: str | None) -> dict | None:
    """The entry `previous` (the run `entry` continues from its model `resumed`) as it
    stands once its model is no longer its own: `entry`'s model is that file, or the file
    is gone. None while the file still holds `previous`'s model, or without one."""
    from ..runs_index import RUNNING, judged

    if previous is None or not previous.get("saved") or not resumed:
        return None
    model = (folder / previous["saved"]).resolve()
    ours = entry.get("saved") and (folder / entry["saved"]).resolve() == model
    if model.is_file() and not ours:
        return None
    old = judged(previous)  # a killed run's entry still reads running: its end, as read
    if old.get("status") == RUNNING:  # its process still trains (and lists) it
        return None
    number = entry["number"]
    how = ("writes its own model to that file" if ours else
           "removed that file once it had saved its own model")
    where = f" (its model is {(folder / entry['saved']).resolve()})" if \
        entry.get("saved") and not ours else ""
    text = (f"{_head(old)} Its model, {model}, was continued by Run {number} "
            f"(`kerascanvas run --resume {resumed}`), which {how}: no model of this run "
            f"is kept. Continue Run {number} to go on from it{where}.{_curves(old)}")
    return {**old, "saved": None, CONTINUED_BY: number, "message": text}


def _head(entry: dict) -> str:
    """The entry's message without what it said of its model (kept, how to continue)."""
    message = str(entry.get("message") or "")
    return message.split(KEPT, 1)[0].split(CURVES, 1)[0].strip()


def _curves(entry: dict) -> str:
    """What the entry's message said of its curves, if it said so."""
    message = str(entry.get("message") or "")
    return CURVES + message.split(CURVES, 1)[1] if CURVES in message else ""
