"""`kerascanvas run --nproc-per-node N`: the launcher, which starts torchrun with the
command in every rank (`runtime.cli.rank`) and passes the user's stops on to them.

Ctrl+C (SIGINT) and SIGTERM reach the launcher only: torchrun starts the ranks in
sessions of their own. Both are passed on to every rank on this machine as SIGINT, which
ends training, the validation pass or the final evaluation after the same batch on
every rank (`runtime.distributed`); rank 0 keeps the model, lists the run and says where
it stopped, and the launcher exits with 130 or 143, as a one-process run does. A second
signal is passed on too: it aborts the ranks (or ends the final evaluation of a run the
first one stopped). The ranks leave SIGTERM to torchrun, which sends it to end them when
one has failed, so torchrun's agent handles SIGHUP and SIGQUIT here, not SIGTERM.
"""

from __future__ import annotations

import json
import signal
import sys
import tempfile

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
    if nproc is None and getattr(args, "nnodes", 1) == 1:
        return None
    return Launch(nproc or 1, args.nnodes, args.node_rank, args.rdzv_endpoint, args.rdzv_id)


def start_ranks(args, launch, invalid_code: int, failed_code: int) -> int:
    """Run the checked command on every rank under torchrun; the command's exit code."""
    from ..launch import launch as start

    fields = {k: v for k, v in vars(args).items() if not k.startswith("_")}
    with tempfile.TemporaryDirectory(prefix="kerascanvas-run-") as folder:
        path = f"{folder}/args.json"
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(fields, handle)
        with PassStops() as stops:
            outcome = start(launch, RANK_MODULE, [path], args.threads, invalid_code,
                            failed_code, signals=AGENT_SIGNALS)
    if stops.passed > 1 and outcome.code != 0:  # a signal again aborted the ranks
        _error(f"interrupted: {NAMES[stops.received]} again ended the ranks without saving")
        return exit_code(stops.received)
    if outcome.message:
        _error(outcome.message)
    if outcome.code == 0 and stops.received is not None:  # the ranks stopped and kept
        _error(f"stopped by {NAMES[stops.received]}: every rank ended after the same "
               "batch; rank 0 said above where, and where it kept the model")
        return exit_code(stops.received)
    return outcome.code


class PassStops:
    """While torchrun runs the ranks, Ctrl+C and SIGTERM are passed on to each rank as
    SIGINT (`launch.interrupt_ranks`); `received` is the first one's number, or None, and
    `passed` counts the signals passed on."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.received: int | None = None
        self.passed = 0
        self._previous: dict[int, object] = {}

    def __enter__(self):
        # Handlers, not SIG_IGN: an ignored signal would stay ignored in the ranks.
        for signum in self.SIGNALS:
            try:
                self._previous[signum] = signal.signal(signum, self._on_signal)
            except ValueError:  # not the main thread
                pass
        return self

    def _on_signal(self, signum, frame):
        from ..launch import interrupt_ranks

        name = NAMES.get(signum, signum)
        first = self.received is None
        if first:
            self.received = signum
        reached = interrupt_ranks()
        self.passed += bool(reached)
        if not reached:
            _error(f"{name}: cannot reach the ranks to stop them here; end the run with "
                   "SIGKILL")
        elif first:
            _error(f"{name}: the ranks stop after their current batch (the same signal "
                   "again aborts them)")
        else:
            _error(f"{name} again: passed on to the ranks (it aborts them, or ends the "
                   "final evaluation of a run already stopped)")

    def __exit__(self, *exc):
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        self._previous.clear()
