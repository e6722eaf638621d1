"""A trial's bridge: a stopped trial has no score.

A stop reaches a trial's training through the common path (`runtime.bridge`): it ends
training after the current batch, or the validation pass after its current validation
batch, and an epoch so cut sends no `EpochEnd` (so no partial validation score reaches
the pruner or the study) and is not counted in `epochs_run`; `val_cut` names an epoch
whose validation was cut.

What is the trial's own: after a stop, `runtime.train` skips the final evaluation
(`evaluate_when_stopped`), which the window and `kerascanvas run` keep. A stopped trial
has no score (the driver records it stopped), and the pass would take as long as a
validation pass. The trial's `Result.metrics` stays empty.
"""

from __future__ import annotations

from ..bridge import FastBridge


class TrialBridge(FastBridge):
    """`FastBridge` whose stop also skips the final evaluation; see the module doc."""

    evaluate_when_stopped = False  # `runtime.train` skips the final evaluation
