"""`runtime.custom_worker.SolverThread`: the thread that owns the custom-shape solver.

The solver is created, called and closed on that one thread; failures come back as
error results; `close()` returns while a call is still running, and kills a worker
process that is computing. No Qt here: the window's side is tests/app."""

from __future__ import annotations

import threading

from kerascanvas.runtime.custom_worker import (
    CLOSED,
    SolverThread,
    WorkerError,
    WorkerSolver,
)

REQUEST = {"class_name": "Twice", "source": "", "kwargs": {}, "inputs": [[None, 3]]}


class RecordingSolver:
    """Answers {key: {"outputs": [[key]]}}, blocking each call until `release` is set."""

    def __init__(self, blocking: bool = False):
        self.release = threading.Event()
        if not blocking:
            self.release.set()
        self.entered = threading.Event()
        self.threads: list[str] = []  # the thread of each creation, call and close
        self.threads.append(threading.current_thread().name)

    def __call__(self, requests):
        self.threads.append(threading.current_thread().name)
        self.entered.set()
        assert self.release.wait(10)
        return {key: {"outputs": [[key]]} for key in requests}

    def close(self):
        self.threads.append(threading.current_thread().name)


def test_requests_are_answered_in_order_on_the_thread_that_owns_the_solver():
    made = []
    worker = SolverThread(lambda: made.append(RecordingSolver()) or made[-1], name="shapes")
    answers = [worker.submit({f"k{i}": REQUEST}) for i in range(3)]
    assert [a.result(10) for a in answers] == [{f"k{i}": {"outputs": [[f"k{i}"]]}}
                                               for i in range(3)]
    worker.close()
    worker.thread.join(10)
    assert not worker.thread.is_alive()
    assert len(made) == 1 and made[0].threads == ["shapes"] * 5  # made, 3 calls, closed


def test_failures_come_back_as_error_results():
    def broken():
        raise OSError("cannot start the worker")

    worker = SolverThread(broken)
    assert worker.submit({"k": REQUEST}).result(10) == {
        "k": {"error": "the custom-layer shape worker failed: OSError: cannot start the worker"}}

    def gone(requests):
        raise WorkerError("the custom-layer shape worker exited before answering")

    worker.factory = lambda: gone
    assert worker.submit({"k": REQUEST}).result(10) == {
        "k": {"error": "the custom-layer shape worker exited before answering"}}
    worker.close()


def test_close_returns_while_a_call_runs_and_the_solver_is_closed_after_it():
    solver = RecordingSolver(blocking=True)
    worker = SolverThread(lambda: solver)
    answer = worker.submit({"k": REQUEST})
    assert solver.entered.wait(10)
    worker.close()  # the call is still blocked: close did not wait for it
    assert not answer.done() and worker.thread.is_alive()
    solver.release.set()
    worker.thread.join(10)
    assert answer.result() == {"k": {"outputs": [["k"]]}}
    assert solver.threads[-1] == worker.thread.name  # closed on its own thread, last


def test_close_kills_a_worker_process_that_is_computing():
    """A real worker process: closed as soon as it started (it is still importing keras),
    it is killed, or its request refused, and reaped."""
    made = []
    worker = SolverThread(lambda: made.append(WorkerSolver()) or made[-1])
    answer = worker.submit({"k": REQUEST})
    while not made:
        threading.Event().wait(0.01)
    worker.close()
    assert answer.result(30)["k"]["error"] in (
        CLOSED, "the custom-layer shape worker exited before answering")
    worker.thread.join(10)
    assert made[0]._proc.poll() is not None  # killed and reaped
