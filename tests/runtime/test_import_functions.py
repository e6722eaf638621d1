"""Custom functions and custom non-layer classes a saved model names: a loss or metric in
its compile settings, an activation, regularizer or initializer in a layer. The file
holds only their names, never their code.

A custom loss (the common `model.compile(loss=my_loss)`, or a `keras.losses.Loss`
subclass) took the whole import down: the importer read it as a custom layer class (a
function as one named "function"), and Keras then failed on the loss. Now the model
imports, with a note that the loss is not carried over. A layer's custom activation or
regularizer (a function, or a class that is no layer) is refused before Keras runs, with a
message naming the layer, the setting and the function or class, as a Lambda is; a
custom regularizer class came in as a stand-in *layer* inside a generic Dense, which
validated and generated code that Keras could not build.
"""

from __future__ import annotations

import keras
import pytest

from kerascanvas.app.cli import main as cli_main
from kerascanvas.graph.project import Project
from kerascanvas.graph.training_schema import resolve_extended
from kerascanvas.runtime.import_map import ModelImportError
from kerascanvas.runtime.importer import import_model_report, load_with_code
from tests.roundtrip import assert_rebuilds_equal


def fixed_loss(y_true, y_pred):  # not registered: a fresh process would not know it
    return keras.ops.mean(keras.ops.abs(y_true - y_pred))


def spread(y_true, y_pred):
    return keras.ops.std(y_pred)


class Focal(keras.losses.Loss):  # not registered, as in a fresh process
    def __init__(self, gamma=2.0, **kwargs):
        super().__init__(**kwargs)
        self.gamma = gamma

    def call(self, y_true, y_pred):
        return keras.ops.mean(keras.ops.abs(y_true - y_pred) ** self.gamma, axis=-1)

    def get_config(self):
        return {**super().get_config(), "gamma": self.gamma}


class Spread(keras.regularizers.Regularizer):
    def __call__(self, weights):
        return 0.01 * keras.ops.std(weights)

    def get_config(self):
        return {}


def soft_sign(x):
    return x / (1.0 + keras.ops.abs(x))


def _dense_model(**dense):
    x = keras.Input((4,), name="x")
    hidden = keras.layers.Dense(3, name="hidden", **dense)(x)
    return keras.Model(x, keras.layers.Dense(1, name="out")(hidden), name="fn")


@pytest.mark.parametrize("loss,named", [(fixed_loss, "fixed_loss"), (Focal(), "Focal")],
                         ids=["function", "class"])
def test_a_model_compiled_with_a_custom_loss_imports(tmp_path, capsys, loss, named):
    model = _dense_model(activation="relu")
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss=loss, metrics=["mae", spread])
    path, out = tmp_path / "m.keras", tmp_path / "p.json"
    model.save(path)
    assert cli_main(["import", str(path), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"{named!r} is not carried over" in printed, printed
    assert "metric 'spread' is not carried over" in printed, printed
    doc = Project.open(out).doc
    assert [n.kind for n in doc.nodes.values()] == ["Input", "Dense", "Dense"]
    settings = resolve_extended(doc)  # the rest of the compile settings still come in
    assert settings["optimizer"]["name"] == "sgd"
    assert settings["optimizer"]["learning_rate"] == pytest.approx(0.05)
    assert settings["metrics"] == {"out": ["mae"]}
    assert_rebuilds_equal(keras.saving.load_model(path, compile=False), doc)


def _penalty(weights):
    return 0.01 * keras.ops.sum(keras.ops.abs(weights))


@pytest.mark.parametrize("where,value,named,what", [
    ("activation", soft_sign, "soft_sign", "function"),
    ("kernel_regularizer", _penalty, "_penalty", "function"),
    ("kernel_regularizer", Spread(), "Spread", "class"),
], ids=["activation", "regularizer_function", "regularizer_class"])
def test_a_layer_using_a_custom_function_or_class_is_refused_naming_it(tmp_path, where, value,
                                                                       named, what):
    path = tmp_path / "m.keras"
    _dense_model(**{where: value}).save(path)
    with pytest.raises(ModelImportError) as caught:
        load_with_code(path)
    message = str(caught.value)
    assert "layer 'hidden'" in message and repr(named) in message, message
    assert f"custom {what}" in message and f"as its {where}" in message, message


def test_a_custom_loss_beside_a_custom_layer_without_source_imports(tmp_path, capsys):
    """The stand-in path rebuilds the model from its config: uncompiled, as the other is."""

    class Doubler(keras.layers.Layer):  # not registered: it comes in without source
        def call(self, x):
            return 2.0 * x

    x = keras.Input((4,), name="x")
    model = keras.Model(x, Doubler(name="double")(keras.layers.Dense(3, name="d")(x)))
    model.compile(loss=fixed_loss)
    path, out = tmp_path / "m.keras", tmp_path / "p.json"
    model.save(path)
    assert cli_main(["import", str(path), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "'fixed_loss' is not carried over" in printed, printed
    doc = Project.open(out).doc
    assert [n.kind for n in doc.nodes.values()] == ["Input", "Dense", "CustomLayer"]


WRAPPED_CODE = '''import keras


@keras.saving.register_keras_serializable(package="wrapped_tests")
class Halve(keras.layers.Layer):
    def call(self, x):
        return 0.5 * x

    def compute_output_shape(self, input_shape):
        return input_shape
'''


def _wrapped_halve():
    namespace: dict = {}
    exec(compile(WRAPPED_CODE, "halve.py", "exec"), namespace)  # noqa: S102 - our test code
    x = keras.Input((3, 4), name="x")
    wrapped = keras.layers.TimeDistributed(namespace["Halve"](name="halve"), name="per_step")
    return keras.Model(x, wrapped(x))


def _assert_names_the_wrapper(message: str) -> None:
    assert "layer 'per_step' (TimeDistributed)" in message, message
    assert "custom class 'wrapped_tests>Halve'" in message, message


def test_a_wrapper_around_a_custom_layer_is_refused_naming_both():
    """A KerasLayer node rebuilds Keras' own classes only: TimeDistributed(custom) came in
    as one, validated, and its build and code failed on the unknown class."""
    model = _wrapped_halve()  # in memory, its class at hand
    with pytest.raises(ModelImportError) as caught:
        import_model_report(model)
    _assert_names_the_wrapper(str(caught.value))


@pytest.mark.parametrize("with_code", [False, True], ids=["no_source", "trusted_source"])
def test_a_saved_wrapper_around_a_custom_layer_is_refused_before_keras(tmp_path, with_code):
    """Without the class, Keras failed inside TimeDistributed with 'Layer Halve does not
    have a compute_output_shape method'; now the file is refused before Keras loads it."""
    path, code = tmp_path / "m.keras", tmp_path / "halve.py"
    code.write_text(WRAPPED_CODE)
    _wrapped_halve().save(path)
    keras.saving.get_custom_objects().pop("wrapped_tests>Halve")  # as in a fresh process
    with pytest.raises(ModelImportError) as caught:
        load_with_code(path, code if with_code else None, trusted=with_code)
    _assert_names_the_wrapper(str(caught.value))
