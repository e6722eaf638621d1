"""Custom losses and metrics (the training settings' `custom_code`): parsed, never run
until trusted; trained with, they compute what Keras computes with the same function;
written into generated scripts, which compile and run."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import ops

from kerascanvas.app.cli import main
from kerascanvas.codegen import generate
from kerascanvas.graph import training_code
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.layers import custom
from kerascanvas.graph.projectfile import save
from kerascanvas.graph.training_schema import check_training
from kerascanvas.runtime import trust
from kerascanvas.runtime.data import Dataset
from kerascanvas.runtime.train import TrainingRefused, train
from kerascanvas.runtime.worker import train_document
from tests.codegen.test_script import run_script_here

CODE = '''import keras
from keras import ops

MARKER = {marker!r}
open(MARKER, "w").close()  # proves the code ran


def my_mse(y_true, y_pred):
    return ops.mean(ops.square(y_true - y_pred), axis=-1)


class ScaledMAE(keras.losses.Loss):
    def __init__(self, scale=1.0, name="scaled_mae", **kwargs):
        super().__init__(name=name, **kwargs)
        self.scale = scale

    def call(self, y_true, y_pred):
        return self.scale * ops.mean(ops.abs(y_true - y_pred), axis=-1)

    def get_config(self):
        return {{**super().get_config(), "scale": self.scale}}


def max_error(y_true, y_pred):
    return ops.max(ops.abs(y_true - y_pred), axis=-1)
'''


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("KERASCANVAS_DATA_DIR", str(tmp_path / "data"))


def make_doc(marker, loss="my_mse", metrics=("max_error",)) -> Document:
    doc = Document()
    x = doc.add_node("Input", name="x", params={"shape": [4]})
    y = doc.add_node("Dense", name="y", params={"units": 2})
    doc.connect(Edge(x.id, 0, y.id, 0))
    doc.outputs = [y.id]
    doc.training = {"custom_code": CODE.format(marker=str(marker)), "loss": loss,
                    "metrics": list(metrics), "optimizer": {"name": "sgd"},
                    "batch_size": 8, "epochs": 1, "validation_split": 0.0, "shuffle": False,
                    "seed": 0}
    return doc


def data(n=32):
    rng = np.random.default_rng(0)
    return (rng.standard_normal((n, 4)).astype("float32"),
            rng.standard_normal((n, 2)).astype("float32"))


def test_the_code_is_parsed_not_run(tmp_path):
    marker = tmp_path / "ran"
    doc = make_doc(marker)
    assert training_code.defined(training_code.source(doc.training)) == {
        "my_mse": "function", "ScaledMAE": "class", "max_error": "function"}
    issues = check_training(doc)
    untrusted = [i for i in issues if i.code == training_code.UNTRUSTED]
    assert untrusted and untrusted[0].field == "training.custom_code"
    assert "max_error" not in " ".join(i.message for i in issues if i.code != "custom_untrusted")
    with pytest.raises(TrainingRefused, match="custom code not trusted"):
        train(doc, Dataset({"x": data()[0]}, {"y": data()[1]}))
    assert not marker.exists()


def test_a_broken_code_and_options_on_a_function_are_named(tmp_path):
    doc = make_doc(tmp_path / "ran", loss={"y": {"name": "my_mse", "scale": 2}})
    doc.training["custom_code"] += "\ndef broken(:\n"
    messages = [i.message for i in check_training(doc)]
    assert any(m.startswith("training.custom_code: the code does not parse: line") for m in
               messages), messages
    doc.training["custom_code"] = CODE.format(marker="x")
    messages = [i.message for i in check_training(doc)]
    assert any("my_mse is a function of the custom code and takes no options" in m
               for m in messages), messages


def test_trusted_code_trains_and_matches_keras(tmp_path):
    marker = tmp_path / "ran"
    doc = make_doc(marker, loss={"y": {"name": "ScaledMAE", "scale": 2.0}})
    trust.apply(doc, True)
    assert not check_training(doc)
    x, y = data()
    result = train(doc, Dataset({"x": x}, {"y": y}))
    assert marker.exists()
    model = result.model
    assert type(model.loss).__name__ == "ScaledMAE" and model.loss.scale == 2.0
    # The same model compiled with Keras' own losses and metrics gives the same numbers.
    ours = model.evaluate(x, y, batch_size=32, verbose=0, return_dict=True)
    twin = keras.models.clone_model(model)
    twin.set_weights(model.get_weights())
    twin.compile(loss="mae", metrics=[keras.metrics.MeanMetricWrapper(
        lambda t, p: ops.max(ops.abs(t - p), axis=-1), name="max_error")])
    theirs = twin.evaluate(x, y, batch_size=32, verbose=0, return_dict=True)
    assert ours["loss"] == pytest.approx(2.0 * theirs["loss"], rel=1e-5)
    assert ours["max_error"] == pytest.approx(theirs["max_error"], rel=1e-5)
    mse = keras.losses.MeanSquaredError()
    doc2 = make_doc(marker)
    trust.apply(doc2, True)
    model2 = train(doc2, Dataset({"x": x}, {"y": y})).model
    pred = model2.predict(x, verbose=0)
    assert model2.evaluate(x, y, batch_size=32, verbose=0, return_dict=True)["loss"] == \
        pytest.approx(float(mse(y, pred)), rel=1e-5)


def test_trust_covers_the_training_code(tmp_path):
    path = tmp_path / "p.json"
    doc = make_doc(tmp_path / "ran")
    save(doc, path)
    assert custom.has_code(doc) and custom.project_digest(doc) is not None
    trust.trust(path, doc)
    assert trust.is_trusted(path, doc)
    doc.training["custom_code"] += "\n# changed\n"
    assert not trust.is_trusted(path, doc)  # changing the code asks again


def test_run_needs_trust_and_the_worker_takes_only_what_was_trusted(tmp_path):
    from kerascanvas.graph.projectfile import to_dict

    marker = tmp_path / "ran"
    path = tmp_path / "p.json"
    save(make_doc(marker), path)
    argv = ["run", str(path), "--data", "synthetic:32", "--epochs", "1"]
    assert main(argv) == 4 and not marker.exists()
    assert main([*argv, "--trust-custom-code"]) == 0 and marker.exists()
    marker.unlink()
    doc = make_doc(marker)
    payload = {"document": to_dict(doc), "overrides": {"data": "synthetic:32"}}
    refused = train_document(payload, lambda event: None)
    assert refused.status == "failed" and "training code" in refused.message
    assert not marker.exists()
    done = train_document({**payload, "trusted_code": [training_code.digest(doc.training)]},
                          lambda event: None)
    assert done.status == "finished", done.message


def test_the_generated_script_defines_registers_and_trains_with_the_code(tmp_path, monkeypatch):
    """The script's main() runs in this process (test_script.py runs a script as a program)."""
    marker = tmp_path / "ran"
    doc = make_doc(marker, loss={"y": {"name": "ScaledMAE", "scale": 0.5}})
    text = generate(doc, script=True)
    compile(text, "model.py", "exec")
    assert "loss" in text and "'y': ScaledMAE(scale=0.5)," in text
    assert "'y': [max_error]," in text
    saved = tmp_path / "model.keras"
    run_script_here(tmp_path, monkeypatch, text, "--epochs", "1", "--save", str(saved))
    assert marker.exists() and saved.exists()


def test_a_loss_name_neither_keras_nor_the_code_knows_is_named(tmp_path):
    doc = make_doc(tmp_path / "ran", loss="my_mes")
    trust.apply(doc, True)
    messages = [i.message for i in check_training(doc)]
    assert any(m.startswith("training.loss.y: 'my_mes' is not a loss") and "'my_mse'" in m
               for m in messages), messages
    with pytest.raises(TrainingRefused, match="training.loss.y"):
        train(doc, Dataset({"x": data()[0]}, {"y": data()[1]}))


def test_the_loss_names_are_those_keras_resolves():
    from keras.src.losses import ALL_OBJECTS_DICT

    from kerascanvas.graph.training_schema import KERAS_LOSSES

    resolvable = set()
    for name in ALL_OBJECTS_DICT:
        try:
            keras.losses.get(name)
        except (TypeError, ValueError):
            continue
        resolvable.add(name)
    assert set(KERAS_LOSSES) == resolvable - {"Loss"}  # the abstract base class
