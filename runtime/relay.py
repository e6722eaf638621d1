"""A window's training run on several processes.

The worker's child process (`runtime.worker`) becomes torchrun's agent
(`runtime.launch`), and every rank runs this module:

    python -m kerascanvas.runtime.relay PAYLOAD.json

Each rank trains the payload with the worker's own `train_document`. Rank 0
connects back to the agent's process through a local, authenticated
`multiprocessing.connection` (address and key in `RELAY_ENV`): it sends its
events (as plain data, `events.to_wire`; read back with `from_wire`), which the
agent's process puts on the window's queue as a one-process run would, and it
receives the window's stop, pause and resume, which `runtime.distributed`
shares with every rank. The other ranks send nothing and save nothing. A failed
or killed rank ends the run: the window gets a "failed" result whose message
names the rank.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable
from multiprocessing.connection import Client, Listener
from typing import Any

from . import rank_end
from .events import FAILED, Result, TrainingEvent, from_wire, to_wire

RELAY_ENV = "KERASCANVAS_RELAY"
MODULE = "kerascanvas.runtime.relay"


class RankLink:
    """The agent's end: accepts rank 0, forwards its events, sends it commands.

    It has the bridge's control methods, so the worker's `Control` drives it.
    """

    def __init__(self, put: Callable[[TrainingEvent], None]):
        self.put = put
        self.key = secrets.token_bytes(16)
        self.listener = Listener(("127.0.0.1", 0), authkey=self.key)
        self.result: Result | None = None
        self._connection = None
        self._pending: list[str] = []
        self._lock = threading.Lock()
        self._done = threading.Event()
        threading.Thread(target=self._serve, daemon=True, name="kerascanvas-relay").start()

    @property
    def address(self) -> str:
        host, port = self.listener.address
        return f"{host}:{port}:{self.key.hex()}"

    def _serve(self) -> None:
        connection = self.listener.accept()
        with self._lock:
            self._connection = connection
            for name in self._pending:
                connection.send(name)
        try:
            while True:
                event = from_wire(connection.recv())
                if isinstance(event, Result):
                    self.result = event
                else:
                    self.put(event)
        except (EOFError, OSError):
            pass
        finally:
            self._done.set()

    def _send(self, name: str) -> None:
        with self._lock:
            if self._connection is None:
                self._pending.append(name)
                return
            try:
                self._connection.send(name)
            except OSError:  # rank 0 is gone; its end is reported by torchrun
                pass

    def request_stop(self) -> None:
        self._send("stop")

    def pause(self) -> None:
        self._send("pause")

    def resume(self) -> None:
        self._send("resume")

    def wait_closed(self, timeout: float) -> None:
        self._done.wait(timeout)


def train_on_ranks(payload: dict[str, Any], put: Callable[[TrainingEvent], None],
                   control) -> Result:
    """Run `payload` on `payload["processes"]` ranks under torchrun; the `Result`.

    Args:
        payload: the worker's payload (see `worker.train_document`), with "processes".
        put: receives rank 0's events.
        control: the worker's `Control`; commands reach rank 0 through it.
    """
    from .launch import Launch, launch

    link = RankLink(put)
    control.attach(link)
    with tempfile.TemporaryDirectory(prefix="kerascanvas-ranks-") as folder:
        path = os.path.join(folder, "payload.json")
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(payload, handle)
        os.environ[RELAY_ENV] = link.address
        outcome = launch(Launch(int(payload["processes"])), MODULE, [path], reports=folder)
    link.wait_closed(5.0)
    return result_of_run(link.result, outcome, int(payload["processes"]))


def result_of_run(result: Result | None, outcome, processes: int) -> Result:
    """The window's result of a run on several processes: rank 0's `result`, led by the
    rank that ended the run when another one did (rank 0 kept the model then); without
    one from rank 0, a failure that names the rank that ended the run.

    Args:
        result: what rank 0 sent, or None.
        outcome: how torchrun's ranks ended (`launch.Outcome`).
        processes: the run's processes.
    """
    if result is not None and (outcome.code == 0 or result.status == FAILED):
        if outcome.code != 0 and outcome.cause and outcome.first_failed != 0:
            result = dataclasses.replace(result, message=f"{outcome.cause} {result.message}")
        return dataclasses.replace(result, processes=processes)
    why = outcome.cause or outcome.message or "Rank 0 sent no result."
    return Result(FAILED, f"Training failed: {why} Rank 0 ended without a result: the model "
                          "was not saved.", processes=processes)


def _connect():
    """Rank 0's end of the link: (send, connection)."""
    host, port, key = os.environ[RELAY_ENV].split(":")
    connection = Client((host, int(port)), authkey=bytes.fromhex(key))
    lock = threading.Lock()

    def send(event: TrainingEvent) -> None:
        with lock, rank_end.held():  # a message goes whole, even if torchrun's SIGTERM comes
            connection.send(to_wire(event))

    return send, connection


def _commands(connection, control) -> None:
    try:
        while True:
            control.command(connection.recv())
    except (EOFError, OSError):
        return


def main(argv: list[str] | None = None) -> int:
    """One rank: train the payload; rank 0 reports to the window. Exit 0 or 3 (also
    after an unexpected error, which rank 0 reports as a failed result: Python's own
    exit code 1 would read as every rank refusing the run); another rank exits with 3
    for a failure of its own only."""
    from . import distributed
    from .keras_env import ensure_backend
    from .rank_reports import write_report
    from .worker import Control, failure_text, train_document

    ensure_backend()
    argv = sys.argv[1:] if argv is None else argv
    with open(argv[0], encoding="utf-8") as handle:
        payload = json.load(handle)
    send, connection, control = (lambda event: None), None, None
    if distributed.is_main():
        send, connection = _connect()
        control = Control()
        threading.Thread(target=_commands, args=(connection, control), daemon=True).start()
    own = True  # this rank failed by its own error (rank 0: any failure counts)
    result = None
    try:
        result = train_document(payload, send, control)
    except Exception as exc:  # noqa: BLE001  rank 0 tells the window; never exit code 1
        result = Result(FAILED, failure_text(exc), traceback=traceback.format_exc())
    else:
        own = distributed.is_main() or distributed.failure() is not None
    finally:
        # The window has the result before the process group closes: a rank that hangs
        # there is ended by its launcher (`rank_exit`), and the result stands.
        code = _exit_code(result, own)
        if connection is not None and result is not None:
            send(result)
            connection.close()
        write_report(os.path.dirname(os.path.abspath(argv[0])), code)
        distributed.leave(code == 0)
    return code


def _exit_code(result: Result | None, own: bool) -> int | None:
    """3 for a failure of this rank's own, else 0; None without a result (a signal or
    an exit ended training). Another rank's 3 after a NaN loss every rank stopped on
    would end the run (and rank 0) before rank 0 has kept the model and told the window."""
    if result is None:
        return None
    return 3 if result.status == FAILED and own else 0


if __name__ == "__main__":
    sys.exit(main())
