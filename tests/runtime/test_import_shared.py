"""Import of models holding other models: keras.applications bases become Application nodes."""

from __future__ import annotations

import pytest

keras = pytest.importorskip("keras")

from kerascanvas.graph.validate import analyze  # noqa: E402
from kerascanvas.runtime.build import build_model  # noqa: E402
from kerascanvas.runtime.importer import import_model  # noqa: E402


def transfer_model(freeze: str):
    base = keras.applications.MobileNetV2(include_top=False, weights=None,
                                          input_shape=(32, 32, 3), pooling="avg")
    if freeze == "all":
        base.trainable = False
    elif freeze == "first":
        for layer in base.layers[:30]:
            layer.trainable = False
    image = keras.Input((32, 32, 3), name="image")
    head = keras.layers.Dense(4, activation="softmax", name="head")(base(image))
    return keras.Model(image, head)


def _counts(model) -> tuple[int, int]:
    trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
    return trainable, model.count_params() - trainable


@pytest.mark.parametrize("freeze, expected", [
    ("none", {}), ("all", {"trainable": False}), ("first", {"freeze_first": 30})])
def test_nested_application_becomes_one_node(freeze, expected):
    model = transfer_model(freeze)
    doc = import_model(model)
    kinds = [n.kind for n in doc.nodes.values()]
    assert kinds == ["Input", "Application", "Dense"]
    app = next(n for n in doc.nodes.values() if n.kind == "Application")
    assert app.params == {"architecture": "MobileNetV2", "pooling": "avg", **expected}
    assert analyze(doc).total_params == _counts(model)
    rebuilt = build_model(doc)
    assert _counts(rebuilt) == _counts(model)
    assert _layers(rebuilt.get_layer(app.name)) == _layers(model.get_layer(app.name))


def _layers(model) -> list:
    # Keras names a few inner layers from a session counter (input_layer_3, ...).
    return [(type(la).__name__, {k: v for k, v in la.get_config().items() if k != "name"},
             la.trainable) for la in model.layers]


def test_other_nested_models_are_still_inlined():
    inner_in = keras.Input((6,))
    inner = keras.Model(inner_in, keras.layers.Dense(3, name="inner_dense")(inner_in),
                        name="inner")
    x = keras.Input((6,), name="x")
    model = keras.Model(x, keras.layers.Dense(2, name="out")(inner(x)))
    doc = import_model(model)
    assert [n.name for n in doc.nodes.values()] == ["x", "inner_dense", "out"]
