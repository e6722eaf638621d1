"""A rank of `kerascanvas run --nproc-per-node N` (`runtime.cli.rank`) in which rank
FAIL_RANK raises an error of ours at FAIL_AT: "batch" (the third training batch,
inside `fit`) or "evaluation" (the third batch of the final evaluation, outside it).
For the launcher's exit-code tests only."""

from __future__ import annotations

import os
import sys

from kerascanvas.runtime import rank_sync
from kerascanvas.runtime.cli import rank

AT = os.environ.get("FAIL_AT", "batch")
FAILS = os.environ.get("FAIL_RANK", "1") in ("all", os.environ.get("RANK"))
_train_batch = rank_sync.RankSync.on_train_batch_begin
_pass_batch = rank_sync.PassSync.on_test_batch_begin


def _failing_train_batch(self, batch, logs=None):
    if FAILS and AT == "batch" and batch == 2:
        raise RuntimeError("injected failure in training")
    return _train_batch(self, batch, logs)


def _failing_pass_batch(self, batch, logs=None):
    if FAILS and AT == "evaluation" and self.kind == "evaluation" and batch == 2:
        raise RuntimeError("injected failure in the final evaluation")
    return _pass_batch(self, batch, logs)


rank_sync.RankSync.on_train_batch_begin = _failing_train_batch
rank_sync.PassSync.on_test_batch_begin = _failing_pass_batch

if __name__ == "__main__":
    sys.exit(rank.main())
