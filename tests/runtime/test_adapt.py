"""Preprocessing layers that learn from data are adapted on the training inputs before
training, by the app's trainer and by the generated script alike; the state is saved."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerascanvas.codegen import generate  # noqa: E402
from kerascanvas.graph.projectfile import save  # noqa: E402
from tests.runtime.test_build import graph  # noqa: E402
from tests.runtime.test_run import run  # noqa: E402


def _doc(bins=None):
    bins = bins or {"bin_boundaries": [-1.0, 0.0, 5.0]}
    doc = graph([("x", "Input", {"shape": [3]}), ("norm", "Normalization", {}),
                 ("bins", "Discretization", {**bins, "output_mode": "one_hot"}),
                 ("flat", "Flatten", {}), ("join", "Concatenate", {}),
                 ("out", "Dense", {"units": 2, "activation": "softmax"})],
                [("x", "norm"), ("x", "bins"), ("bins", "flat"), ("norm", "join"),
                 ("flat", "join"), ("join", "out")], ["out"])
    doc.training = {"epochs": 1, "batch_size": 16, "validation_split": 0.0, "seed": 0}
    return doc


def _data(tmp_path):
    rng = np.random.default_rng(0)
    x = (rng.normal(size=(64, 3)) * [1.0, 5.0, 0.1] + [3.0, -2.0, 10.0]).astype("float32")
    y = rng.integers(0, 2, size=64)
    path = tmp_path / "data.npz"
    np.savez(path, x=x, y=y)
    return x, str(path)


def _assert_adapted(saved, x):
    """The saved Normalization holds the state Keras' own adapt learns from the inputs."""
    model = keras.saving.load_model(saved, safe_mode=True)
    norm = keras.layers.Normalization()
    norm.adapt(x)
    got = model.get_layer("norm")
    np.testing.assert_allclose(got.mean.numpy(), norm.mean.numpy(), rtol=1e-5)
    np.testing.assert_allclose(got.variance.numpy(), norm.variance.numpy(), rtol=1e-5)
    assert model.get_layer("bins").bin_boundaries == [-1.0, 0.0, 5.0]


def test_trainer_adapts_before_training_and_saves_the_state(tmp_path):
    x, data = _data(tmp_path)
    path, saved = tmp_path / "p.json", tmp_path / "m.keras"
    save(_doc(), path)
    assert run(path, "--data", data, "--save", saved) == 0
    _assert_adapted(saved, x)


@pytest.mark.slow
def test_generated_script_adapts_the_same_way(tmp_path):
    x, data = _data(tmp_path)
    source = generate(_doc(), script=True)
    assert "layer.adapt(" in source
    namespace: dict = {"__name__": "generated"}
    exec(compile(source, "<generated>", "exec"), namespace)  # noqa: S102
    saved = tmp_path / "script.keras"
    namespace["main"](["--data", data, "--save", str(saved)])
    _assert_adapted(saved, x)


@pytest.mark.skipif(__import__("importlib").util.find_spec("tensorflow") is not None,
                    reason="with TensorFlow, Keras can adapt Discretization")
def test_discretization_to_learn_without_tensorflow_is_refused_by_name(tmp_path, capsys):
    _, data = _data(tmp_path)
    path = tmp_path / "p.json"
    save(_doc({"num_bins": 4}), path)
    assert run(path, "--data", data) != 0
    err = capsys.readouterr().err
    assert "'bins' (Discretization)" in err and "bin_boundaries" in err
