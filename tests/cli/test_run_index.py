"""A model `kerascanvas run` keeps after a real SIGINT is listed in the project's runs
index, beside the window's runs, and the window's loader reads it back."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path

import keras

from kerascanvas.app.cli import main
from kerascanvas.app.training.history import load_runs, save_runs
from kerascanvas.app.training.records import RunRecord
from kerascanvas.runtime import events as ev
from tests.cli.test_run_signals import signal_after_an_epoch
from tests.runtime.test_run import classifier, project


def test_a_run_stopped_by_sigint_is_listed_beside_the_windows_runs(tmp_path, capsys):
    path = project(tmp_path, classifier(training={"epochs": 1000, "batch_size": 2}))
    folder = tmp_path / "model.runs"
    window_run = RunRecord(1, {"epochs": 2}, status="finished", epochs_done=2,
                           result=ev.Result(ev.FINISHED, history={"loss": [0.5, 0.25]}))
    save_runs(folder, [window_run])  # the window kept a run of its own first
    log = tmp_path / "events.jsonl"
    threading.Thread(target=signal_after_an_epoch, args=(log, signal.SIGINT),
                     daemon=True).start()
    code = main(["run", path, "--data", "synthetic:300", "--log", str(log), "--no-progress",
                 "--threads", "1"])
    assert code == 130
    err = capsys.readouterr().err
    saved = folder / "stopped_1.keras"
    assert f"listed as Run 2 in {folder / 'runs.json'}" in err
    lines = log.read_text().splitlines()
    steps, result = (ev.from_wire(json.loads(lines[i])) for i in (0, -1))

    runs, problem = load_runs(folder)
    assert problem is None
    assert [(r.number, r.status) for r in runs] == [(1, "finished"), (2, ev.STOPPED)]
    assert runs[0].uid == window_run.uid  # the window's entry is untouched
    kept = runs[1]
    assert kept.saved_path == str(saved) and kept.result.saved == str(saved)
    assert kept.result.epochs_run == result.epochs_run >= 1
    assert kept.epochs_done == result.epochs_run and kept.settings["epochs"] == 1000
    assert kept.message == result.message and "Stopped on request" in kept.message
    # The curves are the run's epoch logs, one point per complete epoch.
    loss = kept.curves.epochs["loss"]
    assert list(loss.x) == [float(e + 1) for e in range(result.epochs_run)]
    assert list(loss.y) == result.history["loss"]
    assert kept.curves.last_epoch == result.epochs_run  # the axis ends where the run did
    # The model the entry names is the one that was trained (Keras counts its steps).
    model = keras.saving.load_model(kept.saved_path, safe_mode=True)
    assert int(model.optimizer.iterations) >= result.epochs_run * steps.steps
    # The learning rate of each complete epoch is Keras' (a constant rate here), and the
    # batch losses run from the first batch into the epoch the stop cut.
    assert list(kept.curves.lr.x) == [float(e + 1) for e in range(result.epochs_run)]
    assert list(kept.curves.lr.y) == [float(model.optimizer.learning_rate)] * result.epochs_run
    xs = list(kept.curves.batch_loss.x)
    assert xs == sorted(xs) and 0 < xs[0] <= 1 and xs[-1] >= result.epochs_run


def test_a_nan_run_is_listed_with_its_dropped_epoch_as_data(tmp_path, capsys):
    from tests.cli.test_failed_runs_keep import run_to_nan

    run_to_nan(tmp_path)
    assert f"listed as Run 1 in {tmp_path / 'model.runs' / 'runs.json'}" in \
        capsys.readouterr().err
    (kept,), problem = load_runs(tmp_path / "model.runs")
    assert problem is None and kept.status == ev.FAILED and kept.result.nan
    assert kept.result.dropped_epoch == 1 and kept.result.nan_losses == ("loss",)
    assert kept.result.epochs_run == 0 and kept.dropped_note.startswith(
        "Epoch 1 was dropped (loss not finite); the initial weights were kept")


def test_a_run_stopped_by_sigint_with_save_is_listed_naming_that_file(tmp_path, capsys):
    path = project(tmp_path, classifier(training={"epochs": 1000, "batch_size": 2}))
    saved = tmp_path / "out" / "mine.keras"
    saved.parent.mkdir()
    log = tmp_path / "events.jsonl"
    threading.Thread(target=signal_after_an_epoch, args=(log, signal.SIGINT),
                     daemon=True).start()
    code = main(["run", path, "--data", "synthetic:300", "--log", str(log), "--no-progress",
                 "--threads", "1", "--save", str(saved)])
    assert code == 130
    folder = tmp_path / "model.runs"
    assert f"listed as Run 1 in {folder / 'runs.json'}" in capsys.readouterr().err
    result = ev.from_wire(json.loads(log.read_text().splitlines()[-1]))
    (kept,), problem = load_runs(folder)
    assert problem is None and kept.status == ev.STOPPED
    assert kept.saved_path is not None and Path(kept.saved_path).resolve() == saved
    assert kept.result.epochs_run == result.epochs_run >= 1
    assert not list(folder.glob("*.keras"))  # the model is where --save said, only there
    model = keras.saving.load_model(kept.saved_path, safe_mode=True)
    assert int(model.optimizer.iterations) >= result.epochs_run
