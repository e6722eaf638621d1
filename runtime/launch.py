"""Starting a run on several processes with torchrun, and saying how it ended.

We build no launcher: `launch()` hands torchrun (`torch.distributed.run`, the
code behind the `torchrun` command) its usual arguments and runs its elastic
agent in this process. The agent starts one process per rank with
`python -m MODULE ARGS...`, watches them (every 0.1 s), and when one fails or
is killed it stops the others and raises `ChildFailedError`, which
`describe_failure` turns into one clear sentence. Nothing restarts
(`--max-restarts 0`): a run that lost a rank is over, and rank 0's files are
complete because they are written under a temporary name and renamed.

One machine: `--standalone --nproc-per-node N`. Several machines: every node
runs the same command with `--nnodes M` and one `--rdzv-endpoint HOST:PORT`;
with `--node-rank R` each node says its rank (torchrun's static rendezvous),
otherwise torchrun's c10d rendezvous numbers the nodes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from kerascanvas.graph.atomicfile import process_gone

# The agent must not turn Ctrl+C into killing the ranks: each rank hears it and
# stops after the current batch. SIGTERM (a kill from the window) still ends all, unless
# the caller passes it on itself (`kerascanvas run`: `runtime.cli.run_launch`).
AGENT_SIGNALS = "SIGTERM,SIGHUP,SIGQUIT"
ENV_KEYS = ("RANK", "WORLD_SIZE", "LOCAL_RANK")


def launched() -> bool:
    """Whether this process was started by torchrun (its environment names a rank)."""
    return all(key in os.environ for key in ENV_KEYS)


def rank() -> int:
    """This process's global rank (0 outside torchrun)."""
    return int(os.environ.get("RANK", "0")) if launched() else 0


def is_main() -> bool:
    """Whether this process writes: rank 0, or the only process."""
    return rank() == 0


@dataclass
class Launch:
    """Where the ranks of a run go: processes per node, nodes, and how they meet."""

    nproc_per_node: int = 1
    nnodes: int = 1
    node_rank: int | None = None
    rdzv_endpoint: str | None = None
    rdzv_id: str = "kerascanvas"

    @property
    def world(self) -> int:
        return self.nproc_per_node * self.nnodes

    def problems(self) -> list[str]:
        """What is wrong with these options, each naming its flag."""
        found = []
        if self.nproc_per_node < 1 or self.nnodes < 1:
            found.append(f"--nproc-per-node and --nnodes must be at least 1. Received: "
                         f"{self.nproc_per_node} and {self.nnodes}")
        if self.nnodes > 1 and not self.rdzv_endpoint:
            found.append(f"--nnodes {self.nnodes} needs --rdzv-endpoint HOST:PORT, the "
                         "address every node meets at (the first node's, usually)")
        if self.node_rank is not None and not 0 <= self.node_rank < self.nnodes:
            found.append(f"--node-rank must be in 0..{self.nnodes - 1} (--nnodes "
                         f"{self.nnodes}). Received: {self.node_rank}")
        if self.rdzv_endpoint is not None and endpoint_parts(self.rdzv_endpoint) is None:
            found.append("--rdzv-endpoint: expected HOST:PORT, the port a number from 1 to "
                         f"65535. Received: {self.rdzv_endpoint!r}")
        return found


def endpoint_parts(endpoint: str) -> tuple[str, int] | None:
    """(host, port) of `HOST:PORT` (`[::1]:29400` for an IPv6 address), or None.

    >>> endpoint_parts("node0:29400"), endpoint_parts("node0"), endpoint_parts(":1")
    (('node0', 29400), None, None)
    """
    host, _, port = endpoint.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not host or not port.isascii() or not port.isdigit() or not 0 < int(port) < 65536:
        return None
    return host, int(port)


