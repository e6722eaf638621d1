"""A run whose model file was deleted keeps its saved path when the window writes its
entry again: the index wrote "saved": null, and Export Model then left the run out
instead of listing its model as missing. The Runs tab says so in the run's row."""

from __future__ import annotations

import json
from pathlib import Path

from kerascanvas.app.training.history import runs_folder, save_runs

from .test_export_weights import EXAMPLES, trained
from .test_training_project import run_once


def index_entries(folder: Path) -> dict[int, dict]:
    return {e["number"]: e for e in json.loads((folder / "runs.json").read_text())["runs"]}


def test_a_deleted_model_stays_listed_and_shows_as_missing(make_window, qtbot, tmp_path,
                                                           monkeypatch):
    project = tmp_path / "mlp.json"
    project.write_text((EXAMPLES / "mnist_mlp.json").read_text())
    folder = runs_folder(str(project))
    save_runs(folder, [trained(folder, n) for n in (1, 2)])
    window = make_window(str(project))
    panel = window.training_panel()
    qtbot.waitUntil(lambda: not panel.reader.busy, timeout=10_000)
    gone = panel.controller.runs[0]
    Path(gone.saved_path).unlink()
    panel._unkept.add(gone.uid)  # an earlier write failed: the next run's end writes it
    run_once(window, qtbot, loss=0.25)
    assert index_entries(folder)[1]["saved"] == "run_1.keras"  # written again, path kept
    row = panel.runs.topLevelItem(0)
    qtbot.waitUntil(lambda: row.text(1) == "finished · model file missing", timeout=5000)
    assert row.toolTip(1) == f"finished; model file missing: {gone.saved_path}"
    assert panel.runs.topLevelItem(1).text(1) == "finished"
    asked = []
    monkeypatch.setattr(window, "ask_weights", lambda choices, default, problem=None:
                        asked.append(choices) or 0)
    monkeypatch.setattr(window, "ask_export_path", lambda *a: "")
    window.export_model()
    (choices,) = asked
    missing = [c for c in choices if c.name == "the trained model of Run 1"]
    assert [c.available for c in missing] == [False]
    assert "model file missing" in missing[0].details
