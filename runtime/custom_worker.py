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
from collections.abc import Mapping

from kerascanvas.graph.errors import KerasCanvasError

MODULE = "kerascanvas.runtime.custom_worker"
DEFAULT_TIMEOUT = 120.0  # seconds for one batch of requests, keras' import included


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
