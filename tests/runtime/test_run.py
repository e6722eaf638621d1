"""`kerascanvas run` and `train`: every exit code, the event log, saving, the examples."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import torch

from kerascanvas.app.cli import main
from kerascanvas.graph.projectfile import load, save
from kerascanvas.runtime import train as train_module
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


def read_log(path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text().splitlines()]


def test_run_trains_logs_and_saves(tmp_path, capsys):
    path = project(tmp_path, classifier())
    log, saved = tmp_path / "events.jsonl", tmp_path / "trained.keras"
    assert run(path, "--data", "synthetic:64", "--epochs", "3", "--log", log,
               "--save", saved, "--seed", "1") == 0
    events = read_log(log)
    assert [e["event"] for e in events] == ["train_begin", *["epoch_end"] * 3, "train_end",
                                            "result"]
    assert events[0]["settings"]["epochs"] == 3 and events[0]["settings"]["seed"] == 1
    ends = [e for e in events if e["event"] == "epoch_end"]
    assert [e["epoch"] for e in ends] == [0, 1, 2]
    assert set(ends[0]["logs"]) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    result = events[-1]
    assert result["status"] == "ok" and result["evaluated_on"] == "validation"
    # The evaluation after training scores the same held-out data as the last epoch.
    assert result["metrics"]["accuracy"] == pytest.approx(ends[-1]["logs"]["val_accuracy"])
    table = capsys.readouterr().out
    assert "accuracy" in table and "loss" in table
    model = keras.saving.load_model(saved, safe_mode=True)
    assert [layer.name for layer in model.layers] == ["features", "hidden", "out"]


def test_invalid_graph_exits_1_naming_the_node(tmp_path, capsys):
    doc = classifier()
    doc.add_node("Conv2D", name="stray", params={"filters": 2, "kernel_size": 3})
    assert run(project(tmp_path, doc)) == 1
    assert "stray (Conv2D)" in capsys.readouterr().err


def test_data_that_does_not_fit_exits_1_naming_the_output(tmp_path, capsys):
    doc = classifier(units=1, activation="sigmoid",
                     training={"loss": "sparse_categorical_crossentropy"})
    doc.node(doc.find("features").id).params["shape"] = [64]
    assert run(project(tmp_path, doc), "--data", "sklearn:digits") == 1
    err = capsys.readouterr().err
    assert "'out'" in err and "10 classes" in err


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

    monkeypatch.setattr(train_module, "run_fit", no_memory)
    assert run(project(tmp_path, classifier()), "--data", "synthetic:32") == 3
    err = capsys.readouterr().err
    assert "Out of memory" in err and "batch size 16" in err


def test_runtime_error_mentioning_memory_is_out_of_memory(monkeypatch):
    def no_memory(model, **kwargs):
        raise RuntimeError("DefaultCPUAllocator: not enough memory: you tried to allocate; "
                           "out of memory")

    monkeypatch.setattr(train_module, "run_fit", no_memory)
    doc = classifier()
    assert train(doc, load_data("synthetic:32", doc)).status == OOM


def test_out_of_memory_while_building_is_a_result_too(monkeypatch):
    def no_memory(doc, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 9.00 GiB")

    monkeypatch.setattr(train_module, "build_model", no_memory)
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


def test_other_errors_are_not_swallowed(monkeypatch):
    def broken(model, **kwargs):
        raise RuntimeError("shape mismatch somewhere")

    monkeypatch.setattr(train_module, "run_fit", broken)
    doc = classifier()
    with pytest.raises(RuntimeError, match="shape mismatch"):
        train(doc, load_data("synthetic:32", doc))


def test_stop_request_gives_a_stopped_result():
    doc = classifier(training={"epochs": 50})
    bridge = FastBridge(lambda event: None)
    stopper = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: bridge.request_stop() if epoch == 1 else None)
    result = train(doc, load_data("synthetic:64", doc), bridge=bridge, callbacks=[stopper])
    assert result.status == STOPPED and result.ok and result.epochs_run == 2
    assert result.metrics  # still evaluated


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


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_every_example_runs_one_epoch_on_synthetic_data(example, capsys):
    assert run(example, "--epochs", "1", "--data", "synthetic:64") == 0, capsys.readouterr().err


def test_digits_example_reaches_90_percent_validation_accuracy(tmp_path):
    log = tmp_path / "digits.jsonl"
    assert run(EXAMPLES / "digits_cnn.json", "--log", log) == 0
    ends = [e for e in read_log(log) if e["event"] == "epoch_end"]
    assert len(ends) <= 15
    assert ends[-1]["logs"]["val_accuracy"] >= 0.90
    assert load(EXAMPLES / "digits_cnn.json").training["seed"] == 0


def test_command_line_entry_point_in_a_subprocess(tmp_path):
    path = project(tmp_path, classifier())
    log = tmp_path / "events.jsonl"
    env = {**os.environ, "KERAS_BACKEND": "torch", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-m", "kerascanvas.app", "run", path, "--data",
                           "synthetic:32", "--epochs", "1", "--log", str(log)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "Final metrics" in proc.stdout
    assert "Epoch 1/1" in proc.stderr  # the progress bar and the epoch line
    assert [e["event"] for e in read_log(log)][-1] == "result"
