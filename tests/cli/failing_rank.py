"""A rank of `kerascanvas run --nproc-per-node N` (`runtime.cli.rank`) in which rank
FAIL_RANK raises an error of ours at FAIL_AT: "batch" (the third training batch of epoch
FAIL_EPOCH, counted from 0, inside `fit`) or "evaluation" (the third batch of the final
evaluation, outside it); or, with FAIL_AT "hang", hangs at that training batch (sleeps
for ten minutes in a callback), with "nan" makes its weights NaN there, with "exit" leaves
at once with EXIT_CODE (default 0; no report, as a rank whose program ended early) and
with "kill" kills itself with SIGKILL there, and with "leave" trains to the end and then
hangs as it closes its process group (after its report). With BUSY_S,
rank 0 is busy that long at the failing batch (a long step): torchrun's SIGTERM reaches
it before any collective says that a rank is gone.
For the launcher's tests only."""

from __future__ import annotations

import os
import signal
import sys
import time

from kerascanvas.runtime import distributed, rank_sync
from kerascanvas.runtime.cli import rank

AT = os.environ.get("FAIL_AT", "batch")
EPOCH = int(os.environ.get("FAIL_EPOCH", "0"))
BUSY_S = float(os.environ.get("BUSY_S", "0"))
FAILS = os.environ.get("FAIL_RANK", "1") in ("all", os.environ.get("RANK"))
_train_batch = rank_sync.RankSync.on_train_batch_begin
_pass_batch = rank_sync.PassSync.on_test_batch_begin
_epoch_begin = rank_sync.RankSync.on_epoch_begin


def _on_epoch_begin(self, epoch, logs=None):
    self.failing_epoch = epoch == EPOCH
    return _epoch_begin(self, epoch, logs)


def _failing_train_batch(self, batch, logs=None):
    if AT == "batch" and batch == 2 and getattr(self, "failing_epoch", False):
        if FAILS:
            raise RuntimeError("injected failure in training")
    if AT == "exit" and FAILS and batch == 2 and getattr(self, "failing_epoch", False):
        os._exit(int(os.environ.get("EXIT_CODE", "0")))
    if AT == "kill" and FAILS and batch == 2 and getattr(self, "failing_epoch", False):
        os.kill(os.getpid(), signal.SIGKILL)
    if AT == "hang" and FAILS and batch == 2 and getattr(self, "failing_epoch", False):
        time.sleep(600)
    if AT == "nan" and FAILS and batch == 2 and getattr(self, "failing_epoch", False):
        self.model.set_weights([w * float("nan") for w in self.model.get_weights()])
        if BUSY_S and os.environ.get("RANK") == "0":
            time.sleep(BUSY_S)
    return _train_batch(self, batch, logs)


def _failing_pass_batch(self, batch, logs=None):
    if FAILS and AT == "evaluation" and self.kind == "evaluation" and batch == 2:
        raise RuntimeError("injected failure in the final evaluation")
    return _pass_batch(self, batch, logs)


def _hanging_leave(ended_well=False, leave=distributed.leave):
    if AT == "leave" and FAILS:
        time.sleep(600)
    leave(ended_well)


rank_sync.RankSync.on_epoch_begin = _on_epoch_begin
distributed.leave = _hanging_leave
rank_sync.RankSync.on_train_batch_begin = _failing_train_batch
rank_sync.PassSync.on_test_batch_begin = _failing_pass_batch

if __name__ == "__main__":
    sys.exit(rank.main())
