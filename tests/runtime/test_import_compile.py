"""A compiled model's optimizer, losses, loss weights and metrics come in with
`kerascanvas import`: the project trained with adam, default losses and no metrics,
whatever the archive's `compile_config` said."""

from __future__ import annotations

import pytest

keras = pytest.importorskip("keras")

from kerascanvas.app.cli import main as cli_main  # noqa: E402
from kerascanvas.graph.project import Project  # noqa: E402
from kerascanvas.graph.training_schema import check_training, resolve_extended  # noqa: E402


def two_heads():
    x = keras.Input((6,), name="x")
    hidden = keras.layers.Dense(4, activation="relu", name="hidden")(x)
    return keras.Model(x, [keras.layers.Dense(1, name="a")(hidden),
                           keras.layers.Dense(1, activation="sigmoid", name="b")(hidden)])


CASES = {  # compile arguments -> (optimizer options kept, losses, weights, metrics)
    "sgd_options": (dict(optimizer=keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
                         loss="mse", metrics=["mae"]),
                    {"name": "sgd", "learning_rate": 0.05, "momentum": 0.9,
                     "nesterov": True},
                    {"a": "mse", "b": "mse"}, None, {"a": ["mae"], "b": ["mae"]}),
    "per_output": (dict(optimizer="rmsprop", loss={"a": "mse", "b": "binary_crossentropy"},
                        loss_weights={"a": 1.0, "b": 0.5},
                        metrics={"a": ["mae"], "b": ["accuracy"]}),
                   {"name": "rmsprop", "learning_rate": 0.001},
                   {"a": "mse", "b": "binary_crossentropy"}, {"a": 1.0, "b": 0.5},
                   {"a": ["mae"], "b": ["accuracy"]}),
    "lists": (dict(optimizer=keras.optimizers.Adam(3e-4), loss=["mae", "bce"],
                   loss_weights=[2.0, 1.0], metrics=[["mse"], ["accuracy"]]),
              {"name": "adam", "learning_rate": 3e-4},
              {"a": "mae", "b": "bce"}, {"a": 2.0, "b": 1.0}, {"a": ["mse"], "b": ["accuracy"]}),
}


def imported(tmp_path, capsys, **compile_args):
    model = two_heads()
    model.compile(**compile_args)
    model.save(tmp_path / "m.keras")
    out = tmp_path / "p.json"
    assert cli_main(["import", str(tmp_path / "m.keras"), "-o", str(out)]) == 0
    return Project.open(out).doc, model, capsys.readouterr().out


@pytest.mark.parametrize("case", CASES)
def test_the_compiled_settings_come_in(tmp_path, capsys, case):
    compile_args, optimizer, losses, weights, metrics = CASES[case]
    doc, model, _ = imported(tmp_path, capsys, **compile_args)
    settings = resolve_extended(doc)
    config = model.optimizer.get_config()  # what Keras compiled with
    expected = {key: pytest.approx(config[key]) for key in optimizer if key != "name"}
    assert {key: settings["optimizer"][key] for key in expected} == expected
    assert settings["optimizer"]["name"] == type(model.optimizer).__name__.lower()
    assert settings["loss"] == losses and settings["metrics"] == metrics
    assert settings["loss_weights"] == weights
    assert not [i for i in check_training(doc) if i.severity == "error"]


def test_a_loss_with_options_comes_in_as_keras_class_with_them(tmp_path, capsys):
    doc, model, printed = imported(
        tmp_path, capsys, optimizer="adam",
        loss=[keras.losses.MeanSquaredError(),
              keras.losses.BinaryCrossentropy(from_logits=True)])
    settings = resolve_extended(doc)
    assert settings["loss"]["a"] == "mean_squared_error"
    assert settings["loss"]["b"] == {"name": "BinaryCrossentropy", "from_logits": True}
    assert "not carried over" not in printed
    assert "from_logits=True, which expects logits. Received activation 'sigmoid'" in printed
