"""A worker process that answers custom-layer shape requests with Keras.

The window and the light commands (`validate`, `codegen`) never import keras:
they hand `CustomContext.pending` requests to this process, which loads the
trusted class, calls it on symbolic inputs and sends back the output shapes and
weight counts (`custom_code.compute`). The protocol is one JSON line each way:

    parent -> child   {"requests": {key: request, ...}}
    child -> parent   {"results": {key: result, ...}}

The user's code may print: the child sends its answers on a private copy of its
standard output and points its own standard output at standard error.

Only requests for code the parent already trusts are sent (inference asks for
nothing else), and the child runs them as trusted: it is the parent's decision.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future

from kerascanvas.graph.errors import KerasCanvasError

MODULE = "kerascanvas.runtime.custom_worker"
DEFAULT_TIMEOUT = 120.0  # seconds for one batch of requests, keras' import included
CLOSED = "the custom-layer shape worker was closed"


class WorkerError(KerasCanvasError):
    """The shape worker died, or did not answer in time."""


class WorkerSolver:
    """A running worker: call it with {key: request} to get {key: result}.

    >>> with WorkerSolver() as solve:  # doctest: +SKIP
    ...     solve({"k": {"class_name": "A", "source": "...", "kwargs": {}, "inputs": [[None, 3]]}})
    """

    def __init__(self, timeout: float = DEFAULT_TIMEOUT):
        self.timeout = timeout
        self._proc = subprocess.Popen(
            [sys.executable, "-m", MODULE], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True, encoding="utf-8", env=_child_env())
        self._lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self._proc.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def __call__(self, requests: Mapping[str, dict]) -> dict[str, dict]:
        try:
            self._proc.stdin.write(json.dumps({"requests": dict(requests)}) + "\n")
            self._proc.stdin.flush()
        except OSError as exc:
            raise WorkerError(f"the custom-layer shape worker is gone ({exc})") from None
        try:
            line = self._lines.get(timeout=self.timeout)
        except queue.Empty:
            self.close()
            raise WorkerError(f"the custom-layer shape worker did not answer within "
                              f"{self.timeout:.0f} s (does the layer's code loop?)") from None
        if line is None:
            raise WorkerError("the custom-layer shape worker exited before answering")
        return json.loads(line)["results"]

    def kill(self) -> None:
        """End the worker now, from any thread: a call waiting for its answer raises
        WorkerError (the worker exited before answering)."""
        try:
            self._proc.kill()
        except OSError:
            pass

    def close(self) -> None:
        """Stop the worker (it is killed if it does not exit at once)."""
        if self._proc.poll() is None:
            try:
                self._proc.stdin.close()
                self._proc.wait(timeout=2)
            except (OSError, subprocess.TimeoutExpired):
                self._proc.kill()
                self._proc.wait()

    def __enter__(self) -> WorkerSolver:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class SolverThread:
    """A daemon thread that owns one solver: `submit(requests)` gives a Future of its
    {key: result}; the requests are answered one batch at a time, in order.

    The solver (a `WorkerSolver` unless `factory` makes another) is created, called and
    closed on this thread only. Failures come back as results ({"error": message}), never
    as exceptions. `close()` returns at once, from any thread: it kills a worker process
    that is computing (its call ends with an error result), and the thread closes the
    solver once the call it is in returns.
    """

    def __init__(self, factory: Callable[[], Callable] | None = None,
                 name: str = "kerascanvas-custom-shapes"):
        self.factory = factory
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._solver = None
        self._closed = False
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.thread.start()

    def submit(self, requests: Mapping[str, dict]) -> Future:
        future: Future = Future()
        self._jobs.put((future, dict(requests)))
        return future

    def close(self) -> None:
        self._closed = True
        self._jobs.put(None)
        solver = self._solver
        if hasattr(solver, "kill"):
            solver.kill()

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            future, requests = job
            if future.set_running_or_notify_cancel():
                future.set_result(self._solve(requests))
        self._drop_solver()

    def _solve(self, requests: dict) -> dict[str, dict]:
        if self._closed:
            return _failed(requests, CLOSED)
        try:
            if self._solver is None:
                self._solver = (self.factory or WorkerSolver)()
            if self._closed:  # closed while the solver started (close saw none to kill)
                return _failed(requests, CLOSED)
            return self._solver(requests)
        except WorkerError as exc:
            self._drop_solver()
            return _failed(requests, str(exc))
        except Exception as exc:  # noqa: BLE001 - a solver that cannot start, or a bug
            self._drop_solver()
            return _failed(requests, f"the custom-layer shape worker failed: "
                                     f"{type(exc).__name__}: {exc}")

    def _drop_solver(self) -> None:
        solver, self._solver = self._solver, None
        if hasattr(solver, "close"):
            solver.close()


def _failed(requests: Mapping[str, dict], message: str) -> dict[str, dict]:
    return {key: {"error": message} for key in requests}


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("KERAS_BACKEND", "torch")
    paths = [p for p in sys.path if p]  # the child imports this very kerascanvas
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def main() -> None:
    """The child: answer each request line until standard input closes."""
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    from .custom_code import compute

    for line in sys.stdin:
        requests = json.loads(line)["requests"]
        results = {key: compute(request) for key, request in requests.items()}
        answers.write(json.dumps({"results": results}) + "\n")
        answers.flush()


if __name__ == "__main__":
    main()
