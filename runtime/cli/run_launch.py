"""`kerascanvas run --nproc-per-node N`: the launcher, which starts torchrun with the
command in every rank (`runtime.cli.rank`) and passes the user's stops on to them.

Ctrl+C (SIGINT) and SIGTERM reach the launcher only: torchrun starts the ranks in
sessions of their own. Both are passed on to every rank on this machine as SIGINT, which
ends training, the validation pass or the final evaluation after the same batch on
every rank, those of other machines too (the ranks agree before each batch:
`runtime.distributed`); rank 0 keeps the model, lists the run and says where it
stopped, and the launcher exits with 130 or 143, as a one-process run does. The ranks
tell their launcher (`RankReports`) which ranks ran here and which rank's stop
stopped the run: a launcher without rank 0 says that rank 0 reported on its own
machine, and one that heard no signal, on a run another machine stopped, says so and
exits with 130. A second
signal is passed on too: it aborts the ranks (or ends the final evaluation of a run the
first one stopped). The ranks leave SIGTERM to torchrun, which sends it to end them when
one has failed, so torchrun's agent handles SIGHUP and SIGQUIT here, not SIGTERM.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
from pathlib import Path

from ..rank_reports import RankReports
from .stops import NAMES, exit_code

RANK_MODULE = "kerascanvas.runtime.cli.rank"
# Left to the agent (it ends the ranks at once); SIGINT and SIGTERM are passed on.
AGENT_SIGNALS = "SIGHUP,SIGQUIT"


def _error(message: str) -> None:
    print(f"kerascanvas run: {message}", file=sys.stderr, flush=True)


def launch_options(args):
    """A `launch.Launch` when the flags ask for several processes, else None."""
    from ..launch import Launch

    nproc = getattr(args, "nproc_per_node", None)
    placed = getattr(args, "node_rank", None) is not None or getattr(args, "rdzv_endpoint", None)
    if nproc is None and getattr(args, "nnodes", 1) == 1 and not placed:
        return None  # --node-rank or --rdzv-endpoint alone: checked, not left unused
    return Launch(nproc or 1, args.nnodes, args.node_rank, args.rdzv_endpoint, args.rdzv_id)


def start_ranks(args, launch, invalid_code: int, failed_code: int) -> int:
    """Run the checked command on every rank under torchrun; the command's exit code."""
    from ..launch import launch as start

    fields = {k: v for k, v in vars(args).items() if not k.startswith("_")}
    if launch.nnodes > 1:  # it may wait long, and torchrun says nothing while it waits
        _error(waiting_text(launch))
    with tempfile.TemporaryDirectory(prefix="kerascanvas-run-") as folder:
        path = f"{folder}/args.json"
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(fields, handle)
        with PassStops(folder) as stops:
            outcome = start(launch, RANK_MODULE, [path], args.threads, invalid_code,
                            failed_code, signals=AGENT_SIGNALS, reports=folder)
        ranks = RankReports.read(folder)
    if stops.before_ranks:
        _error(f"{NAMES[stops.received]}: ended before any rank started (torchrun was "
               "still starting them, or waiting at the rendezvous for the other machines); "
               "nothing was trained")
        return exit_code(stops.received)
    if stops.passed > 1 and outcome.code != 0:  # a signal again aborted the ranks
        _error(f"interrupted: {NAMES[stops.received]} again ended the ranks without saving")
        return exit_code(stops.received)
    if outcome.message:
        _error(outcome.message)
    if outcome.code == 0 and (stops.received is not None or ranks.asker is not None):
        _error(stopped_text(stops.received, ranks, launch))  # the ranks stopped and kept
        return exit_code(stops.received or signal.SIGINT)
    return outcome.code


def waiting_text(launch) -> str:
    """What a machine of several does while torchrun gathers them: said before it waits.

    >>> from kerascanvas.runtime.launch import Launch
    >>> waiting_text(Launch(2, 2, 1, "node0:29400"))[:60]
    'machine 1 of 2 (--node-rank 1): waiting at node0:29400 until'
    """
    which = f"machine {launch.node_rank} of {launch.nnodes} (--node-rank {launch.node_rank})" \
        if launch.node_rank is not None else f"one of {launch.nnodes} machines"
    return (f"{which}: waiting at {launch.rdzv_endpoint} until the launchers of all "
            f"{launch.nnodes} machines have joined, then starting {launch.nproc_per_node} "
            "rank(s) here; Ctrl+C stops")


def _listed(ranks: list[int]) -> str:
    return f"rank{'s' * (len(ranks) != 1)} {', '.join(map(str, ranks))}"


