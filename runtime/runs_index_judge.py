"""Judging a run its runs index lists as running, by the process that trains it.

A run still training is listed as "running" with the process that trains it
(`this_process`: its pid, its start time, the host it runs on and the host's boot). A
reader judges such an entry by that process (`judged`): while it lives the run reads
"running"; once it is gone without having written its end (killed with SIGKILL, a crash,
the machine stopped or restarted) it reads "interrupted", with the message the process
left for that case (what it kept; a run that names its snapshot, `SNAPSHOT`, is judged
with the snapshot found in its runs folder). Only an entry of this host is judged: another host's
process cannot be checked from here, so its entry stays as listed (`elsewhere` names
that host). `runs_index.merge_index` writes the entries it judged interrupted back as such.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

RUNNING, INTERRUPTED = "running", "interrupted"
PROCESS = "process"  # an entry's key for the process that lists it as running
# The process's key for the snapshot a run keeps (its path from the runs folder), looked
# for once the process is gone: the window's runs, which list no snapshot as written.
SNAPSHOT = "snapshot"
# The process's key for the files ModelCheckpoint writes (a run on several processes,
# which takes no snapshot), looked for once the process is gone.
CHECKPOINTS = "checkpoints"


def _start_ticks(pid: int) -> int | None:
    """When process `pid` started, in clock ticks since boot (Linux' /proc); None where
    that cannot be read. A pid reused by a later process has another start time."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
        return int(text[text.rindex(")") + 2:].split()[19])  # starttime, field 22
    except (OSError, ValueError, IndexError):
        return None


def _boot_id() -> str | None:
    """This boot of the machine (Linux); a process of an earlier boot is gone."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
    except OSError:
        return None


def this_process(if_ended: str, pid: int | None = None) -> dict[str, Any]:
    """What an entry listed as running says of the process that trains it (this one, or
    `pid`: a launcher), and `if_ended`: the message the entry takes when it is found gone."""
    pid = os.getpid() if pid is None else pid
    return {"pid": pid, "host": socket.gethostname(), "started": _start_ticks(pid),
            "boot": _boot_id(), "if_ended": if_ended}


def _alive(process: dict[str, Any]) -> bool:
    """Whether the process `process` describes (of this host) still runs."""
    pid, started, boot = process.get("pid"), process.get("started"), process.get("boot")
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    if boot is not None and boot != _boot_id():  # the machine was restarted since
        return False
    try:
        os.kill(pid, 0)  # signal 0: nothing is sent, the process is only looked up
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process holds the pid
        pass
    now = _start_ticks(pid)
    return started is None or now is None or now == started


def elsewhere(entry: dict[str, Any]) -> str | None:
    """The host of a run listed as running by a process of another host (or of any host
    where processes cannot be looked up), which this machine cannot check; else None."""
    process = entry.get(PROCESS)
    if entry.get("status") != RUNNING or not isinstance(process, dict):
        return None
    host = str(process.get("host") or "an unknown host")
    return host if host != socket.gethostname() or os.name == "nt" else None


def process_gone(entry: dict[str, Any]) -> bool:
    """Whether `entry` is listed as running by a process of this host that is gone."""
    process = entry.get(PROCESS)
    return entry.get("status") == RUNNING and isinstance(process, dict) and \
        elsewhere(entry) is None and not _alive(process)


def judged(entry: dict[str, Any], folder: str | os.PathLike | None = None) -> dict[str, Any]:
    """`entry` as things stand: one listed as running whose process of this host is gone
    reads "interrupted", with the message that process left for it; others as they are.
    With `folder` (the runs folder), the snapshot such a process names (`SNAPSHOT`) is
    looked for there: found, it is the run's model and its message says so; not found,
    the message says nothing of the model was kept."""
    if not process_gone(entry):
        return entry
    process = entry[PROCESS]
    message = process.get("if_ended") or (
        f"The process {process.get('pid')} that trained this run ended without writing "
        "its end (killed, a crash, or the machine stopped).")
    gone = {**entry, "status": INTERRUPTED, "message": str(message)}
    if folder is not None and process.get(SNAPSHOT):
        gone.update(_left(gone, Path(folder), str(process[SNAPSHOT])))
    elif CHECKPOINTS in process:  # several processes: what ModelCheckpoint left, if any
        from .snapshot import checkpoint_text

        gone["message"] += " " + checkpoint_text(list(process[CHECKPOINTS] or []),
                                                 str(process.get("project") or "PROJECT"))
    return gone


def _left(entry: dict[str, Any], folder: Path, name: str) -> dict[str, Any]:
    """What a run that keeps its snapshot at `folder / name` left, once its process is
    gone: the snapshot as its model, the epoch it holds, and the message saying so."""
    from .snapshot import held_epoch, kept_text

    path, start = folder / name, int(entry.get("initial_epoch") or 0)
    curves = int(entry.get("epoch") or 0)  # the curves were listed up to that epoch
    tail = (f" The curves and metrics up to epoch {curves} are kept in the run."
            if curves > start else "")
    if not path.is_file():
        return {"saved": None, "epoch": curves, "epochs_done": max(curves - start, 0),
                "message": f"{entry['message']} It had written no epoch-end snapshot: "
                           f"nothing of its model was kept.{tail}"}
    held = held_epoch(str(path))
    project = folder.with_name(folder.name.removesuffix(".runs") + ".json") \
        if folder.name.endswith(".runs") else "PROJECT"
    kept = kept_text(str(path)).replace("PROJECT", str(project))
    epoch = curves if held is None else held
    return {"saved": name, "epoch": epoch, "epochs_done": max(epoch - start, 0),
            "message": f"{entry['message']} {kept}{tail}"}
