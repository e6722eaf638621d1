"""A scripted stand-in for a training run, and a Training panel driven by it, shared by
the Training dock's tests."""

from __future__ import annotations

import threading

from PySide6 import QtCore
from PySide6.QtTest import QTest

from kerascanvas.app.training.controller import TrainingController
from kerascanvas.app.training.panel import TrainingPanel
from kerascanvas.app.training.records import RunRecord
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.project import Project
from kerascanvas.runtime import events as ev


class FakeRun:
    """The TrainingRun contract, fed by the test instead of a child process.

    The test writes events as the child sends them, plain data, and they are read
    back through `from_wire` as a real run's are.
    """

    made: list[FakeRun] = []

    def __init__(self, document, overrides, save_path, **extra):
        self.document, self.overrides, self.save_path, self.extra = (
            document, overrides, save_path, extra)
        self.status, self.commands = "ready", []
        self._pending: list[ev.TrainingEvent] = []
        self._lock = threading.Lock()
        FakeRun.made.append(self)

    def start(self):
        self.status = "running"

    def push(self, *events):
        with self._lock:
            self._pending.extend(ev.from_wire(e) for e in events)

    def poll_events(self):
        if self.status == "killed":
            return []
        with self._lock:
            out, self._pending = self._pending, []
        for event in out:
            if isinstance(event, ev.Result):
                self.status = event.status
        return out

    def stop(self):
        self.commands.append("stop")

    def pause(self):
        self.commands.append("pause")
        self.push({"event": "paused", "epoch": 0})

    def resume(self):
        self.commands.append("resume")
        self.push({"event": "resumed", "epoch": 0})

    def kill(self):
        self.commands.append("kill")
        self.status = "killed"


def epoch(e, steps=4, losses=(1.0, 0.8, 0.7, 0.6), val_loss=0.9, accuracy=0.5, lr=1e-3):
    events = [{"event": "epoch_begin", "epoch": e}]
    events += [{"event": "batch_end", "epoch": e, "batch": b, "steps": steps,
                "logs": {"loss": loss}} for b, loss in enumerate(losses)]
    logs = {"loss": losses[-1], "accuracy": accuracy, "val_loss": val_loss,
            "val_accuracy": accuracy - 0.1}
    return events + [{"event": "epoch_end", "epoch": e, "logs": logs, "lr": lr,
                      "samples_per_s": 1000.0, "eta_s": 3.0}]


def mlp() -> Document:
    doc = Document()
    x = doc.add_node("Input", name="x", params={"shape": [4]})
    out = doc.add_node("Dense", name="out", params={"units": 3, "activation": "softmax"})
    doc.connect(Edge(x.id, 0, out.id, 0))
    doc.outputs = [out.id]
    doc.training = {"data": "sklearn:iris", "epochs": 3, "metrics": ["accuracy"]}
    return doc


def training_panel(qtbot, tmp_path):
    """A Training panel on `mlp()` whose runs are FakeRuns (a fixture's body)."""
    FakeRun.made.clear()
    doc = mlp()
    controller = TrainingController(FakeRun, save_dir=str(tmp_path), poll_interval=0.005)
    widget = TrainingPanel(Project(doc), controller)
    qtbot.addWidget(widget)
    widget.show()  # the plots draw only while they are shown
    yield widget
    widget.shutdown()


def start_checked(panel, qtbot) -> bool:
    """Start, then its data check (Start waits for data still being read, never blocking
    the window): whether a run started."""
    runs = len(panel.controller.runs)
    if panel.start():
        return True
    qtbot.waitUntil(lambda: not panel.data.start_waiting, timeout=60_000)
    return len(panel.controller.runs) > runs


def continue_checked(panel, qtbot) -> bool:
    """Continue, then the comparison of its data with its run's (made off the GUI thread;
    a question, if any, is answered by the test): whether the continuation started."""
    runs = len(panel.controller.runs)
    if panel.continue_selected():
        return True
    qtbot.waitUntil(lambda: panel.data.waiting.waiting != "Continue", timeout=60_000)
    return len(panel.controller.runs) > runs


def started(panel, qtbot) -> tuple[FakeRun, RunRecord]:
    assert start_checked(panel, qtbot)
    run, record = FakeRun.made[-1], panel.controller.current
    run.push({"event": "train_begin", "epochs": 3, "steps": 4, "samples": 120})
    return run, record


def set_processes(panel, qtbot, count: int) -> None:
    """Type a process count into the spin box, as a user does."""

    box = panel.processes
    box.lineEdit().selectAll()
    QTest.keyClicks(box.lineEdit(), str(count))
    QTest.keyClick(box.lineEdit(), QtCore.Qt.Key_Return)
    assert box.value() == count


def held(monkeypatch, owner, name):
    """Replace `owner.name` by a call that waits for the returned event first (a slow read
    or comparison, held until the test sets the event); the caller sets it at the end."""
    release = threading.Event()
    real = getattr(owner, name)

    def waiting(*args):
        release.wait(60)
        return real(*args)

    monkeypatch.setattr(owner, name, waiting)
    return release
