"""A window closed right after a Kill, or on a run still starting, lists the killed run in
its project's runs index, so the run is there when the project opens again: with the
model it kept (a kill in the final evaluation), or with its settings and no model (killed
before it wrote anything), "killed" either way.

The runs are real `TrainingRun`s whose child is simulated (`kill_fake.fake_agent`).
The killed entry is written after the listings of the run the window's index writer still
holds, so a late "running" listing never lands over it.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from kerascanvas.app.training import controller as controller_module
from kerascanvas.app.training import run_closing
from kerascanvas.app.training.history import load_runs
from kerascanvas.graph.projectfile import save
from kerascanvas.runtime import worker
from kerascanvas.runtime.kill_keep import NOT_SAVED
from kerascanvas.runtime.worker import TrainingRun
from tests.runtime.kill_fake import fake_agent

from .training_fakes import mlp, start_checked

LOADED_KILL_S = run_closing.READER_JOIN_S + 0.5  # a kill on a loaded machine


class SlowKill(TrainingRun):
    """A run whose kill takes longer than the window's wait for its event reader, as
    ending and joining the processes may on a loaded machine."""

    def kill(self, timeout: float = 5.0) -> None:
        time.sleep(LOADED_KILL_S)
        super().kill(timeout)


@pytest.fixture
def simulated(monkeypatch, tmp_path):
    """The window's runs are simulated; `mode[0]` says what they write (`kill_fake`)."""
    monkeypatch.setattr(worker, "_child_main", fake_agent)
    ready, mode = tmp_path / "ready", ["saved", 2]

    def factory(document, overrides, save_path, **extra):
        return SlowKill({}, {"fake": [str(ready), mode[0]], "epochs": mode[1]},
                        save_path=save_path)

    monkeypatch.setattr(controller_module, "default_run_factory", factory)
    return ready, mode


def wait_ready(ready: Path) -> None:
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert time.monotonic() < deadline, "the simulated run did not start"
        time.sleep(0.02)


def started(make_window, tmp_path, ready, qtbot):
    path = tmp_path / "mlp.json"
    save(mlp(), path)
    window = make_window(str(path))
    panel = window.training_panel()
    assert start_checked(panel, qtbot)
    wait_ready(ready)
    return path, window, panel, panel.controller.current


def reopened(make_window, path, qtbot):
    """The run listed by a window opened again on the project."""
    panel = make_window(str(path)).training_panel()
    qtbot.waitUntil(lambda: panel.runs.topLevelItemCount() == 1, timeout=10_000)
    assert panel.runs.topLevelItem(0).text(1) == "killed"
    return panel.controller.runs[0]


def test_kill_then_close_within_a_second_lists_the_kept_model(simulated, make_window,
                                                              tmp_path, qtbot):
    ready, _ = simulated
    path, window, panel, record = started(make_window, tmp_path, ready, qtbot)
    qtbot.waitUntil(lambda: record.epochs_done == 2, timeout=10_000)
    panel.kill_button.click()
    assert record.status == "killed"
    assert window.close()
    model = tmp_path / "mlp.runs" / "run_1.keras"
    assert model.read_text() == "model"  # written in its final evaluation, before the kill
    (listed,), problem = load_runs(model.parent)
    assert problem is None and listed.status == "killed"
    assert listed.saved_path == str(model) and "the model was kept at" in listed.message
    again = reopened(make_window, path, qtbot)
    assert again.saved_path == str(model) and again.epochs_done == 2


@pytest.mark.parametrize("how", ["kill", "close"])
def test_a_run_killed_before_it_wrote_anything_is_listed_when_the_window_closes(
        simulated, make_window, tmp_path, qtbot, how):
    """Killed (Kill, then the window closed at once; or the window closed on it) while
    still starting: listed as killed, with its settings and no model."""
    ready, mode = simulated
    mode[:] = ["starting", 0]
    path, window, panel, record = started(make_window, tmp_path, ready, qtbot)
    assert record.started_at is None  # no TrainBegin: the close does not wait to stop it
    if how == "kill":
        panel.kill_button.click()
    assert window.close()
    (listed,), problem = load_runs(tmp_path / "mlp.runs")
    assert problem is None and listed.status == "killed" and listed.saved_path is None
    assert listed.message == NOT_SAVED
    assert listed.settings == {**mlp().training, **listed.settings} and listed.settings
    again = reopened(make_window, path, qtbot)
    assert again.saved_path is None and again.summary() == record.summary()
    assert sorted(p.name for p in (tmp_path / "mlp.runs").iterdir()
                  if not p.name.startswith("runs.")) == []


def test_a_listing_the_writer_holds_lands_before_the_killed_entry(simulated, make_window,
                                                                  tmp_path, qtbot):
    """The window's workers end without its Training panel's own shutdown (the panel gone
    or its shutdown failed: the teardown's Qt-free `end_workers`), while its index writer
    is held with a late "running" listing of the run behind the hold: once the writer goes
    on, the index lists the run killed, with the model it kept (it said "running" when the
    killed entry was written at once, before the listing)."""
    ready, _ = simulated
    _, _, panel, record = started(make_window, tmp_path, ready, qtbot)
    qtbot.waitUntil(lambda: record.epochs_done == 2, timeout=10_000)
    writer, gate = panel.index_writes, threading.Event()
    qtbot.waitUntil(lambda: not writer.busy, timeout=10_000)  # its start is listed
    writer.write(gate.wait, lambda error: None)  # the writer is held here
    listing = panel._listings[record.uid]
    panel._write_listing(listing, listing.begun())  # listed as running, behind the hold
    panel.controller.end_workers()
    assert record.status == "killed"
    written = threading.Event()
    assert writer.after_pending(written.set)  # after the killed entry
    gate.set()
    assert written.wait(30)
    model = tmp_path / "mlp.runs" / "run_1.keras"
    (listed,), problem = load_runs(model.parent)
    assert problem is None and listed.status == "killed"
    assert listed.saved_path == str(model) and "the model was kept at" in listed.message
