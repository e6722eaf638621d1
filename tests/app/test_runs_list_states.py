"""The Runs tab tells the truth in every state of a run: one `kerascanvas run` still
trains reads "running" (not "failed"), and "interrupted" once its process is gone
without an end; after a NaN loss it names the last epoch that ended finite and the one
that did not, as the run's event log counts them (from 1, as Keras' progress does)."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap

import pytest

from kerascanvas.app.training.history import load_runs
from kerascanvas.app.training.runs_list_text import metrics_text
from kerascanvas.runtime import runs_index
from tests.runtime.test_bridge import one_thread  # noqa: F401  (autouse fixture)
from tests.runtime.test_run import classifier, project, read_log, run

from . import test_continue_records
from .test_continue_records import train_as_the_worker
from .test_nan_resume import EPOCHS, diverging_project
from .training_fakes import FakeRun, start_checked

open_panel = test_continue_records.open_panel  # the fixture

# A process that lists run `uid` as running by itself, says so, then waits.
LISTS_ITSELF = textwrap.dedent("""
    import sys, time
    from kerascanvas.runtime import runs_index as ri
    ri.merge_index(sys.argv[1], [{"uid": sys.argv[2], "status": ri.RUNNING,
                                  "message": "training", "settings": {"epochs": 9},
                                  "epochs": 9, ri.PROCESS: ri.this_process("gone, kept")}])
    print("listed", flush=True)
    time.sleep(120)
""")


def expected_nan_text(log) -> str:
    """What the runs list should say of the NaN run whose event log is `log`."""
    events = read_log(log)
    ended = [(e.epoch + 1, e.logs["loss"]) for e in events if e.kind == "epoch_end"]
    finite = [(epoch, loss) for epoch, loss in ended if math.isfinite(loss)]
    nan_epoch = next(epoch for epoch, loss in ended if not math.isfinite(loss))
    assert events[-1].dropped_epoch == nan_epoch
    if not finite:
        return f"NaN in epoch {nan_epoch}: no epoch ended with finite values, nothing " \
            "trained kept"
    epoch, loss = finite[-1]
    return f"epoch {epoch}/{EPOCHS}, the last finite (NaN in epoch {nan_epoch}): loss {loss:.4g}"


@pytest.mark.parametrize("batch", [4, 32])  # NaN in epoch 1; in epoch 3
def test_the_runs_list_after_a_nan_names_the_epochs_as_the_event_log(
        open_panel, qtbot, tmp_path, capsys, batch):
    path, doc, _ = diverging_project(tmp_path, batch)
    assert run(path, "--log", tmp_path / "cli.jsonl") == 3  # listed in the runs index
    expected = expected_nan_text(tmp_path / "cli.jsonl")
    [listed], _ = load_runs(tmp_path / "model.runs")
    assert metrics_text(listed) == expected
    panel = open_panel(path, doc)  # the window's own run of the same project says the same
    assert start_checked(panel, qtbot)
    sent = []
    train_as_the_worker(FakeRun.made[-1], qtbot, panel.controller.current, sent)
    texts = [panel.runs.topLevelItem(i).text(3) for i in range(panel.runs.topLevelItemCount())]
    assert texts == [expected, expected]
    # The Results' metrics are said to be of that epoch, not of the last (the NaN one).
    header = " ".join(panel.results.metrics.horizontalHeaderItem(1).text().split())
    finite = expected.split(",")[0] if expected.startswith("epoch") else None
    assert header == (f"training ({finite.split('/')[0]}, the last finite)" if finite
                      else "training (last epoch)")


def listing_child(folder, uid: str) -> subprocess.Popen:
    child = subprocess.Popen([sys.executable, "-c", LISTS_ITSELF, str(folder), uid],
                             stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    assert child.stdout.readline().strip() == "listed"
    return child


def shown(panel) -> dict[str, tuple[str, str]]:
    """label -> (status, metrics) in the Runs tab."""
    items = [panel.runs.topLevelItem(i) for i in range(panel.runs.topLevelItemCount())]
    return {item.text(0): (item.text(1), item.text(3)) for item in items}


def test_the_runs_tab_shows_a_command_run_running_then_interrupted_or_ended(
        open_panel, qtbot, tmp_path):
    path = project(tmp_path, classifier())
    folder = tmp_path / "model.runs"
    children = [listing_child(folder, "killed")]
    try:
        panel = open_panel(path, classifier())
        assert shown(panel) == {"Run 1": ("running", "no epoch has ended yet")}
        assert panel.start_button.isEnabled() and not panel.controller.is_active
        children[0].kill()
        children[0].wait(timeout=30)
        qtbot.waitUntil(lambda: shown(panel)["Run 1"][0] == "interrupted", timeout=10_000)
        assert panel.controller.runs[0].message == "gone, kept"
        children.append(listing_child(folder, "ends"))  # listed while the window is open
        qtbot.waitUntil(lambda: "Run 2" in shown(panel), timeout=10_000)
        assert shown(panel)["Run 2"][0] == "running"
        assert panel.progress.format() == "Run 2 running in kerascanvas run · 0 of 9 " \
            "epochs ended"
        runs_index.merge_index(folder, [{"uid": "ends", "number": 2, "status": "stopped",
                                         "message": "", "settings": {"epochs": 9},
                                         "epochs": 9, "epoch": 4, "epochs_done": 4}])
        qtbot.waitUntil(lambda: shown(panel)["Run 2"][0] == "stopped", timeout=10_000)
        assert panel.progress.format() == "Run 2 stopped"  # the line follows its end
        assert [r.status for r in panel.controller.runs] == ["interrupted", "stopped"]
        # Continue's fields are those of the run it would continue: the last, stopped at 4.
        assert panel.continue_to.text() == "9 (5 more)"
    finally:
        for child in children:
            child.kill()
            child.wait(timeout=30)
