"""Joining a data-parallel run from a process torchrun started, and leaving it.

`join` checks the Keras version (`check_keras`), starts the process group from
torchrun's environment (gloo on the CPU, nccl on `cuda:LOCAL_RANK`) and a CPU
control group for the ranks' agreements, shares one seed, and watches the torchrun
agent, so that a rank whose agent died ends too. On rank 0 it installs the SIGTERM guard
of `rank_end`, so that rank 0 keeps the model when torchrun ends it after another rank
failed. It keeps this rank's
`distributed.Session` until `leave`; `stop_asker` and `failure` read it after training.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import sys
import threading
import time
from typing import TYPE_CHECKING

from . import rank_census, rank_end
from .keras_env import choose_device, import_keras
from .launch import launched

if TYPE_CHECKING:
    from .distributed import Session

# How long the ranks may take to meet in the process group (they start together).
JOIN_S = float(os.environ.get("KERASCANVAS_JOIN_S", "600"))
CONTROL_TIMEOUT = datetime.timedelta(days=7)  # a pause may last; a dead peer errors at once
# [low, high): from the project's minimum Keras (run here on 3.15.1) to before the
# versions whose torch trainer starts to wrap DDP itself.
CHECKED_KERAS = ((3, 10), (3, 16))
_SESSION: Session | None = None  # this rank's, from `join` to `leave`


def refused(message: str):
    """A `TrainingRefused` with `message` (the rank refuses these settings)."""
    from .train import TrainingRefused

    return TrainingRefused(message)


def check_keras(version: str | None = None) -> None:
    """Refuse a Keras whose torch trainer may wrap DDP itself (or was never checked).

    >>> check_keras("3.15.1")
    """
    text = version or import_keras().__version__
    parts = tuple(int(p) for p in text.split(".")[:2] if p.isdigit())
    low, high = CHECKED_KERAS
    if not low <= parts < high:
        raise refused(
            f"Training on several processes was checked with Keras "
            f"{'.'.join(map(str, low))} to before {'.'.join(map(str, high))}; this is Keras "
            f"{text}, whose torch trainer may wrap DDP itself. Use one process, or a checked "
            "Keras version.")


def join(device: str = "auto", seed: int | None = None) -> Session | None:
    """The session of this rank, started on first call; None outside torchrun.

    Args:
        device: the settings' device: "cpu" gives gloo, a GPU gives nccl on
            `cuda:LOCAL_RANK`.
        seed: the settings' seed; None draws one on rank 0 and shares it.

    Raises:
        TrainingRefused: a rank without a GPU of its own, or an unchecked Keras.
    """
    global _SESSION
    if _SESSION is not None or not launched():
        return _SESSION
    import torch
    import torch.distributed as dist

    from .distributed import Session

    check_keras()
    local = int(os.environ["LOCAL_RANK"])
    kind = choose_device(device)
    if kind == "cuda":
        count = torch.cuda.device_count()
        if local >= count:
            raise refused(
                f"local rank {local} has no GPU of its own: this machine has {count} GPU(s). "
                f"Start at most {count} processes per node (one per GPU), or train on the CPU.")
        torch.cuda.set_device(local)
    with join_deadline():
        dist.init_process_group("nccl" if kind == "cuda" else "gloo")
        control = dist.new_group(backend="gloo", timeout=CONTROL_TIMEOUT)
        _SESSION = Session(dist.get_rank(), dist.get_world_size(), local, kind,
                           _shared_seed(seed, control), control)
    if _SESSION.is_main:  # a failed rank's SIGTERM from torchrun keeps the model here
        rank_end.install()
    rank_census.introduce(_SESSION)
    watch_parent()
    return _SESSION


@contextlib.contextmanager
def join_deadline(seconds: float | None = None, code: int = 3):
    """End this rank with a clear message when the block (its joining the run's process
    group) has not ended after `seconds` (`JOIN_S`): the other ranks never came (one did
    not start, or is stuck before training, or another machine's never did). torch would
    wait 30 minutes in each rank. The exit `code` (3) makes torchrun end the others."""
    seconds = JOIN_S if seconds is None else seconds
    joined = threading.Event()

    def watch():
        if joined.wait(seconds):
            return
        print(f"kerascanvas: rank {os.environ.get('RANK', '?')} of "
              f"{os.environ.get('WORLD_SIZE', '?')}: the ranks of the run did not all meet "
              f"within {seconds:g} s (a rank did not start, or is stuck before training, or "
              "another machine's ranks never came); this rank ends, and with it the run, "
              "before any training", file=sys.stderr, flush=True)
        os._exit(code)

    threading.Thread(target=watch, daemon=True, name="kerascanvas-join-deadline").start()
    try:
        yield
    finally:
        joined.set()


def _shared_seed(seed: int | None, group) -> int:
    import torch
    import torch.distributed as dist

    drawn = seed if seed is not None else int(torch.randint(0, 2**31 - 1, ()).item())
    value = torch.tensor([drawn], dtype=torch.int64)
    dist.broadcast(value, src=0, group=group)
    return int(value.item())


def leave(ended_well: bool = False) -> None:
    """End this rank's process group (at the end of the rank's program). A rank that
    `ended_well` first waits for the others at a barrier (on gloo a monitored one that
    gives up after LEAVE_WAIT_S): a group ended while another rank is still saving can
    leave `destroy_process_group` waiting forever. A rank that failed does not wait: its
    exit code makes the launcher stop the others, which may be inside a collective."""
    global _SESSION
    if _SESSION is None:
        return
    import torch.distributed as dist

    if _SESSION.watch is not None:
        _SESSION.watch.done.set()
    if dist.is_initialized():
        if ended_well:
            _wait_for_peers(dist)
        dist.destroy_process_group()
    rank_end.uninstall()
    _SESSION = None


LEAVE_WAIT_S = 60.0


def _wait_for_peers(dist) -> None:
    """A barrier of every rank before the group ends; on gloo a monitored one that gives
    up after LEAVE_WAIT_S (a peer that died), where the launcher then decides."""
    from datetime import timedelta

    try:
        if dist.get_backend() == "gloo":
            dist.monitored_barrier(timeout=timedelta(seconds=LEAVE_WAIT_S))
        else:
            dist.barrier()
    except RuntimeError:  # a peer did not come: end the group anyway
        pass


def watch_parent(interval: float = 1.0) -> None:
    """End this rank if its torchrun agent dies without stopping it (a SIGKILLed agent
    cannot; an orphaned rank would otherwise wait, or train, on its own)."""
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(3)

    threading.Thread(target=watch, daemon=True, name="kerascanvas-parent-watch").start()


def stop_asker() -> int | None:
    """The lowest rank whose stop request stopped this run (`Session.agree_stop`), or
    None: no request was agreed on, or this process is no rank."""
    return None if _SESSION is None else _SESSION.stop_asker


def session() -> Session | None:
    """This rank's session, from `join` to `leave`; None outside a run."""
    return _SESSION


def failure() -> str | None:
    """Where this rank failed and what it received ("epoch 2, batch 3: RuntimeError:
    ..."), noted by `runtime.train`; None when it did not, or this process is no rank."""
    return None if _SESSION is None else _SESSION.failure