def stopped_text(received: int | None, ranks: RankReports, launch) -> str:
    """What stopped a run whose ranks ended well, and where rank 0 said the rest."""
    if received is not None:
        how = f"stopped by {NAMES[received]}"
        if launch.nnodes > 1 and ranks.ranks:
            how += f" (passed on to {_listed(ranks.ranks)}, on this machine)"
    else:
        how = (f"stopped: rank {ranks.asker}, on this machine, was sent a stop"
               if ranks.asker in ranks.ranks else
               f"stopped: rank {ranks.asker}, on another machine, was asked to stop (its "
               "launcher passed a Ctrl+C or SIGTERM on)")
    if ranks.holds_main(launch):
        said = "rank 0 said above where, and where it kept the model"
    else:
        said = ("rank 0, on another machine, said there where it stopped and where it kept "
                "the model")
    every = f"all {launch.world} ranks" if launch.nnodes > 1 else "every rank"
    return f"{how}: {every} ended after the same batch; {said}"


class PassStops:
    """While torchrun runs the ranks, Ctrl+C and SIGTERM are passed on to each rank as
    SIGINT (`launch.interrupt_ranks`); `received` is the first one's number, or None, and
    `passed` counts the signals passed on. A first signal that finds no rank to pass it
    to, before any rank ran (on Linux, where the ranks can be found), ends torchrun's
    agent as its own signals do (`SignalException`): a machine waiting at torchrun's c10d
    rendezvous for machines that never come stops on Ctrl+C; `before_ranks` says so.
    The static rendezvous (`--node-rank`) waits inside torch's C++ store, where no Python
    handler runs until it gives up (10 minutes): `HeldWait` ends the launcher then."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, folder: str | None = None) -> None:
        self.folder = folder  # where the ranks leave their reports
        self.received: int | None = None
        self.passed = 0
        self.before_ranks = False
        self._previous: dict[int, object] = {}

    def __enter__(self):
        # Handlers, not SIG_IGN: an ignored signal would stay ignored in the ranks.
        for signum in self.SIGNALS:
            try:
                self._previous[signum] = signal.signal(signum, self._on_signal)
            except ValueError:  # not the main thread
                pass
        self._held = HeldWait(self) if self._previous and \
            sys.platform.startswith("linux") else None
        return self

    def _on_signal(self, signum, frame):
        from ..launch import interrupt_ranks

        name = NAMES.get(signum, signum)
        first = self.received is None
        if first:
            self.received = signum
        reached = interrupt_ranks()
        self.passed += bool(reached)
        if not reached and first and sys.platform.startswith("linux") and \
                not self.ranks_ran():
            from torch.distributed.elastic.multiprocessing.api import SignalException

            self.before_ranks = True
            raise SignalException(f"{name} before any rank started", signal.Signals(signum))
        if not reached:
            _error(f"{name}: cannot reach the ranks to stop them here; end the run with "
                   "SIGKILL")
        elif first:
            _error(f"{name}: passed on to the {reached} rank(s) on this machine; every rank "
                   "stops after the same batch (the same signal again aborts them)")
        else:
            _error(f"{name} again: passed on to the ranks (it aborts them, or ends the "
                   "final evaluation of a run already stopped)")

    def ranks_ran(self) -> bool:
        """Whether a rank of this launcher has ended already (it left its report)."""
        return self.folder is not None and any(Path(self.folder).glob("rank-*.json"))

    def __exit__(self, *exc):
        if self._held is not None:
            self._held.close()
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous.clear()


class HeldWait:
    """Ends the launcher on a signal its handler cannot hear: the main thread is held
    inside torch's C++ code (the static rendezvous waiting for the other machines) and
    no rank has started. A thread reads the signal numbers Python's own handler writes to
    a wakeup pipe (`signal.set_wakeup_fd`); when a SIGINT or SIGTERM came and `stops`'s
    handler has not run `GRACE_S` later, while no rank runs or ran here, it says so and
    exits with the signal's code, nothing having trained."""

    GRACE_S = 1.0

    def __init__(self, stops: PassStops) -> None:
        import threading

        self.stops = stops
        self._read, write = os.pipe()
        os.set_blocking(write, False)
        self._write = write
        self._previous_fd = signal.set_wakeup_fd(write, warn_on_full_buffer=False)
        threading.Thread(target=self._watch, daemon=True,
                         name="kerascanvas-held-wait").start()

    def _watch(self) -> None:
        import time

        while True:
            try:
                heard = os.read(self._read, 64)
            except OSError:
                heard = b""
            if not heard:  # `close` closed the write end
                os.close(self._read)
                return
            signums = [n for n in heard if n in PassStops.SIGNALS]
            if signums and self.stops.received is None:
                time.sleep(self.GRACE_S)
                self._end_if_held(signums[0])

    def _end_if_held(self, signum: int) -> None:
        import shutil

        from ..launch import rank_processes

        stops = self.stops
        if stops.received is not None or rank_processes(os.getpid()) or stops.ranks_ran():
            return  # the handler ran, or ranks run: they hear it
        _error(f"{NAMES[signum]}: ended before any rank started (torchrun was still "
               "waiting at the rendezvous for the other machines); nothing was trained")
        if stops.folder is not None:
            shutil.rmtree(stops.folder, ignore_errors=True)
        os._exit(exit_code(signum))

    def close(self) -> None:
        """Give the wakeup fd back; the thread ends on the pipe's end and closes it."""
        signal.set_wakeup_fd(self._previous_fd)
        os.close(self._write)
