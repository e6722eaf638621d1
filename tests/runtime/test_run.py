"""`kerascanvas run` and `train`: every exit code, the event log, saving, the examples."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import keras
import numpy as np
import pytest
import torch

from kerascanvas.app.cli import main
from kerascanvas.graph.project import Project
from kerascanvas.graph.projectfile import save
from kerascanvas.runtime import events as ev
from kerascanvas.runtime import train as train_module
from kerascanvas.runtime import train_fit, train_model
from kerascanvas.runtime.bridge import FastBridge
from kerascanvas.runtime.data import load_data
from kerascanvas.runtime.keras_env import choose_device
from kerascanvas.runtime.train import NAN, OOM, STOPPED, train
from tests.runtime.test_bridge import one_thread  # noqa: F401  (autouse fixture)
from tests.runtime.test_build import graph

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def classifier(units=3, activation="softmax", training=None):
    doc = graph([("features", "Input", {"shape": [4]}), ("hidden", "Dense", {"units": 8}),
                 ("out", "Dense", {"units": units, "activation": activation})],
                [("features", "hidden"), ("hidden", "out")], ["out"])
    doc.training = {"metrics": ["accuracy"], "epochs": 2, "batch_size": 16, **(training or {})}
    return doc


def project(tmp_path, doc, name="model.json") -> str:
    path = tmp_path / name
    save(doc, path)
    return str(path)


def run(*args) -> int:
    return main(["run", *map(str, args), "--no-progress", "--threads", "1"])


def read_log(path) -> list[ev.TrainingEvent]:
    return [ev.from_wire(json.loads(line)) for line in Path(path).read_text().splitlines()]


def test_run_trains_logs_and_saves(tmp_path, capsys):
    path = project(tmp_path, classifier())
    log, saved = tmp_path / "events.jsonl", tmp_path / "trained.keras"
    assert run(path, "--data", "synthetic:64", "--epochs", "3", "--log", log,
               "--save", saved, "--seed", "1") == 0
    events = read_log(log)
    assert [e.kind for e in events] == ["train_begin", "executor", *["epoch_end"] * 3,
                                            "train_end", "result"]
    assert events[1].path == "lean" and events[1].message.startswith("Executor: ")
    assert events[0].settings["epochs"] == 3 and events[0].settings["seed"] == 1
    ends = [e for e in events if e.kind == "epoch_end"]
    assert [e.epoch for e in ends] == [0, 1, 2]
    assert set(ends[0].logs) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    result = events[-1]
    assert result.status == "finished" and result.evaluated_on == "validation"
    # The evaluation after training scores the same held-out data as the last epoch.
    assert result.metrics["accuracy"] == pytest.approx(ends[-1].logs["val_accuracy"])
    printed = capsys.readouterr()
    assert "accuracy" in printed.out and "loss" in printed.out
    assert events[1].message in printed.err  # the run says which step trains
    model = keras.saving.load_model(saved, safe_mode=True)
    assert [layer.name for layer in model.layers] == ["features", "hidden", "out"]


def test_invalid_graph_exits_1_naming_the_node(tmp_path, capsys):
    doc = classifier()
    stray = doc.add_node("Conv2D", name="stray", params={"filters": 2, "kernel_size": 3})
    doc.set_outputs([*doc.outputs, stray.id])  # an output: part of the model, so it blocks
    assert run(project(tmp_path, doc)) == 1
    assert "stray (Conv2D)" in capsys.readouterr().err


def test_data_that_does_not_fit_exits_1_naming_the_output(tmp_path, capsys):
    doc = classifier(units=1, activation="sigmoid",
                     training={"loss": "sparse_categorical_crossentropy"})
    doc.node(doc.find("features").id).params["shape"] = [64]
    assert run(project(tmp_path, doc), "--data", "sklearn:digits") == 1
    err = capsys.readouterr().err
    assert "'out'" in err and "10 classes" in err


def test_a_refusal_is_the_logs_result_with_its_issues_and_their_fixes(tmp_path):
    doc = classifier(units=1, activation="sigmoid",
                     training={"loss": "sparse_categorical_crossentropy"})
    doc.node(doc.find("features").id).params["shape"] = [64]
    log = tmp_path / "events.jsonl"
    assert run(project(tmp_path, doc), "--data", "sklearn:digits", "--log", log) == 1
    (result,) = read_log(log)
    assert result.status == "failed" and "'out'" in result.message
    (issue,) = result.issues
    assert issue.node == doc.find("out").id and issue.code == "label_range"
    assert issue.fixes == ("set_units_to_labels",) and issue.data == {"units": 10}


def test_missing_data_array_exits_1(tmp_path, capsys):
    np.savez(tmp_path / "d.npz", x=np.zeros((4, 4), "float32"))
    assert run(project(tmp_path, classifier()), "--data", tmp_path / "d.npz") == 1
    assert "no array for output 'out'" in capsys.readouterr().err


@pytest.mark.parametrize("content", [None, "{not json", '{"format": "kerascanvas", '
                                     '"version": 99, "nodes": [], "edges": [], "outputs": []}'])
def test_unreadable_project_exits_2_with_the_loader_message(tmp_path, capsys, content):
    path = tmp_path / "broken.json"
    if content is not None:
        path.write_text(content)
    assert run(path) == 2
    err = capsys.readouterr().err
    assert "broken.json" in err
    assert {None: "cannot read", "{not json": "not valid JSON"}.get(content, "version") in err


def test_nan_loss_exits_3_and_keeps_finite_weights(tmp_path, capsys):
    doc = classifier(units=1, activation=None, training={"loss": "mse", "metrics": []})
    x = np.random.default_rng(0).random((32, 4), dtype="float32")
    np.savez(tmp_path / "huge.npz", x=x, y=np.full((32, 1), 1e30, "float32"))
    saved = tmp_path / "after_nan.keras"
    assert run(project(tmp_path, doc), "--data", tmp_path / "huge.npz", "--save", saved) == 3
    assert "NaN" in capsys.readouterr().err
    model = keras.saving.load_model(saved, safe_mode=True)
    assert all(np.all(np.isfinite(w)) for w in model.get_weights())


def test_huge_learning_rate_gives_a_nan_result():
    doc = classifier(units=1, activation=None,
                     training={"loss": "mse", "optimizer": {"name": "sgd", "learning_rate": 1e12},
                               "epochs": 5, "seed": 0})
    result = train(doc, load_data("synthetic:64", doc, seed=0))
    assert result.status == NAN and not result.ok
    assert "learning rate 1e+12" in result.message
    assert all(np.all(np.isfinite(w)) for w in result.model.get_weights())


def test_out_of_memory_exits_3(tmp_path, capsys, monkeypatch):
    def no_memory(model, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    monkeypatch.setattr(train_fit, "run_fit", no_memory)
    assert run(project(tmp_path, classifier()), "--data", "synthetic:32") == 3
    err = capsys.readouterr().err
    assert "Out of memory" in err and "batch size 16" in err


def test_runtime_error_mentioning_memory_is_out_of_memory(monkeypatch):
    def no_memory(model, **kwargs):
        raise RuntimeError("DefaultCPUAllocator: not enough memory: you tried to allocate; "
                           "out of memory")

    monkeypatch.setattr(train_fit, "run_fit", no_memory)
    doc = classifier()
    assert train(doc, load_data("synthetic:32", doc)).status == OOM


def test_out_of_memory_while_building_is_a_result_too(monkeypatch):
    def no_memory(doc, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 9.00 GiB")

    monkeypatch.setattr(train_model, "build_model", no_memory)
    doc = classifier()
    result = train(doc, load_data("synthetic:32", doc))
    assert result.status == OOM and "building the model" in result.message
    assert "Tried to allocate 9.00 GiB" in result.message


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_a_gpu_exits_1(tmp_path, capsys):
    with pytest.raises(ValueError, match="no CUDA GPU"):
        choose_device("cuda")
    assert run(project(tmp_path, classifier()), "--device", "cuda") == 1
    assert "cuda" in capsys.readouterr().err


def test_other_errors_in_fit_end_the_run_with_their_text_and_keep_the_model(monkeypatch):
    def broken(model, **kwargs):
        raise RuntimeError("shape mismatch somewhere")

    monkeypatch.setattr(train_fit, "run_fit", broken)
    doc = classifier()
    result = train(doc, load_data("synthetic:32", doc))
    assert result.status == "error" and not result.ok and result.model is not None
    assert "RuntimeError: shape mismatch somewhere" in result.message
    assert "raise RuntimeError" in result.message  # where it came from


def test_other_errors_while_building_are_not_swallowed(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("builder bug")

    monkeypatch.setattr(train_module, "make_model", broken)
    doc = classifier()
    with pytest.raises(RuntimeError, match="builder bug"):
        train(doc, load_data("synthetic:32", doc))


def test_stop_request_gives_a_stopped_result():
    doc = classifier(training={"epochs": 50})
    bridge = FastBridge(lambda event: None)
    stopper = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: bridge.request_stop() if epoch == 1 else None)
    result = train(doc, load_data("synthetic:64", doc), bridge=bridge, callbacks=[stopper])
    assert result.status == STOPPED and result.ok and result.epochs_run == 2
    assert result.metrics  # still evaluated


def test_a_stop_within_an_epoch_is_not_counted_as_one():
    """Keras ends the epoch it stops in as if it were complete; the result says what ran."""
    doc = classifier(training={"epochs": 50, "batch_size": 4})
    events = []
    bridge = FastBridge(events.append)
    stopper = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: bridge.request_stop() if batch == 1 else None)
    result = train(doc, load_data("synthetic:64", doc), bridge=bridge, callbacks=[stopper])
    steps = next(e.steps for e in events if e.kind == "train_begin")
    ran = int(result.model.optimizer.iterations)
    assert result.status == STOPPED and result.epochs_run == 0 and 1 < ran < steps
    assert result.message.startswith(f"Stopped on request during epoch 1, after {ran} of "
                                     f"{steps} batches (no epoch completed).")
    assert not [e for e in events if e.kind == "epoch_end"]
    assert all(not values for values in result.history.values())
    from kerascanvas.runtime.cli.progress import metrics_table

    assert "no complete epoch" in metrics_table(result).splitlines()[0]


def test_per_output_losses_weights_and_metrics_compile():
    doc = graph([("x", "Input", {"shape": [5]}),
                 ("kind", "Dense", {"units": 3, "activation": "softmax"}),
                 ("score", "Dense", {"units": 1})],
                [("x", "kind"), ("x", "score")], ["kind", "score"])
    doc.training = {"loss": {"kind": "sparse_categorical_crossentropy", "score": "mse"},
                    "metrics": {"kind": ["accuracy"]}, "loss_weights": {"score": 0.5},
                    "epochs": 1, "validation_split": 0.25}
    result = train(doc, load_data("synthetic:40", doc, seed=0))
    assert result.ok
    assert {"loss", "kind_loss", "score_loss", "kind_accuracy"} <= set(result.metrics)
    assert result.model.loss == ["sparse_categorical_crossentropy", "mse"]


def copied(example: Path, folder: Path) -> Path:
    """A copy of an example (its data specs are not paths): a run lists itself beside its
    project, and the examples' folder is the project's source."""
    shutil.copy(example, folder / example.name)
    return folder / example.name


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_every_example_runs_one_epoch_on_synthetic_data(example, tmp_path, capsys):
    assert run(copied(example, tmp_path), "--epochs", "1", "--data", "synthetic:64",
               "--no-keep") == 0, capsys.readouterr().err


def test_digits_example_reaches_90_percent_validation_accuracy(tmp_path):
    # 3 of its 15 epochs: with seed 0 it passes 0.95 from the second epoch on (0.99 at 15).
    log = tmp_path / "digits.jsonl"
    assert run(copied(EXAMPLES / "digits_cnn.json", tmp_path), "--epochs", "3",
               "--log", log) == 0
    ends = [e for e in read_log(log) if e.kind == "epoch_end"]
    assert len(ends) == 3
    assert ends[-1].logs["val_accuracy"] >= 0.90
    assert Project.open(EXAMPLES / "digits_cnn.json").doc.training["seed"] == 0


# ---- flags, data sources, resume ------------------------------------------------------
def parsed(*flags):
    import argparse

    from kerascanvas.runtime.cli import run as cli_run

    parser = argparse.ArgumentParser()
    cli_run.add_arguments(parser)
    return parser.parse_args(["model.json", *flags])


def test_flags_become_training_settings():
    from kerascanvas.runtime.cli.run_options import overrides

    args = parsed("--optimizer", "sgd:momentum=0.9,nesterov=true", "--lr", "0.05",
                  "--schedule", "step:boundaries=[2,4],factor=0.5", "--mixed-precision",
                  "mixed_bfloat16", "--callback", "early_stopping:patience=3",
                  "--callback", "csv_logger:filename=log.csv", "--class-weight", "0=1,1=5",
                  "--seed", "3", "--no-shuffle", "--validation-split", "0.1")
    training = {"callbacks": [{"name": "terminate_on_nan"}]}
    assert overrides(args, training) == {
        "optimizer": {"name": "sgd", "momentum": 0.9, "nesterov": True, "learning_rate": 0.05},
        "schedule": {"name": "step", "boundaries": [2, 4], "factor": 0.5},
        "mixed_precision": "mixed_bfloat16", "seed": 3, "shuffle": False,
        "validation_split": 0.1, "class_weight": {"0": 1.0, "1": 5.0},
        "callbacks": [{"name": "terminate_on_nan"}, {"name": "early_stopping", "patience": 3},
                      {"name": "csv_logger", "filename": "log.csv"}]}
    # --lr alone keeps the project's optimizer and its options.
    assert overrides(parsed("--lr", "0.2"), {"optimizer": {"name": "rmsprop", "rho": 0.8}}) == {
        "optimizer": {"name": "rmsprop", "rho": 0.8, "learning_rate": 0.2}}
    assert overrides(parsed("--class-weight", "none"), {}) == {"class_weight": None}
    assert overrides(parsed("--resume", "m.keras", "--initial-epoch", "4"),
                     {"epochs": 3}) == {"epochs": 7}


def test_flags_reach_keras_and_callbacks_run(tmp_path):
    log, table = tmp_path / "events.jsonl", tmp_path / "rows.csv"
    assert run(project(tmp_path, classifier()), "--data", "synthetic:64", "--log", log,
               "--optimizer", "sgd:momentum=0.5", "--lr", "0.05", "--class-weight",
               "balanced", "--callback", f"csv_logger:filename={table}", "--schedule",
               "exponential_decay:decay_epochs=1,decay_rate=0.5", "--save",
               tmp_path / "m.keras") == 0
    settings = read_log(log)[0].settings
    assert settings["optimizer"]["momentum"] == 0.5 and settings["class_weight"] == "balanced"
    lrs = [e.lr for e in read_log(log) if e.kind == "epoch_end"]
    assert lrs[1] == pytest.approx(lrs[0] * 0.5)  # one decay per epoch
    assert len(table.read_text().splitlines()) == 3  # header and two epochs
    model = keras.saving.load_model(tmp_path / "m.keras")
    assert isinstance(model.optimizer, keras.optimizers.SGD)


def test_refused_flags_exit_1_naming_the_field(tmp_path, capsys):
    path = project(tmp_path, classifier())
    assert run(path, "--optimizer", "adam:nesterov=true") == 1
    assert "training.optimizer.nesterov" in capsys.readouterr().err
    assert run(path, "--callback", "early_stop") == 1
    assert "training.callbacks[0].name" in capsys.readouterr().err


def test_resume_continues_epoch_numbers_with_a_new_learning_rate(tmp_path, capsys):
    path = project(tmp_path, classifier())
    first, log = tmp_path / "first.keras", tmp_path / "more.jsonl"
    assert run(path, "--data", "synthetic:64", "--epochs", "2", "--save", first) == 0
    assert run(path, "--data", "synthetic:64", "--resume", first, "--initial-epoch", "2",
               "--epochs", "3", "--lr", "0.0005", "--log", log) == 0
    events = read_log(log)
    ends = [e for e in events if e.kind == "epoch_end"]
    assert [e.epoch for e in ends] == [2] and ends[0].lr == pytest.approx(0.0005)
    assert events[-1].epochs_run == 3 and events[-1].initial_epoch == 2
    assert run(path, "--resume", first, "--initial-epoch", "2", "--epochs", "2") == 1
    assert "--initial-epoch 2 is not before --epochs 2: the run would train no epoch" in \
        capsys.readouterr().err
    assert run(path, "--resume", tmp_path / "none.keras", "--initial-epoch", "2") == 1
    assert "none.keras: the file does not exist; expected the .keras model" in \
        capsys.readouterr().err


def test_resume_without_initial_epoch_numbers_on_from_the_run_record(tmp_path, capsys):
    path = project(tmp_path, classifier())
    first, log = tmp_path / "first.keras", tmp_path / "more.jsonl"
    assert run(path, "--data", "synthetic:64", "--epochs", "2", "--save", first) == 0
    assert run(path, "--resume", first, "--epochs", "3", "--log", log) == 0
    assert "after epoch 2 (its run record)" in capsys.readouterr().err
    events = read_log(log)
    assert [e.epoch for e in events if e.kind == "epoch_end"] == [2]
    assert events[-1].initial_epoch == 2


def test_csv_and_image_folder_data(tmp_path, capsys):
    from PIL import Image

    rng = np.random.default_rng(0)
    rows = "\n".join(f"{a:.3f},{b:.3f},{c:.3f},{d:.3f},{k}" for (a, b, c, d), k in
                     zip(rng.random((40, 4)), rng.choice(["x", "y", "z"], 40), strict=True))
    (tmp_path / "t.csv").write_text("a,b,c,d,kind\n" + rows + "\n")
    path = project(tmp_path, classifier(training={"epochs": 1}))
    assert run(path, "--data", f"csv:{tmp_path / 't.csv'}") == 0
    for name in ["ant", "bee", "cow"]:
        (tmp_path / "img" / name).mkdir(parents=True)
        for i in range(4):
            Image.fromarray(rng.integers(0, 255, (6, 6, 3), dtype="uint8")).save(
                tmp_path / "img" / name / f"{i}.png")
    images = graph([("picture", "Input", {"shape": [6, 6, 3]}), ("flat", "Flatten", {}),
                    ("out", "Dense", {"units": 3, "activation": "softmax"})],
                   [("picture", "flat"), ("flat", "out")], ["out"])
    images.training = {"epochs": 1, "batch_size": 4, "metrics": ["accuracy"]}
    assert run(project(tmp_path, images, "img.json"), "--data", f"images:{tmp_path / 'img'}",
               "--class-weight", "balanced") == 0
    images.node(images.find("out").id).params["units"] = 2
    assert run(project(tmp_path, images, "two.json"), "--data",
               f"images:{tmp_path / 'img'}") == 1
    err = capsys.readouterr().err
    assert "out (Dense)" in err and "3 classes (ant, bee, cow)" in err


def test_progress_shows_an_epoch_line_with_validation_metrics():
    from kerascanvas.runtime.cli.progress import epoch_line

    line = epoch_line(ev.EpochEnd(2, {"loss": 0.5, "val_loss": 0.25}, 0.001, 1234.0), 10, 1.5)
    assert line == ("Epoch 3/10 - 1.5s - 1,234 samples/s - loss: 0.5000 - val_loss: 0.2500 - "
                    "lr: 0.001")


def test_the_projects_relative_paths_are_read_next_to_it_and_flags_in_the_cwd(
        tmp_path, monkeypatch, capsys):
    """As in the window: a data file and a CSV log named relatively in the project are
    under the project's folder, whatever folder the command runs in."""
    folder = tmp_path / "project"
    folder.mkdir()
    rng = np.random.default_rng(0)
    np.savez(folder / "d.npz", features=rng.normal(size=(32, 4)).astype("float32"),
             out=rng.integers(0, 3, 32))
    doc = classifier(training={"data": "d.npz", "epochs": 1, "loss": "sparse_categorical_"
                               "crossentropy", "callbacks": [{"name": "csv_logger",
                                                              "filename": "logs/run.csv"}]})
    path = project(folder, doc)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert run(path) == 0, capsys.readouterr().err
    assert (folder / "logs" / "run.csv").exists() and not (elsewhere / "logs").exists()
    np.savez(elsewhere / "d.npz", features=np.zeros((8, 4), "float32"), out=np.zeros(8))
    assert run(path, "--data", "d.npz", "--epochs", "1") == 0  # a flag: the current folder
