"""Ending the ranks that outlive their run, so that a launcher always returns.

Each rank leaves its report (`rank_reports`) as its program ends: after training, rank
0's saving and listing. What a rank does after it (close its process group, let the
interpreter end) takes a moment, yet torch's `destroy_process_group` is known to hang
at times, and an interpreter's exit can wait on a thread or a destructor. torchrun's
agent then waits for that rank without end: training had finished, rank 0 had kept the
model, and the launcher (`kerascanvas run`, or the window's run) never returned.

`ExitWatch` is a thread of the launcher while torchrun runs: once every rank of this
machine has reported, any of them still running `EXIT_S` seconds later is ended with
SIGKILL, and `ended_text` says which ones. The launcher then takes the reports for how
the run ended (`launch.launch`), since each rank had said it before it hung.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

__all__ = ["EXIT_S", "ExitWatch", "ended_text", "outcome_after", "rank_of"]

# After the last rank of this machine reported; a rank's exit takes seconds, under load.
EXIT_S = float(os.environ.get("KERASCANVAS_RANK_EXIT_S", "60"))


def rank_of(pid: int) -> int | None:
    """The global rank (`RANK` in its environment) of process `pid`; None where it cannot
    be read (gone, not ours, or no rank). Reads /proc, so Linux only."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as handle:
            entries = handle.read().split(b"\0")
    except OSError:
        return None
    for entry in entries:
        if entry.startswith(b"RANK="):
            try:
                return int(entry[5:])
            except ValueError:
                return None
    return None


class ExitWatch(threading.Thread):
    """Ends the ranks still running `exit_s` seconds after all of this machine's ranks
    reported (see the module).

    Args:
        folder: where the ranks leave their reports (`rank-RANK.json`).
        expected: how many ranks run on this machine (each leaves one report).
        exit_s: how long the ranks may take to end after the last report.
        interval: how often to look, in seconds.
        module: what the ranks' command lines hold (`launch.rank_processes`).
    """

    def __init__(self, folder: str | Path, expected: int, exit_s: float = EXIT_S,
                 interval: float = 0.5, module: str = "kerascanvas.runtime"):
        super().__init__(daemon=True, name="kerascanvas-exit-watch")
        self.folder, self.expected, self.exit_s = Path(folder), expected, exit_s
        self.interval, self.module = interval, module
        self.parent = os.getpid()
        self.ended: dict[int, int | None] = {}  # pid -> its rank, for each rank ended
        self.done = threading.Event()

    def reported(self) -> int:
        """How many ranks of this machine left their report."""
        return len(list(self.folder.glob("rank-*.json")))

    def run(self) -> None:
        last = None  # when the last report was first seen
        while not self.done.wait(self.interval):
            if last is None:
                last = time.monotonic() if self.reported() >= self.expected else None
            elif time.monotonic() - last >= self.exit_s:
                self.end_ranks()
                return

    def end_ranks(self) -> None:
        """SIGKILL each rank still running; note which. A child without a RANK is no rank
        (a helper process whose command line names the module, such as a multiprocessing
        server) and is left alone."""
        from .launch import rank_processes

        if self.done.is_set():  # torchrun returned meanwhile: its ranks ended by themselves
            return
        for pid in rank_processes(self.parent, self.module):
            rank = rank_of(pid)
            if rank is None:
                continue
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                continue
            self.ended[pid] = rank

    def stop(self) -> None:
        self.done.set()


def ended_text(watch: ExitWatch) -> str:
    """What the launcher says of the ranks `watch` ended ("" when it ended none)."""
    if not watch.ended:
        return ""
    ranks = sorted(r for r in watch.ended.values() if r is not None)
    named = (f"rank{'s' * (len(ranks) != 1)} {', '.join(map(str, ranks))}" if ranks
             else f"{len(watch.ended)} rank process(es)")
    return (f"{named} had not ended {watch.exit_s:g} s after every rank here had finished "
            f"its run and reported (closing its process group or its exit hung); the launcher "
            f"ended {'them' if len(watch.ended) != 1 else 'it'} with SIGKILL. The run itself "
            f"had ended: what rank 0 said above stands, and the files it wrote are whole.")


def outcome_after(watch: ExitWatch, exc, launch, reports, invalid_code: int,
                  failed_code: int):
    """How a run ended whose ranks `watch` ended (torchrun's `ChildFailedError` `exc`
    then names them killed by SIGKILL): as their reports (`reports`, a
    `rank_reports.RankReports`) say, with `ended_text` after. Ranks that each reported
    exit code 0 and no failure ended well: `Outcome(0, ended_text)`."""
    from .launch import Outcome, describe_failure

    text = ended_text(watch)
    if not reports.failures and all(not code for code in reports.codes.values()):
        return Outcome(0, text)
    outcome = describe_failure(exc, launch, invalid_code, failed_code, reports)
    outcome.message = f"{outcome.message} {text}"
    return outcome
