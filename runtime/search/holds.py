"""A trial's pauses as its process confirms them: study events, and the time held.

A pause reaches a trial's training between two batches, so the driver cannot know when
a trial holds from the moment it asked. The trial's process sends its bridge's
`Paused` (the epoch, and the batch it holds before) and `Resumed` (`child.SENT`); the
driver hands them to the trial's `TrialHold`, which tells the listener:

    TrialPaused(number=3, epoch=2, batch=5, batches=12)   (5 of epoch 2's 12 batches done)
    TrialResumed(number=3, epoch=2, paused_s=41.0)        (held 41 s in all so far)

The time from a confirmed pause to its end is time held, and so is a trial's wait to
begin while the study was paused (Optuna counts its duration from its creation, before
that wait), and the time `kerascanvas search` and its trials were suspended together
(Ctrl+Z: `held_outside`). Their sum is the trial's user attribute PAUSED_S, which the
trial's duration leaves out (`study.trial_summary`): a trial paused over lunch did not
train for an hour.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ..events import Paused, Resumed, StudyEvent, TrainBegin, TrialPaused, TrialResumed

PAUSED_S = "paused_s"  # a trial's user attribute: seconds it was held paused


class TrialHold:
    """One trial's confirmed pauses (see the module doc); the time held is kept on the
    trial (its PAUSED_S) as it grows.

    Args:
        trial: the Optuna trial (its number names the events).
        tell: receives `TrialPaused` and `TrialResumed`.
        held_s: time already held (the trial's wait to begin while the study was paused).
        clock: a monotonic time source (tests pass a fake one).
    """

    def __init__(self, trial, tell: Callable[[StudyEvent], None], held_s: float = 0.0,
                 clock: Callable[[], float] = time.monotonic):
        self.trial, self.number, self.tell, self.clock = trial, trial.number, tell, clock
        self.held_s = float(held_s)
        self.steps: int | None = None  # batches per epoch, from `TrainBegin`
        self.since: float | None = None  # when the pause now held was confirmed
        self.outside_s = 0.0  # held otherwise (the command suspended), not yet in held_s
        if self.held_s:
            trial.set_user_attr(PAUSED_S, self.held_s)

    @property
    def paused(self) -> bool:
        """Whether the trial's process said it holds, and has not said it goes on."""
        return self.since is not None

    def on_event(self, event) -> None:
        """Take `TrainBegin`, `Paused` or `Resumed` from the trial's process (others are
        not its business)."""
        if isinstance(event, TrainBegin):
            self.steps = event.steps
        elif isinstance(event, Paused):
            if self.since is None:
                self.since = self.clock()
            self.tell(TrialPaused(self.number, event.epoch, event.batch, self.steps))
        elif isinstance(event, Resumed) and self.since is not None:
            self.close()
            self.tell(TrialResumed(self.number, event.epoch, self.held_s))

    def held_outside(self, seconds: float) -> None:
        """The trial was held `seconds` otherwise than by a pause (its process and the
        command suspended together: Ctrl+Z); kept on the trial at the next `close`. Safe
        in a signal handler: it writes nothing to the study."""
        self.outside_s += seconds

    def close(self) -> float:
        """End a pause still open (the trial resumed, or its process ended while it held)
        and keep the time held on the trial; the time held in all."""
        outside, self.outside_s = self.outside_s, 0.0
        if self.since is not None or outside:
            held = 0.0 if self.since is None else max(0.0, self.clock() - self.since)
            self.held_s += held + outside
            self.since = None
            self.trial.set_user_attr(PAUSED_S, self.held_s)
        return self.held_s


def worked_s(duration_s: float | None, attrs) -> float | None:
    """A trial's `duration_s` less the time it was held paused (its PAUSED_S in `attrs`)."""
    if duration_s is None:
        return None
    held = attrs.get(PAUSED_S)
    return max(0.0, duration_s - float(held)) if isinstance(held, int | float) else duration_s
