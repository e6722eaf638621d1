"""What the Search tab says of a pause: each trial as its process confirmed it.

Pause asks this window's running trials to hold before their next training batch, but a
trial holds only when it reaches one (it may be reading its data, building its model, or
in a validation pass), and says so then (`TrialPaused`, `runtime.search.holds`). Until
then the trial is "pausing…"; once it said so it is "paused", with where it holds
("in epoch 3 after batch 5 of 12"); after Resume it is "resuming…" until it says it goes
on (`TrialResumed`). Trials another process runs in the study are not this window's to
pause: they show as they are.
"""

from __future__ import annotations

from collections.abc import Iterable

from .views import TrialRecord

PAUSING, PAUSED, RESUMING = "pausing…", "paused", "resuming…"
RESUMED = "Resumed: the trials go on."


def shown_state(record: TrialRecord, pausing: bool) -> str:
    """The state the table shows for `record` (one of this window's trials) while the study
    is `pausing` (Pause pressed, not Resume) or not."""
    if record.state != "running":
        return record.state
    if record.held is not None:
        return PAUSED if pausing else RESUMING
    return PAUSING if pausing else record.state


def where_held(record: TrialRecord) -> str:
    """Where a paused trial holds, its epochs and batches counted from 1."""
    epoch, batch, batches = record.held or (0, None, None)
    if batch == 0:
        return f"at the start of epoch {epoch + 1}"
    if batch is None:
        return f"in epoch {epoch + 1}"
    return f"in epoch {epoch + 1} after batch {batch}" + (f" of {batches}" if batches else "")


def cells(record: TrialRecord, ours: set[int], pausing: bool | None) -> tuple[str, str]:
    """The table's state and note cells for `record`: a trial of `ours` (this window's run)
    as its pauses stand; `pausing` is None when this window runs no study."""
    if pausing is None or record.number not in ours:
        return record.state, record.message
    state = shown_state(record, pausing)
    return state, (where_held(record) if state == PAUSED else record.message)


def pause_text(records: dict[int, TrialRecord], ours: set[int], pausing: bool) -> str | None:
    """The status line's word on a pause (None when there is nothing to say: not paused,
    and no trial of ours still holds)."""
    running = [r for n, r in sorted(records.items()) if n in ours and r.state == "running"]
    held = [r for r in running if r.held is not None]
    waiting = [r.number for r in running if r.held is None]
    if not pausing:
        return (f"Resuming: {_trials([r.number for r in held])} "
                f"{'go' if len(held) > 1 else 'goes'} on at the next batch…") if held else None
    where = "; ".join(f"trial {r.number} {where_held(r)}" for r in held)
    if waiting:
        many = len(waiting) > 1
        text = (f"Pausing: {_trials(waiting)} {'hold' if many else 'holds'} before "
                f"{'their' if many else 'its'} next training batch…")
        return f"{text} Paused: {where}." if held else text
    if held:
        return f"Paused: {where}. No trial starts until Resume."
    return "Paused: no trial runs now, and none starts until Resume."


def _trials(numbers: Iterable[int]) -> str:
    numbers = list(numbers)
    return f"trial{'s' if len(numbers) > 1 else ''} {', '.join(map(str, numbers))}"


class PauseWords:
    """What the status line says next of a pause: a word when it changed, and RESUMED
    once no trial of ours holds any more after one did (or the user resumed)."""

    def __init__(self):
        self.said = ""

    def next(self, records: dict[int, TrialRecord], ours: set[int], driver,
             acted: bool = False) -> str | None:
        """The word to say now (None: nothing new); `acted`: the user paused or resumed.
        A stopped study's stop says its own word."""
        if driver is None or driver.stopped:
            self.said = ""
            return None
        text = pause_text(records, ours, driver.paused)
        if text is None:
            text, self.said = (RESUMED if self.said or acted else None), ""
            return text
        if text == self.said and not acted:
            return None
        self.said = text
        return text
