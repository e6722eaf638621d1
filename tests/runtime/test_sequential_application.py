"""The transfer-learning Sequential (a frozen keras.applications base, or nested Sequentials
such as an augmentation stage, between layers) comes back as a Sequential in the sequential
code style, as its import note promises."""

from __future__ import annotations

import numpy as np

from kerascanvas.runtime.importer import import_model_report
from kerascanvas.runtime.keras_env import import_keras
from tests.roundtrip import assert_same_model, exec_generated


def _transfer_sequential():
    keras = import_keras()
    base = keras.applications.MobileNet(weights=None, include_top=False,
                                        input_shape=(32, 32, 3))
    base.trainable = False
    return keras.Sequential([keras.Input((32, 32, 3), name="image"),
                             keras.layers.Rescaling(1 / 255, name="scale"), base,
                             keras.layers.GlobalAveragePooling2D(name="pool"),
                             keras.layers.Dense(3, activation="softmax", name="head")],
                            name="transfer")


def test_a_frozen_application_in_a_sequential_is_written_as_a_sequential():
    keras = import_keras()
    model = _transfer_sequential()
    report = import_model_report(model)
    assert any("Sequential" in note for note in report.notes)
    rebuilt = exec_generated(report.doc, style="sequential", model_name="transfer")
    assert isinstance(rebuilt, keras.Sequential)
    assert_same_model(model, rebuilt)
    assert len(rebuilt.trainable_weights) == len(model.trainable_weights)
    for layer in model.layers:
        rebuilt.get_layer(layer.name).set_weights(layer.get_weights())
    x = np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(rebuilt(x)),
                               keras.ops.convert_to_numpy(model(x)), rtol=1e-5, atol=1e-6)


def test_nested_sequentials_are_listed_in_the_sequential():
    keras = import_keras()
    layers = keras.layers
    augment = keras.Sequential([layers.RandomFlip("horizontal", name="flip")], name="augment")
    encoder = keras.Sequential([layers.Conv2D(4, 3, activation="relu", name="conv"),
                                layers.MaxPooling2D(name="pool2")], name="encoder")
    encoder.trainable = False
    model = keras.Sequential([keras.Input((12, 12, 3), name="image"), augment, encoder,
                              layers.Flatten(name="flat"), layers.Dense(2, name="head")],
                             name="augmented")
    rebuilt = exec_generated(import_model_report(model).doc, style="sequential",
                             model_name="augmented")
    assert isinstance(rebuilt, keras.Sequential)
    assert [layer.name for layer in rebuilt.layers] == [layer.name for layer in model.layers]
    assert rebuilt.count_params() == model.count_params()
    assert len(rebuilt.trainable_weights) == len(model.trainable_weights)
    for layer in model.layers:
        rebuilt.get_layer(layer.name).set_weights(layer.get_weights())
    x = np.random.default_rng(0).normal(size=(2, 12, 12, 3)).astype("float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(rebuilt(x, training=False)),
                               keras.ops.convert_to_numpy(model(x, training=False)),
                               rtol=1e-5, atol=1e-6)
