"""A training process that dies without a result (kill -9, the OOM killer): the run
fails with a message that names the signal and how far training got."""

import queue
import signal

import pytest

from kerascanvas.graph.document import Document
from kerascanvas.runtime.events import FAILED, BatchEnd, EpochBegin, EpochEnd, to_wire
from kerascanvas.runtime.worker import TrainingRun


class DeadProcess:
    """A child that has ended with `exitcode` (negative: the signal that ended it)."""

    def __init__(self, exitcode):
        self.exitcode = exitcode

    def is_alive(self):
        return False


def crashed_run(exitcode, events):
    run = TrainingRun(Document())
    run._events, run._commands = queue.Queue(), queue.Queue()
    for event in events:
        run._events.put(to_wire(event))
    run.process, run.status = DeadProcess(exitcode), "running"
    return run


@pytest.mark.parametrize("exitcode, events, says", [
    (-signal.SIGKILL,
     [EpochBegin(0), EpochEnd(0, {"loss": 1.0}), EpochBegin(1),
      BatchEnd(1, 11, 45, {"loss": 0.5})],
     "(killed by SIGKILL) during epoch 2, at batch 12 of 45 (epoch 1 was the last "
     "complete one); the model was not saved. The curves and metrics up to epoch 1 "
     "are kept in the run."),
    (-signal.SIGSEGV, [EpochBegin(0), EpochEnd(0, {"loss": 1.0})],
     "(killed by SIGSEGV) after epoch 1; the model was not saved."),
    (1, [], "(exit code 1) before its first batch; the model was not saved."),
])
def test_a_process_that_dies_names_the_signal_and_where_training_was(exitcode, events,
                                                                      says):
    run = crashed_run(exitcode, events)
    received = run.poll_events()
    assert run.status == FAILED
    assert received[-1] is run.result
    assert run.result.message.startswith("The training process ended unexpectedly ")
    assert says in run.result.message
