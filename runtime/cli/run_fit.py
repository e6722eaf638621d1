"""Training inside `kerascanvas run`: `train` under the command's signal handlers
(`stops.StopOnSignals`), the model kept in the runs folder, and an aborted run's
epoch-end snapshot named."""

from __future__ import annotations

import contextlib
import os
import signal

from .. import events as ev
from .kept_runs import keep_model
from .run_data import error
from .stops import StopOnSignals

__all__ = ["fit", "say_snapshot", "snapshot_identity"]


def snapshot_identity(save: str | None):
    """The identity of the snapshot beside `save` as the run begins (an earlier run's)."""
    from ..kill_keep import file_identity
    from ..snapshot import snapshot_path

    return file_identity(snapshot_path(save)) if save else None


@contextlib.contextmanager
def say_snapshot(args, before, snap=None):
    """A run aborted (the second signal) names the epoch-end snapshot it kept
    (`runtime.snapshot`: beside --save, else `snap`'s in the runs folder), and how to
    continue it."""
    try:
        yield
    except (KeyboardInterrupt, SystemExit):
        from ..snapshot import kept_snapshot, kept_text

        if snap is None or args.save:
            kept = kept_snapshot(args.save, before)
        else:  # taken by this run: its number was reserved as it began
            kept = snap.path if snap.path and os.path.exists(snap.path) else None
        if kept:
            error("aborted without saving. " + kept_text(kept).replace("PROJECT", args.file))
        raise


def fit(doc, settings, data, args, sink, analysis=None, snap=None):
    """(the TrainResult, the signal that stopped it or None). Without --save the run keeps
    its model in the runs folder (`kept_runs.keep_model`), unless --no-keep, and its
    epoch-end snapshot there (`snap`, a `run_snapshot.RunSnapshot`) until it ends."""
    from .. import distributed
    from ..bridge import FastBridge
    from ..train import train

    def scoring(event) -> None:
        """Say that the model kept after a signal is being scored, and how to skip it."""
        sink(event)
        if isinstance(event, ev.TrainEnd) and signals.received is not None and \
                bridge.val_cut is None and distributed.is_main():
            error("training stopped; scoring the model kept (the final evaluation): the "
                  "same signal again ends it after its current batch")

    bridge = FastBridge(scoring)
    # A rank leaves SIGTERM alone: torchrun sends it to end the ranks when one has failed,
    # and a rank waiting on a dead peer could not finish its batch.
    caught = (signal.SIGINT,) if distributed.launched() else (signal.SIGINT, signal.SIGTERM)
    before = snapshot_identity(args.save)
    extra = [c for c in [snap.callback(data) if snap else None] if c is not None]
    with StopOnSignals(bridge, caught) as signals, say_snapshot(args, before, snap):
        result = train(doc, data, sink=sink, save=args.save, threads=args.threads,
                       bridge=bridge, initial_model=args.resume, callbacks=extra,
                       initial_epoch=args.initial_epoch, resolved=settings, analysis=analysis)
        if distributed.is_main():
            keep_model(result, args.file, not getattr(args, "no_keep", False), data)
        if snap is not None:
            snap.finish(result)
    if signals.received is None and distributed.stop_asker() is not None:
        return result, signal.SIGINT  # another machine's launcher passed a stop on
    return result, signals.received