def unknown_host(launch: Launch) -> str | None:
    """Why the rendezvous host cannot be found, or None: torch would retry an unknown
    name for minutes before it gave up with an error that names no flag."""
    import socket

    parts = endpoint_parts(launch.rdzv_endpoint) if launch.rdzv_endpoint else None
    if parts is None:
        return None
    try:
        socket.getaddrinfo(*parts)
    except (OSError, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        return (f"--rdzv-endpoint {launch.rdzv_endpoint}: the host {parts[0]!r} cannot be "
                f"found ({reason}); nothing was trained")
    return None


def torchrun_arguments(launch: Launch, module: str, arguments: list[str],
                       signals: str = AGENT_SIGNALS) -> list[str]:
    """The command line torchrun gets (without the `torchrun` itself).

    >>> torchrun_arguments(Launch(2), "pkg.rank", ["args.json"])[:5]
    ['--standalone', '--nproc-per-node', '2', '--max-restarts', '0']
    """
    if launch.nnodes == 1 and not launch.rdzv_endpoint:
        where = ["--standalone", "--nproc-per-node", str(launch.nproc_per_node)]
    else:
        where = ["--nnodes", str(launch.nnodes), "--nproc-per-node",
                 str(launch.nproc_per_node), "--rdzv-endpoint", str(launch.rdzv_endpoint),
                 "--rdzv-id", launch.rdzv_id]
        if launch.node_rank is not None:
            where += ["--rdzv-backend", "static", "--node-rank", str(launch.node_rank)]
        else:
            where += ["--rdzv-backend", "c10d"]
    return [*where, "--max-restarts", "0", "--signals-to-handle", signals, "-m", module,
            *arguments]


@dataclass
class Outcome:
    """How a launched run ended: torchrun's failures as one exit code and sentence."""

    code: int
    message: str = ""
    failed_ranks: tuple[int, ...] = ()
    first_failed: int | None = None  # the rank that ended the run
    cause: str = ""  # it, and how: "Rank 1 was killed by SIGKILL."


def launch(launch: Launch, module: str, arguments: list[str], threads: int | None = None,
           invalid_code: int = 1, failed_code: int = 3,
           signals: str = AGENT_SIGNALS, reports: str | None = None) -> Outcome:
    """Run `python -m module arguments` on every rank under torchrun; wait for the end.

    Args:
        launch: processes, nodes and rendezvous.
        module, arguments: what each rank runs.
        threads: torch CPU threads per rank (default: this machine's cores shared out).
        invalid_code: the code when every failed rank refused the run (exit code 1).
        failed_code: the code for any other failure.
        signals: the signals torchrun's agent handles by ending the ranks (the others
            keep this process's handlers).
        reports: the folder where the ranks leave their reports (`runtime.rank_reports`),
            which say which rank failed by its own error, where, and what it received.
            With it, ranks that have not ended a while after all reported are ended
            (`runtime.rank_exit`), so that a rank hung at its exit ends the run too.

    Returns:
        Outcome(0) when every rank ended well, else the failure's code and message.
    """
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.elastic.rendezvous.api import RendezvousError
    from torch.distributed.run import parse_args, run

    from .rank_exit import ExitWatch, outcome_after

    unknown = unknown_host(launch)
    if unknown is not None:
        return Outcome(invalid_code, unknown)

    share = threads or max(1, (os.cpu_count() or 1) // launch.nproc_per_node)
    os.environ.setdefault("OMP_NUM_THREADS", str(share))
    watch = ExitWatch(reports, launch.nproc_per_node, module=module) if reports else None
    if watch is not None:
        watch.start()
    try:
        run(parse_args(torchrun_arguments(launch, module, arguments, signals)))
    except ChildFailedError as exc:
        from .rank_reports import RankReports

        said = RankReports.read(reports) if reports else None
        if watch is not None and watch.ended:  # ranks that hung after their report
            return outcome_after(watch, exc, launch, said, invalid_code, failed_code)
        return describe_failure(exc, launch, invalid_code, failed_code, said)
    except SignalException as exc:  # one of `signals` reached the agent: it ended the ranks
        return signalled(exc.sigval)
    except RendezvousError as exc:
        return Outcome(failed_code, f"--rdzv-endpoint {launch.rdzv_endpoint}: the machines "
                       f"did not meet there ({type(exc).__name__}: {exc}); every machine must "
                       "run this command with the same --rdzv-endpoint and --rdzv-id, and "
                       "reach that port; nothing was trained")
    finally:
        if watch is not None:
            watch.stop()
    return Outcome(0)


def signalled(signum: int) -> Outcome:
    """The outcome of a run whose agent got one of its `signals`: torchrun ended every
    rank (rank 0 keeps its model: `rank_end`), and the exit code is the shell's for that
    signal (128 + its number)."""
    import signal

    name = signal.Signals(signum).name
    return Outcome(128 + int(signum),
                   f"{name}: torchrun ended every rank; rank 0 kept the model as trained to "
                   "the last batch it finished, if it had begun training (it said where, "
                   "above; files written before, such as checkpoints, are whole)")


def interrupt_ranks(module: str = "kerascanvas.runtime") -> int:
    """Send SIGINT to this process's children that run `module` (the ranks torchrun's
    agent started here); the number reached. Reads /proc, so Linux only (0 elsewhere)."""
    import signal

    return signal_ranks(rank_processes(os.getpid(), module), signal.SIGINT)


def wait_ended(pids: list[int], timeout: float) -> bool:
    """Wait at most `timeout` seconds until none of `pids` runs (gone, or a zombie: killed
    and not yet reaped, it writes nothing more); whether none does."""
    import time

    deadline = time.monotonic() + timeout
    while not all(process_gone(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def rank_processes(parent: int, module: str = "kerascanvas.runtime") -> list[int]:
    """The process ids of `parent`'s children whose command line holds `module`. Reads
    /proc, so Linux only (none elsewhere)."""
    try:
        entries = [e for e in os.listdir("/proc") if e.isdigit()]
    except OSError:
        return []
    found = []
    for entry in entries:
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                command = handle.read()
        except (OSError, ValueError, IndexError):
            continue
        if ppid == parent and module.encode() in command:
            found.append(int(entry))
    return found


def signal_ranks(pids: list[int], signum: int) -> int:
    """Send `signum` to each process of `pids`; the number reached."""
    reached = 0
    for pid in pids:
        try:
            os.kill(pid, signum)
            reached += 1
        except OSError:
            pass
    return reached


def _how(failure) -> str:
    from .cli.crash import EXIT_INTERNAL  # a rank's uncaught error

    if failure.exitcode < 0:
        return f"was killed by {failure.signal_name()}"
    if failure.exitcode == EXIT_INTERNAL:
        return f"failed with an internal error (exit code {EXIT_INTERNAL}; see its report)"
    return f"exited with code {failure.exitcode}"


def describe_failure(exc, launch: Launch, invalid_code: int = 1,
                     failed_code: int = 3, reports=None) -> Outcome:
    """One sentence for torchrun's `ChildFailedError`: which rank, how, what it means.

    The rank named is the one that failed by its own error (its report says so:
    `reports`, a `rank_reports.RankReports`), else one a signal other than torchrun's
    SIGTERM killed, else the one rank 0 found lost (`rank_census`: a rank that ended
    early, even with code 0, or one on another machine), else the first torchrun saw:
    ranks that ended in the same instant come in rank order, so a rank 0 that ended
    after losing a peer may come first. Where rank 0 saw the named rank, its host, node
    and last word are said too.
    """
    from .rank_reports import blamed_rank

    failures = exc.failures
    # Each rank checks the settings again; when all refuse, each said why. One rank's
    # exit code 1 alone is a crash (Python's code for an uncaught error).
    if len(failures) == launch.nproc_per_node and \
            all(f.exitcode == invalid_code for f in failures.values()):
        return Outcome(invalid_code, "every rank refused the run (see the messages above)",
                       tuple(sorted(failures)))
    lost = {int(entry["rank"]): entry for entry in (reports.lost if reports else [])}
    rank = blamed_rank(failures, reports)
    if rank is None:
        rank = next(iter(lost), None)
    rank = exc.get_first_failure()[0] if rank is None else rank
    named = _named(rank, failures, reports, lost.get(rank))
    others = [f"rank {r} {_how(f)}" for r, f in sorted(failures.items()) if r != rank]
    also = f" ({'; '.join(others)})" if others else ""
    message = (f"the run on {launch.world} processes ended because {named}{also} (a "
               f"rank's own error, if it had one, is printed above); "
               f"torchrun stopped the other ranks. Unless rank 0 itself was killed, it kept "
               f"the model as trained to the last batch it finished, as a one-process run "
               f"keeps it after an error; the files it writes (checkpoints, the saved model) "
               f"are written whole or not at all, so the last checkpoint written is intact.")
    said = reports.failures.get(rank) if reports is not None else None
    cause = f"Rank {rank} failed in {said}." if said else named[0].upper() + named[1:] + "."
    return Outcome(failed_code, message, tuple(sorted(failures)), rank, cause)


def _named(rank: int, failures: dict, reports, lost: dict | None) -> str:
    """The named rank and how it ended: "rank 1 exited with code 3 after an error in
    ...", "rank 1 (node 1, host n1) was killed by SIGKILL; its last word: ..."."""
    from .rank_census import describe

    said = reports.failures.get(rank) if reports is not None else None
    how = _how(failures[rank]) if rank in failures else None
    if said:
        return f"rank {rank} {how or 'failed'} after an error in {said}"
    if lost is not None:
        return describe(lost, how)
    peer = reports.peers.get(rank) if reports is not None else None
    if peer:  # rank 0 could not tell which rank it lost (the run's store was gone)
        return (f"rank {rank} {how} after it lost a peer ({peer}); the rank it lost left no "
                f"word here: the launcher of that rank's machine says how it ended")
    return f"rank {rank} {how}"
