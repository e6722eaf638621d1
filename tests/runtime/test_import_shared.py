"""Import of models holding other models: Application nodes, user blocks, or inlined."""

from __future__ import annotations

import pytest

keras = pytest.importorskip("keras")

from kerascanvas.codegen import generate  # noqa: E402
from kerascanvas.graph.validate import analyze  # noqa: E402
from kerascanvas.runtime.build import build_model  # noqa: E402
from kerascanvas.runtime.importer import import_model, import_model_report  # noqa: E402
from tests.codegen.test_execute import run_code  # noqa: E402


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


def small_nested():
    inner_in = keras.Input((6,))
    hidden = keras.layers.Dense(5, activation="relu", name="inner_dense")(inner_in)
    inner = keras.Model(inner_in, keras.layers.BatchNormalization(name="inner_bn")(hidden),
                        name="inner")
    return inner


def _configs_without_names(model) -> list:
    return sorted((type(la).__name__, json_text({k: v for k, v in la.get_config().items()
                                                 if k != "name"}))
                  for la in _flat_layers(model))


def _flat_layers(model):
    for la in model.layers:
        if isinstance(la, keras.Model):
            yield from _flat_layers(la)
        elif not isinstance(la, keras.layers.InputLayer):
            yield la


def json_text(value) -> str:
    import json

    return json.dumps(value, sort_keys=True, default=str)


def test_nested_model_called_once_becomes_a_nested_model_block():
    x = keras.Input((6,), name="x")
    model = keras.Model(x, keras.layers.Dense(2, name="out")(small_nested()(x)))
    report = import_model_report(model)
    doc = report.doc
    assert [n.kind for n in doc.nodes.values()] == ["Input", "UserBlock", "Dense"]
    block = doc.nodes[[n.id for n in doc.nodes.values() if n.kind == "UserBlock"][0]]
    assert block.params == {"block": "inner"} and block.name == "inner"
    assert [n["name"] for n in doc.blocks["inner"]["nodes"]] == ["inner_dense", "inner_bn"]
    assert doc.blocks["inner"]["model"]["class"] == "Functional"
    assert analyze(doc).total_params == _counts(model)
    for rebuilt in (build_model(doc), run_code(generate(doc), "nested_once")):
        assert _counts(rebuilt) == _counts(model)
        assert _layers(rebuilt.get_layer("inner")) == _layers(model.get_layer("inner"))


def test_nested_model_called_twice_is_one_model_with_a_shared_call():
    inner = small_nested()
    x = keras.Input((6,), name="x")
    twice = inner(keras.layers.Dense(6, name="pre")(inner(x)))
    model = keras.Model(x, twice)
    report = import_model_report(model)
    doc = report.doc
    kinds = [n.kind for n in doc.nodes.values()]
    assert kinds.count("SharedCall") == 1 and kinds.count("UserBlock") == 1
    assert not report.notes
    assert analyze(doc).total_params == _counts(model)
    rebuilt = run_code(generate(doc), "nested_twice")
    assert _counts(rebuilt) == _counts(model)
    assert _counts(build_model(doc)) == _counts(model)
    assert [la.name for la in rebuilt.layers] == [la.name for la in model.layers]


def test_nested_model_sharing_a_layer_with_the_outer_model_is_inlined_and_reported():
    """The layer must stay one object in the outer model and in the sub-model, which a
    block (rebuilt on its own) cannot keep: the sub-model is inlined, the layer shared."""
    shared = keras.layers.Dense(3, name="shared_dense")
    a = keras.Input((3,))
    inner = keras.Model(a, shared(a), name="pair")
    x = keras.Input((3,), name="x")
    report = import_model_report(keras.Model(x, shared(inner(x))))
    assert [n.name for n in report.doc.nodes.values()] == ["x", "shared_dense",
                                                           "shared_dense_call1"]
    assert any("'pair' was inlined" in note and "'shared_dense' is also called outside it"
               in note for note in report.notes)
