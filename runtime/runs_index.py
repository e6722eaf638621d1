"""A project's runs index, `runs.json` in its runs folder.

A project's runs folder (`model.runs/` beside `model.json`) lists its runs, those
training and those ended, in `runs.json`, {"runs": [entry, ...]}, which the window's Training tab
shows. The window and `kerascanvas run` (every run it trains, `runtime.cli.kept_runs`)
both write it through `merge_index`: under a lock file
(`runs.json.lock`) it re-reads the index and writes it back atomically with the given
entries, keeping every entry on disk that they do not replace. An entry is known by its
`uid` (entries written before there was one: by their number). The index holds one entry
a line (`runs_index_lines`), so a write copies the lines it keeps without parsing or
encoding them again.

Run numbers are given under that lock and never change once given, since the window
shows a run's number while it trains and `kerascanvas run` prints the one it listed.
`runs.next` beside the index holds the next number to give. The window and the command
take a run's number when the run starts (`reserve_number`) and list it as running under
that number at once; `merge_index` numbers an entry that has none when it writes it (a
run on several processes, listed when it ends; a number reserved by a run that could not
be listed is not used). An entry on disk is never renumbered: an
entry written with a number that another run's entry already holds (an index written
by an older version, or a folder copied over) gets the next free number instead.

A run still training is listed as "running" with the process that trains it; a reader
judges such an entry by that process (`runs_index_judge`: gone without having written its
end, it reads "interrupted"). `merge_index` writes the entries it judged interrupted back
as such.

Each kept model has its run record beside it (`runtime.run_record`).
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from pathlib import Path
from typing import Any

from filelock import FileLock

from kerascanvas.graph.projectfile import write_bytes_atomic, write_text_atomic

from .runs_index_judge import (  # noqa: F401  (their home was here)
    CHECKPOINTS,
    INTERRUPTED,
    PROCESS,
    RUNNING,
    SNAPSHOT,
    elsewhere,
    judged,
    process_gone,
    this_process,
)
from .runs_index_lines import (  # noqa: F401  (read_index, finite_json: their home was here)
    INDEX,
    Row,
    entry_uid,
    finite_json,
    index_bytes,
    read_index,
    read_rows,
)
from .runs_index_lines import RUNNING as RUNNING_LINE

COUNTER = "runs.next"  # the next run number to give
LOCK_TIMEOUT_S = 30.0


def _set_aside(folder: Path) -> Path:
    """Move an unreadable index out of the way (kept beside it, never deleted)."""
    index = folder / INDEX
    aside = folder / f"{INDEX}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}"
    os.replace(index, aside)
    return aside


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


def _uncounted(folder: Path) -> list[int]:
    """The numbers in the index that `runs.next` may not count past (hold the lock): none
    when it was written after the index (each writer writes it then, past every number
    the index holds), else all of them (an index written by hand, or before there was a
    counter). An unreadable index's numbers are not reused: `merge_index` sets it aside."""
    with contextlib.suppress(OSError):
        if (folder / COUNTER).stat().st_mtime_ns > (folder / INDEX).stat().st_mtime_ns:
            return []
    try:
        return [row.number for row in read_rows(folder)]
    except ValueError:
        return []


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
        number = max(_next_number(folder, _uncounted(folder)), int(floor))
        _given(folder, number)
    return number


Stamp = tuple[int, int] | None  # the index's (modification time in ns, size); None: none


def index_stamp(folder: str | os.PathLike) -> Stamp:
    """The stamp of `folder`'s runs index as it is now (a watcher's `_seen`)."""
    try:
        stat = (Path(folder) / INDEX).stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def merge_index(folder: str | os.PathLike, entries: list[dict[str, Any]]) -> list[dict]:
    """Write `entries` into `folder`'s runs index, keeping the others on disk.

    Under the index's lock the index is read again: entries on disk with the uid of one
    of `entries` are replaced by it, the rest are kept as they are (their lines copied,
    `runs_index_lines`; one listed as running is judged, and written back interrupted
    when its process is gone). An entry without a number, or with one another run's
    entry holds, gets the next free one (it is set in the dict). An unreadable index is
    moved aside to `runs.json.unreadable-TIME` first. The index is replaced whole or not
    at all. Returns `entries`, by number.
    """
    merge_index_stamped(folder, entries)
    return sorted(entries, key=lambda e: e["number"])


def merge_index_stamped(folder: str | os.PathLike, entries: list[dict[str, Any]]
                        ) -> tuple[Stamp, Stamp]:
    """`merge_index`, returning the index's stamps (`index_stamp`) as this write found it
    and as it left it, both under the lock: a watcher that had seen the first can take
    the second as seen, as it holds no other process's change."""
    folder = Path(folder)
    with _locked(folder):
        before = index_stamp(folder)
        try:
            disk = read_rows(folder)
        except ValueError:
            _set_aside(folder)
            disk = []
        for entry in entries:
            if entry.get("number") or entry.get("uid"):
                entry.setdefault("uid", entry_uid(entry))
        mine = {e["uid"] for e in entries if e.get("uid")}
        kept = [_judged_row(row, folder) for row in disk if row.uid not in mine]
        held = {row.number for row in kept}
        free = _next_number(folder, [*held, *(e.get("number") or 0 for e in entries)])
        for entry in entries:
            if not entry.get("number") or entry["number"] in held:
                entry.setdefault("uid", uuid.uuid4().hex)
                entry["number"], free = free, free + 1
            held.add(entry["number"])
        rows = sorted([*kept, *(Row(e["uid"], e["number"], None, e) for e in entries)],
                      key=lambda row: row.number)
        write_bytes_atomic(folder / INDEX, index_bytes(rows))
        _given(folder, free - 1)
        return before, index_stamp(folder)


def _judged_row(row: Row, folder: Path) -> Row:
    """`row` as things stand: an entry listed as running is judged (`judged`)."""
    if row.entry is None and RUNNING_LINE not in row.line:
        return row
    entry = row.parsed()
    now = judged(entry, folder)
    return row if now is entry and row.line is not None else Row(row.uid, row.number, None,
                                                                  now)
