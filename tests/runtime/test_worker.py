"""The training worker: a child process driven by TrainingRun, and its engine in-process."""

import math
import threading
import time

import numpy as np
import pytest
from sklearn.utils.class_weight import compute_class_weight

from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.projectfile import to_dict
from kerascanvas.runtime.events import FAILED, FINISHED, KILLED, STOPPED
from kerascanvas.runtime.fitplan import class_weights
from kerascanvas.runtime.keras_env import import_keras
from kerascanvas.runtime.precision import output_dtype_overrides, output_layer_names
from kerascanvas.runtime.worker import Control, TrainingRun, train_document

keras = import_keras()


def mlp(units=3, activation="softmax", **training):
    doc = Document()
    x = doc.add_node("Input", name="x", params={"shape": [6]})
    h = doc.add_node("Dense", name="hidden", params={"units": 8, "activation": "relu"})
    out = doc.add_node("Dense", name="out", params={"units": units, "activation": activation})
    doc.connect(Edge(x.id, 0, h.id, 0))
    doc.connect(Edge(h.id, 0, out.id, 0))
    doc.outputs = [out.id]
    doc.training = {"data": "synthetic:96", "epochs": 2, "batch_size": 16, "seed": 0,
                    **training}
    return doc


def run_inline(doc, **payload):
    events = []
    result = train_document({"document": to_dict(doc), **payload}, events.append)
    return result, events


