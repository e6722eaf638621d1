"""Every run of `kerascanvas run` (stopped by a real SIGINT, failed, or trained to its
end) is listed in the project's runs index, beside the window's runs, and the window's
loader reads it back."""

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


def test_a_finished_run_is_listed_with_its_model_kept_in_the_runs_folder(tmp_path, capsys):
    folder = tmp_path / "model.runs"
    window_run = RunRecord(1, {"epochs": 2}, status="finished", epochs_done=2,
                           result=ev.Result(ev.FINISHED, history={"loss": [0.5, 0.25]}))
    save_runs(folder, [window_run])
    path = project(tmp_path, classifier(training={"epochs": 2, "batch_size": 16}))
    log = tmp_path / "events.jsonl"
    assert main(["run", path, "--data", "synthetic:64", "--log", str(log), "--no-progress",
                 "--threads", "1", "--seed", "3"]) == 0
    err = capsys.readouterr().err
    events = [ev.from_wire(json.loads(line)) for line in log.read_text().splitlines()]
    result, steps = events[-1], events[0].steps
    saved = folder / "trained_1.keras"
    assert f"listed as Run 2 in {folder / 'runs.json'}" in err
    assert f"Saved the model to {saved}; continue with: kerascanvas run {path} " \
           f"--resume {saved}" in err

    runs, problem = load_runs(folder)
    assert problem is None and [(r.number, r.status) for r in runs] == [
        (1, "finished"), (2, ev.FINISHED)]
    assert runs[0].uid == window_run.uid
    listed = runs[1]
    assert listed.saved_path == str(saved) and listed.result.saved == str(saved)
    assert listed.epochs_done == result.epochs_run == 2 and listed.settings["epochs"] == 2
    assert listed.result.metrics == result.metrics and result.metrics  # the final scores
    assert listed.final_metrics == {k: v[-1] for k, v in result.history.items()}
    assert list(listed.curves.epochs["loss"].y) == result.history["loss"]
    model = keras.saving.load_model(saved, safe_mode=True)
    assert int(model.optimizer.iterations) == 2 * steps  # trained to its end
    assert list(listed.curves.lr.y) == [float(model.optimizer.learning_rate)] * 2
    assert len(listed.curves.batch_loss.x) >= 2 and max(listed.curves.batch_loss.x) == 2.0
    record = json.loads(Path(f"{saved}.run.json").read_text())  # --resume reads it
    assert record["epochs"] == 2 and record["data"] == "synthetic:64"

    # Continued from its kept model, the run is listed as continuing it, with its curves.
    assert main(["run", path, "--resume", str(saved), "--epochs", "3", "--log", str(log),
                 "--no-progress", "--threads", "1"]) == 0
    more = ev.from_wire(json.loads(log.read_text().splitlines()[-1]))
    runs, _ = load_runs(folder)
    continued = runs[2]
    assert continued.number == 3 and continued.resumed_from == 2
    assert continued.initial_epoch == 2 and continued.saved_path == str(
        folder / "trained_2.keras")
    loss = continued.curves.epochs["loss"]
    assert list(loss.x) == [1.0, 2.0, 3.0]
    assert list(loss.y) == [*result.history["loss"], *more.history["loss"]]
    assert list(continued.curves.batch_loss.x)[:len(listed.curves.batch_loss.x)] == \
        list(listed.curves.batch_loss.x) and max(continued.curves.batch_loss.x) == 3.0
    model = keras.saving.load_model(folder / "trained_2.keras", safe_mode=True)
    assert int(model.optimizer.iterations) == 3 * steps


def test_with_save_the_entry_names_that_file_and_no_keep_lists_no_model(tmp_path, capsys):
    path = project(tmp_path, classifier(training={"epochs": 1, "batch_size": 16}))
    saved, folder = tmp_path / "mine.keras", tmp_path / "model.runs"
    common = ["run", path, "--data", "synthetic:32", "--no-progress", "--threads", "1"]
    assert main([*common, "--save", str(saved)]) == 0
    assert main([*common, "--no-keep"]) == 0
    assert "listed as Run 2" in capsys.readouterr().err
    (with_save, without), problem = load_runs(folder)
    assert problem is None and with_save.status == without.status == ev.FINISHED
    assert Path(with_save.saved_path).resolve() == saved.resolve()
    assert json.loads((folder / "runs.json").read_text())["runs"][0]["saved"] == \
        "../mine.keras"  # named from the runs folder, as the window names its models
    assert without.saved_path is None and without.result.saved is None
    assert sorted(p.name for p in folder.iterdir()) == ["runs.json", "runs.json.lock",
                                                          "runs.next"]  # no model


def test_a_runs_folder_that_cannot_be_written_is_said_and_the_run_still_succeeds(
        tmp_path, capsys):
    path = project(tmp_path, classifier(training={"epochs": 1, "batch_size": 16}))
    (tmp_path / "model.runs").write_text("a file where the runs folder would be")
    assert main(["run", path, "--data", "synthetic:32", "--no-progress",
                 "--threads", "1"]) == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"kerascanvas run: could not keep the model in {tmp_path / 'model.runs'} (" in err
    assert "the run is listed without one" in err
    assert "kerascanvas run: could not list the run in the project's runs index " \
           f"{tmp_path / 'model.runs' / 'runs.json'}: " in err


def test_keras_learning_rate_log_is_listed_as_the_lr_curve_not_as_a_metric(tmp_path):
    """ReduceLROnPlateau writes `learning_rate` into Keras' epoch logs: the window's runs
    show it on the learning-rate plot, so a listed run drew it again as a metric plot of
    its own and among its final metrics."""
    path = project(tmp_path, classifier(training={"epochs": 2, "batch_size": 16}))
    log = tmp_path / "events.jsonl"
    assert main(["run", path, "--data", "synthetic:32", "--log", str(log), "--no-progress",
                 "--threads", "1", "--callback", "reduce_lr_on_plateau:patience=1"]) == 0
    result = ev.from_wire(json.loads(log.read_text().splitlines()[-1]))
    assert "learning_rate" in result.history  # Keras logged it
    (listed,), _ = load_runs(tmp_path / "model.runs")
    assert "learning_rate" not in listed.curves.epochs
    assert "learning_rate" not in listed.final_metrics
    assert listed.curves.metric_names() == ["loss", "accuracy"]
    assert list(listed.curves.lr.x) == [1.0, 2.0]
