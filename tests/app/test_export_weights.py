"""File › Export Model says which weights it writes, in the dialog's body, once runs have
trained models: right after a finished run it wrote untrained weights, and only the
window title (not shown without a window manager) said so."""

from __future__ import annotations

from pathlib import Path

import pytest

from kerascanvas.app.training.records import RunRecord
from kerascanvas.app.window.export_weights import WeightsChoice, graph_key, weight_choices
from kerascanvas.app.window.exports import UNTRAINED_NOTE
from kerascanvas.graph import commands as cmd
from kerascanvas.runtime.events import FINISHED, STOPPED

EXAMPLES = Path(__file__).parents[2] / "resources" / "examples"
OWN = WeightsChoice("untrained: freshly initialised weights", None, UNTRAINED_NOTE)


def trained(tmp_path, number: int, status: str = FINISHED) -> RunRecord:
    saved = tmp_path / f"run_{number}.keras"
    saved.write_bytes(b"model")
    return RunRecord(number, {}, status=status, saved_path=str(saved))


@pytest.mark.parametrize("statuses, same, default", [
    ((FINISHED, FINISHED), (True, True), 1),  # the latest finished run of this graph
    ((FINISHED, STOPPED), (True, True), 2),  # Run 2 stopped: Run 1, listed after it
    ((FINISHED, FINISHED), (True, False), 2),  # Run 2 trained another graph: Run 1
    ((FINISHED,), (False,), 0),  # the graph changed since: the project's own weights
])
def test_the_latest_finished_run_of_this_graph_is_offered(tmp_path, statuses, same, default):
    records = [trained(tmp_path, n, s) for n, s in enumerate(statuses, 1)]
    graphs = {r.uid: "now" if s else "before" for r, s in zip(records, same, strict=True)}
    choices, at = weight_choices("now", OWN, records, graphs)
    assert choices[0] == OWN
    assert [c.path for c in choices[1:]] == [r.saved_path for r in reversed(records)]
    assert at == default


def test_a_run_without_a_model_on_disk_is_not_offered(tmp_path):
    gone = trained(tmp_path, 1)
    Path(gone.saved_path).unlink()
    running = trained(tmp_path, 2, "running")
    assert weight_choices("now", OWN, [gone, running], {}) == ([OWN], 0)


def test_export_after_a_finished_run_offers_its_trained_model(window, tmp_path, monkeypatch):
    assert window.open_path(str(EXAMPLES / "mnist_mlp.json"), ask=False)
    panel = window.training_panel()
    record = trained(tmp_path, 3)
    panel.controller.runs.append(record)
    window._note_run_graph(record)  # as when the run started: it trains this graph
    asked, exported = [], []
    monkeypatch.setattr(window, "ask_weights",
                        lambda labels, default: asked.append((labels, default)) or default)
    monkeypatch.setattr(window, "ask_export_path", lambda *a: str(tmp_path / "m.keras"))
    monkeypatch.setattr(window, "export_model_to",
                        lambda path, choice=None: exported.append((path, choice)))
    window.export_model()
    (labels, default), = asked
    assert labels[default] == "the trained model of Run 3 (finished)"
    assert labels[0] == "untrained: freshly initialised weights"
    (path, choice), = exported
    assert choice.path == record.saved_path
    window._on_export_finished(0, "", path, choice.note)
    assert window.statusBar().currentMessage() == f"Exported {path} (the trained model of Run 3)"
    # An edit of the graph: the run's model is no longer this graph's, so not offered first
    window.stack.push(cmd.SetParam(window.doc, window.doc.find("hidden").id, "units", 17))
    asked.clear()
    window.export_model()
    assert asked[0][1] == 0


def test_without_trained_runs_nothing_more_is_asked(window, tmp_path, monkeypatch):
    assert window.open_path(str(EXAMPLES / "mnist_mlp.json"), ask=False)
    monkeypatch.setattr(window, "ask_weights", lambda *a: pytest.fail("asked"))
    monkeypatch.setattr(window, "ask_export_path", lambda *a: "")
    window.export_model()


def test_a_continued_run_trains_the_graph_of_the_run_it_continues(window, tmp_path):
    assert window.open_path(str(EXAMPLES / "mnist_mlp.json"), ask=False)
    panel = window.training_panel()
    first = trained(tmp_path, 1)
    panel.controller.runs.append(first)
    window._note_run_graph(first)
    window.stack.push(cmd.SetParam(window.doc, window.doc.find("hidden").id, "units", 17))
    second = trained(tmp_path, 2)
    second.resumed_from = 1
    panel.controller.runs.append(second)
    window._note_run_graph(second)
    assert window.run_graphs[second.uid] == window.run_graphs[first.uid] != graph_key(window.doc)