def wait_for(run, predicate, seen, timeout=240.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        received = run.poll_events()
        seen.extend(received)  # all of them: a stop may come after the matching event
        matched = next((event for event in received if predicate(event)), None)
        if matched is not None:
            return matched
        assert run.status == "running", run.result
        time.sleep(0.02)
    raise AssertionError(f"no such event within {timeout}s; last: {seen[-3:]}")


def wait_in_process(seen, kind, thread, timeout=120.0):
    """The first event of `kind` an in-process run has sent to `seen`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        matched = next((event for event in list(seen) if event.kind == kind), None)
        if matched is not None:
            return matched
        assert thread.is_alive(), f"the run ended before a {kind} event; last: {seen[-3:]}"
        time.sleep(0.01)
    raise AssertionError(f"no {kind} event within {timeout}s; last: {seen[-3:]}")


def test_pause_resume_and_stop_keep_the_history_and_save_the_model(tmp_path):
    """The engine's side of the window's commands, in this process: the same Control the
    worker's child hands them to (through a real child: the slow test below)."""
    path, control, seen, box = tmp_path / "stopped.keras", Control(), [], {}
    payload = {"document": to_dict(mlp()), "save": str(path),
               "overrides": {"epochs": 10000, "data": "synthetic:64"}}
    thread = threading.Thread(target=lambda: box.update(
        result=train_document(payload, seen.append, control)), daemon=True)
    thread.start()
    for command, answer in (("pause", "epoch_end"), ("resume", "paused"), ("stop", "resumed")):
        wait_in_process(seen, answer, thread)
        control.command(command)
    thread.join(120)
    result = box["result"]
    assert result.status == STOPPED and result.message.startswith("Stopped on request")
    assert seen[0].kind == "train_begin" and seen[0].steps == 4
    ends = [e for e in seen if e.kind == "epoch_end"]
    assert result.epochs_run == len(ends) >= 1
    assert result.history["loss"] == pytest.approx([e.logs["loss"] for e in ends])
    model = keras.saving.load_model(path)
    assert [layer.name for layer in model.layers] == ["x", "hidden", "out"]


@pytest.mark.slow  # 6-8 s of the default run (13.6 min of 15): run with -m slow
def test_a_child_pauses_resumes_and_is_killed_mid_epoch(tmp_path):
    """One worker child (its start, importing keras, is most of the time): the commands
    reach it, and a kill mid-epoch leaves the parent fine."""
    run = TrainingRun(mlp(), {"epochs": 5, "data": "synthetic:50000", "batch_size": 4},
                      save_path=tmp_path / "never.keras")
    run.start()
    seen = []
    wait_for(run, lambda e: e.kind == "batch_end", seen)
    run.pause()
    wait_for(run, lambda e: e.kind == "paused", seen)
    run.resume()
    wait_for(run, lambda e: e.kind == "resumed", seen)
    assert_killed_without_a_crash(run)
    assert not (tmp_path / "never.keras").exists()


@pytest.mark.slow  # a worker child importing keras: 14-21 s on a loaded machine
def test_run_pauses_resumes_stops_and_saves_the_model(tmp_path):
    path = tmp_path / "stopped.keras"
    run = TrainingRun(mlp(), {"epochs": 10000, "data": "synthetic:64"}, save_path=path)
    run.start()
    seen = []
    wait_for(run, lambda e: e.kind == "epoch_end", seen)
    run.pause()
    wait_for(run, lambda e: e.kind == "paused", seen)
    run.resume()
    wait_for(run, lambda e: e.kind == "resumed", seen)
    run.stop()
    assert run.wait(120, on_event=seen.append) == STOPPED
    assert run.result.message.startswith("Stopped on request")
    assert seen[0].kind == "train_begin" and seen[0].steps == 4
    ends = [e for e in seen if e.kind == "epoch_end"]
    assert run.result.epochs_run == len(ends) >= 1
    assert run.result.history["loss"] == pytest.approx([e.logs["loss"] for e in ends])
    model = keras.saving.load_model(path)
    assert [layer.name for layer in model.layers] == ["x", "hidden", "out"]
    run.process.join(60)  # the worker exits on its own (slowly on a loaded machine)
    assert not run.process.is_alive()


def assert_killed_without_a_crash(run) -> None:
    """Kill a running child; it ends as killed, not failed, and later commands are ignored."""
    # The window's reader polls on its own thread: a poll that lands while kill() waits
    # for the terminated child must not report the kill as a crash ("failed").
    join, polled = run.process.join, []

    def join_then_poll(timeout=None):
        join(timeout)
        polled.extend(run.poll_events())

    run.process.join = join_then_poll
    run.kill()
    assert [e for e in polled if getattr(e, "status", None) == FAILED] == []
    assert run.status == KILLED and run.result.status == KILLED
    assert not run.process.is_alive()
    assert run.poll_events() == []
    run.stop()  # commands after the end are ignored, not errors


@pytest.mark.slow  # a worker child importing keras: 14-21 s on a loaded machine
def test_kill_mid_epoch_leaves_the_parent_fine(tmp_path):
    run = TrainingRun(mlp(), {"epochs": 5, "data": "synthetic:50000", "batch_size": 4},
                      save_path=tmp_path / "never.keras")
    run.start()
    wait_for(run, lambda e: e.kind == "batch_end", [])
    assert_killed_without_a_crash(run)
    assert not (tmp_path / "never.keras").exists()


def test_diverging_loss_fails_with_a_message_and_keeps_finite_weights(tmp_path):
    doc = mlp(units=1, activation=None, optimizer={"name": "sgd", "learning_rate": 1e4},
              epochs=4)
    result, events = run_inline(doc, save=str(tmp_path / "nan.keras"))
    assert result.status == FAILED and result.nan and not result.oom
    assert "NaN or infinite" in result.message and "learning rate 10000" in result.message
    model = keras.saving.load_model(tmp_path / "nan.keras")
    assert all(np.isfinite(w).all() for w in model.get_weights())
    assert events[-1].kind == "train_end"


def test_a_nan_stop_keeps_the_optimizer_state_with_the_weights(tmp_path):
    """Adam's moments went NaN with the weights and were kept so: a continuation of the
    model diverged at once, whatever its learning rate."""
    result, _ = run_inline(mlp(), save=str(tmp_path / "nan.keras"),
                           fault={"at_batch": 1, "error": "nan"})
    assert result.status == FAILED and result.nan
    model = keras.saving.load_model(tmp_path / "nan.keras")
    names = [v.path.split("/")[-1] for v in model.optimizer.variables]  # adam_N/...
    assert "out_kernel_momentum" in names and "out_kernel_velocity" in names
    assert all(np.isfinite(keras.ops.convert_to_numpy(v)).all()
               for v in model.optimizer.variables)


def test_out_of_memory_is_reported_clearly():
    result, _ = run_inline(mlp(), fault={"at_batch": 2, "error": "oom"})
    assert result.status == FAILED and result.oom
    assert result.message.startswith("Out of memory on cpu while training, in epoch 1, batch 3, "
                                     "with batch size 16")
    assert "smaller batch size" in result.message


def test_refused_settings_and_data_fail_before_training():
    result, events = run_inline(mlp(optimizer={"name": "adamx"}))
    assert result.status == FAILED and "training.optimizer.name" in result.message
    assert events == []
    result, _ = run_inline(mlp(data="sklearn:iris"))
    assert result.status == FAILED and "'x' expects samples of shape" in result.message


def _invalid_graphs():
    unconnected = Document()
    unconnected.add_node("Input", name="x", params={"shape": [4]})
    dense = unconnected.add_node("Dense", name="head", params={"units": 3})
    unconnected.outputs = [dense.id]
    no_outputs = Document()
    no_outputs.add_node("Input", name="x", params={"shape": [4]})
    wrong_rank = Document()
    x = wrong_rank.add_node("Input", name="x", params={"shape": [4]})
    conv = wrong_rank.add_node("Conv2D", name="conv", params={"filters": 3, "kernel_size": 3})
    wrong_rank.connect(Edge(x.id, 0, conv.id, 0))
    wrong_rank.outputs = [conv.id]
    return {"head": unconnected, "output": no_outputs, "conv": wrong_rank}


@pytest.mark.parametrize("case", ["head", "output", "conv"])
def test_an_invalid_graph_fails_with_its_issues_before_data_or_keras(case):
    doc = _invalid_graphs()[case]
    doc.training = {"data": "synthetic:64", "epochs": 1}
    events = []
    result = train_document({"document": to_dict(doc)}, events.append)
    assert result.status == FAILED and events == []
    assert result.message.startswith("The graph is invalid") and case in result.message
    assert result.issues


def test_settings_reach_keras_schedule_class_weight_and_metrics(tmp_path):
    doc = mlp(optimizer={"name": "sgd", "learning_rate": 0.1, "momentum": 0.9},
              schedule={"name": "step", "boundaries": [1], "factor": 0.5},
              metrics=["accuracy", "f1_macro"], class_weight="balanced", validation_split=0.25,
              callbacks=[{"name": "csv_logger", "filename": str(tmp_path / "log.csv")}])
    result, events = run_inline(doc, save=str(tmp_path / "m.keras"))
    assert result.status == FINISHED, result.message
    assert set(result.history) == {"loss", "accuracy", "f1_macro", "val_loss",
                                      "val_accuracy", "val_f1_macro"}
    lrs = [e.lr for e in events if e.kind == "epoch_end"]
    assert lrs == pytest.approx([0.1, 0.05])  # 72 training samples: 5 steps per epoch
    assert (tmp_path / "log.csv").read_text().count("\n") == 3
    model = keras.saving.load_model(tmp_path / "m.keras")
    assert model.optimizer.get_config()["momentum"] == pytest.approx(0.9)


def test_balanced_class_weights_match_scikit_learn():
    labels = np.array([0, 0, 0, 1, 2, 2, 0, 1])
    expected = compute_class_weight("balanced", classes=np.unique(labels), y=labels)
    assert class_weights("balanced", labels) == pytest.approx(dict(enumerate(expected)))
    assert class_weights("balanced", np.eye(3)[labels]) == pytest.approx(
        dict(enumerate(expected)))
    assert class_weights({"1": 2}, labels) == {1: 2.0}


def test_mixed_precision_keeps_the_output_layers_in_float32(tmp_path):
    doc = mlp(mixed_precision="mixed_bfloat16", epochs=1)
    assert output_dtype_overrides(doc) == {"out": "float32"}
    result, _ = run_inline(doc, save=str(tmp_path / "mp.keras"))
    assert result.status == FINISHED, result.message
    model = keras.saving.load_model(tmp_path / "mp.keras")
    assert model.get_layer("hidden").compute_dtype == "bfloat16"
    assert model.get_layer("out").compute_dtype == "float32"
    x = np.zeros((2, 6), "float32")
    assert keras.ops.convert_to_numpy(model(x)).dtype == np.float32
    assert keras.config.dtype_policy().name == "float32"  # the scope was restored
    assert not math.isnan(result.history["loss"][0])


def test_output_layer_names_match_the_built_model_for_blocks():
    from kerascanvas.runtime.build import build_model

    doc = Document()
    x = doc.add_node("Input", name="img", params={"shape": [8, 8, 4]})
    block = doc.add_node("ResidualBlock", name="res", params={"filters": 4})
    doc.connect(Edge(x.id, 0, block.id, 0))
    doc.outputs = [block.id]
    model = build_model(doc)
    assert output_layer_names(doc) == [t._keras_history.operation.name for t in model.outputs]


def test_continuing_a_stopped_run_numbers_epochs_on(tmp_path):
    first = tmp_path / "first.keras"
    result, _ = run_inline(mlp(), save=str(first))
    assert result.status == FINISHED and result.epochs_run == 2
    result, events = run_inline(
        mlp(), overrides={"epochs": 3, "optimizer": {"name": "adam", "learning_rate": 0.0001}},
        initial_model=str(first), initial_epoch=2, save=str(tmp_path / "second.keras"))
    assert result.status == FINISHED, result.message
    assert (result.initial_epoch, result.epochs_run) == (2, 3)
    ends = [e for e in events if e.kind == "epoch_end"]
    assert [e.epoch for e in ends] == [2] and ends[0].lr == pytest.approx(1e-4)
    assert result.history["loss"] == pytest.approx([ends[0].logs["loss"]])
    run = TrainingRun(mlp(), {"epochs": 3}, initial_model=first, initial_epoch=2)
    assert (run.payload["initial_model"], run.payload["initial_epoch"]) == (str(first), 2)


def test_a_model_that_does_not_fit_cannot_be_continued(tmp_path):
    path = tmp_path / "five.keras"
    run_inline(mlp(units=5, epochs=1), save=str(path))
    result, _ = run_inline(mlp(epochs=2), initial_model=str(path), initial_epoch=1)
    assert result.status == FAILED and "layer 'out'" in result.message


def test_result_carries_the_evaluation_and_failure_kind():
    result, events = run_inline(mlp(metrics=["accuracy"], validation_split=0.25))
    assert result.evaluated_on == "validation"
    assert result.metrics["accuracy"] == pytest.approx(
        [e for e in events if e.kind == "epoch_end"][-1].logs["val_accuracy"])
    assert result.nan is False and result.oom is False
    batches = [e for e in events if e.kind == "batch_end"]
    assert batches and all(math.isfinite(e.lr) and e.eta_s is not None for e in batches)
