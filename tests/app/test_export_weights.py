"""File › Export Model says which weights it writes, in the dialog's body, once runs have
trained models: right after a finished run it wrote untrained weights, and only the
window title (not shown without a window manager) said so. It offered only the runs the
Training panel had read by then: none when asked before the panel was built, nor the runs
of earlier sessions on disk; now every run of the project that saved a model is listed."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from PySide6 import QtCore
from PySide6.QtTest import QTest

from kerascanvas.app.training.history import runs_folder, save_runs
from kerascanvas.app.training.records import RunRecord
from kerascanvas.app.window.export_weights import WeightsChoice, graph_key, weight_choices
from kerascanvas.app.window.exports import UNTRAINED_NOTE
from kerascanvas.app.window.weights_dialog import WeightsDialog
from kerascanvas.graph import commands as cmd
from kerascanvas.graph import projectfile
from kerascanvas.runtime.events import FINISHED, STOPPED, Result

EXAMPLES = Path(__file__).parents[2] / "resources" / "examples"
OWN = WeightsChoice("untrained: freshly initialised weights", None, UNTRAINED_NOTE)
WRITTEN = time.mktime((2026, 11, 30, 10, 15, 0, 0, 0, -1))  # when the models were saved


def trained(folder, number: int, status: str = FINISHED, history=None,
            initial_epoch: int = 0) -> RunRecord:
    """A run that saved its model in `folder` (as `run_N.keras`) at `WRITTEN`."""
    saved = Path(folder) / f"run_{number}.keras"
    saved.parent.mkdir(parents=True, exist_ok=True)
    saved.write_bytes(b"model")
    os.utime(saved, (WRITTEN, WRITTEN))
    history = history or {"loss": [1.0]}
    epochs = len(next(iter(history.values())))
    return RunRecord(number, {}, status=status, saved_path=str(saved), epochs=epochs,
                     initial_epoch=initial_epoch, epochs_done=epochs,
                     result=Result(status=status, history=history, epochs_run=epochs,
                                   initial_epoch=initial_epoch))


@pytest.mark.parametrize("statuses, same, default", [
    ((FINISHED, FINISHED), (True, True), 1),  # the latest finished run of this graph
    ((FINISHED, STOPPED), (True, True), 2),  # Run 2 stopped: Run 1, listed after it
    ((FINISHED, FINISHED), (True, False), 2),  # Run 2 trained another graph: Run 1
    ((FINISHED,), (False,), 0),  # the graph changed since: the project's own weights
])
def test_the_latest_finished_run_of_this_graph_is_offered(tmp_path, statuses, same, default):
    records = [trained(tmp_path, n, s) for n, s in enumerate(statuses, 1)]
    for record, now in zip(records, same, strict=True):
        record.graph = "now" if now else "before"
    choices, at = weight_choices("now", OWN, records)
    assert choices[0] == OWN
    assert [c.path for c in choices[1:]] == [r.saved_path for r in reversed(records)]
    assert at == default


def test_a_run_lists_its_date_epochs_and_best_loss(tmp_path):
    record = trained(tmp_path, 4, history={"loss": [0.9, 0.5, 0.4],
                                           "val_loss": [0.8, 0.3, float("nan")]},
                     initial_epoch=2)
    record.epochs = 5
    (choice,) = weight_choices("now", OWN, [record])[0][1:]
    assert choice.label == ("the trained model of Run 4 · finished · 2026-11-30 10:15 · "
                            "epoch 5/5 · best val_loss 0.3 (epoch 4)")


def test_a_run_whose_model_file_is_gone_is_listed_as_missing(tmp_path):
    gone = trained(tmp_path, 1)
    Path(gone.saved_path).unlink()
    running = trained(tmp_path, 2, "running")
    gone.graph = "now"
    choices, at = weight_choices("now", OWN, [gone, running])
    assert [c.available for c in choices] == [True, False] and at == 0
    assert choices[1].label == (f"the trained model of Run 1 · finished · model file "
                                f"missing: {gone.saved_path}")


def test_a_model_file_the_index_does_not_list_is_offered(tmp_path):
    listed = trained(tmp_path, 1)
    for name in ("trained_7.keras", "run_1.last.keras", ".partial-12-run_2.keras"):
        (tmp_path / name).write_bytes(b"model")
    choices, _ = weight_choices("now", OWN, [listed], str(tmp_path))
    assert [c.path for c in choices[1:]] == [listed.saved_path,
                                             str(tmp_path / "trained_7.keras")]
    assert choices[2].details.startswith("not in the runs index · ")


def on_disk(project: Path) -> list[RunRecord]:
    """Runs 1-3 of `project` kept in its runs folder before the window opens, as the
    window keeps them; Run 2's model file deleted since. Runs 1 and 2 trained the
    project's graph; Run 3's graph is not known (an entry written before it was kept)."""
    folder = runs_folder(str(project))
    records = [trained(folder, n, history={"loss": [0.5 / n, 0.2 / n]}) for n in (1, 2, 3)]
    graph = graph_key(projectfile.loads(project.read_text()))
    for record, trained_graph in zip(records, (graph, graph, None), strict=True):
        record.folder, record.graph = str(folder), trained_graph
    save_runs(folder, records)
    Path(records[1].saved_path).unlink()
    return records


@pytest.mark.parametrize("panel_built", [False, True])
def test_runs_on_disk_before_the_window_opened_are_offered(make_window, tmp_path,
                                                           monkeypatch, panel_built):
    project = tmp_path / "mlp.json"
    project.write_text((EXAMPLES / "mnist_mlp.json").read_text())
    records = on_disk(project)
    window = make_window(str(project))
    if panel_built:  # its runs are read in the background: asked before they arrive
        window.training_panel()
    else:
        assert window.training is None
    asked = []
    monkeypatch.setattr(window, "ask_weights", lambda choices, default, problem=None:
                        asked.append((choices, default)) or 0)
    monkeypatch.setattr(window, "ask_export_path", lambda *a: "")
    window.export_model()
    (choices, default), = asked
    assert [c.name for c in choices[1:]] == [f"the trained model of Run {n}"
                                             for n in (3, 2, 1)]
    assert [c.path for c in choices[1:]] == [r.saved_path for r in reversed(records)]
    assert [c.available for c in choices] == [True, True, False, True]
    assert choices[3].details == "finished · 2026-11-30 10:15 · epoch 2/2 · best loss 0.2 (epoch 2)"
    assert "model file missing" in choices[2].details
    assert default == 3  # Run 1: the newest kept model of this graph (its index entry)


def test_the_dialog_lists_a_missing_model_as_not_choosable(qtbot, tmp_path):
    gone, kept = trained(tmp_path, 1), trained(tmp_path, 2)
    Path(gone.saved_path).unlink()
    choices, _ = weight_choices("now", OWN, [gone, kept])
    dialog = WeightsDialog(choices, 1, "Could not read the runs in x/runs.json")
    qtbot.addWidget(dialog)
    rows = [dialog.list.item(i) for i in range(dialog.list.count())]
    assert [r.text() for r in rows] == [c.label for c in choices]
    assert not rows[2].flags() & QtCore.Qt.ItemIsEnabled
    assert dialog.chosen() == 1 and dialog.ok.isEnabled()
    missing = dialog.list.visualItemRect(rows[2]).center()
    QTest.mouseClick(dialog.list.viewport(), QtCore.Qt.LeftButton, pos=missing)
    assert dialog.chosen() == 1  # a click does not take it
    dialog.list.setCurrentRow(2)
    assert dialog.chosen() is None and not dialog.ok.isEnabled()


def test_export_after_a_finished_run_offers_its_trained_model(window, tmp_path, monkeypatch):
    assert window.open_path(str(EXAMPLES / "mnist_mlp.json"), ask=False)
    panel = window.training_panel()
    panel.reader.wait()  # the project's runs read, as before a run starts
    record = trained(tmp_path, 3)
    panel.controller.runs.append(record)
    window._note_run_graph(record)  # as when the run started: it trains this graph
    asked, exported = [], []
    monkeypatch.setattr(window, "ask_weights", lambda choices, default, problem=None:
                        asked.append((choices, default)) or default)
    monkeypatch.setattr(window, "ask_export_path", lambda *a: str(tmp_path / "m.keras"))
    monkeypatch.setattr(window, "export_model_to",
                        lambda path, choice=None: exported.append((path, choice)))
    window.export_model()
    (choices, default), = asked
    assert choices[default].name == "the trained model of Run 3"
    assert choices[0].label == "untrained: freshly initialised weights"
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
    assert second.graph == first.graph != graph_key(window.doc)


def test_a_run_keeps_its_graph_in_the_runs_index(tmp_path):
    """What lets a later session offer its model first."""
    from kerascanvas.app.training.history import load_runs

    record = trained(tmp_path, 1)
    record.graph = "digest"
    save_runs(tmp_path, [record])
    (loaded,), _ = load_runs(tmp_path)
    assert loaded.graph == "digest"
