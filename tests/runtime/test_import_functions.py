"""Python functions a saved model names: a custom loss in its compile settings, a custom
activation in a layer. The file holds only the function's name, never its code.

A custom loss (the common `model.compile(loss=my_loss)`) took the whole import down: the
importer read `{"class_name": "function", "registered_name": "function"}` as a custom
layer class named "function", and Keras then failed on the loss. Now the model imports,
with a note that the loss is not carried over. A custom activation is refused before
Keras runs, with a message naming the layer and the function, as a Lambda is.
"""

from __future__ import annotations

import keras
import pytest

from kerascanvas.app.cli import main as cli_main
from kerascanvas.graph.project import Project
from kerascanvas.graph.training_schema import resolve_extended
from kerascanvas.runtime.import_map import ModelImportError
from kerascanvas.runtime.importer import load_with_code
from tests.roundtrip import assert_rebuilds_equal


def fixed_loss(y_true, y_pred):  # not registered: a fresh process would not know it
    return keras.ops.mean(keras.ops.abs(y_true - y_pred))


def spread(y_true, y_pred):
    return keras.ops.std(y_pred)


def soft_sign(x):
    return x / (1.0 + keras.ops.abs(x))


def _dense_model(**dense):
    x = keras.Input((4,), name="x")
    hidden = keras.layers.Dense(3, name="hidden", **dense)(x)
    return keras.Model(x, keras.layers.Dense(1, name="out")(hidden), name="fn")


def test_a_model_compiled_with_a_custom_loss_function_imports(tmp_path, capsys):
    model = _dense_model(activation="relu")
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss=fixed_loss,
                  metrics=["mae", spread])
    path, out = tmp_path / "m.keras", tmp_path / "p.json"
    model.save(path)
    assert cli_main(["import", str(path), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "'fixed_loss' is not carried over" in printed, printed
    assert "metric 'spread' is not carried over" in printed, printed
    doc = Project.open(out).doc
    assert [n.kind for n in doc.nodes.values()] == ["Input", "Dense", "Dense"]
    settings = resolve_extended(doc)  # the rest of the compile settings still come in
    assert settings["optimizer"]["name"] == "sgd"
    assert settings["optimizer"]["learning_rate"] == pytest.approx(0.05)
    assert settings["metrics"] == {"out": ["mae"]}
    assert_rebuilds_equal(keras.saving.load_model(path, compile=False), doc)


@pytest.mark.parametrize("where", ["activation", "kernel_regularizer"])
def test_a_layer_using_a_custom_function_is_refused_naming_both(tmp_path, where):
    def penalty(weights):
        return 0.01 * keras.ops.sum(keras.ops.abs(weights))

    function = soft_sign if where == "activation" else penalty
    path = tmp_path / "m.keras"
    _dense_model(**{where: function}).save(path)
    with pytest.raises(ModelImportError) as caught:
        load_with_code(path)
    message = str(caught.value)
    assert "layer 'hidden'" in message and repr(function.__name__) in message, message
    assert where in message and "function" in message, message
