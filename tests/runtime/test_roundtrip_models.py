"""Models written as in the Keras examples: import -> validate -> codegen -> rebuild -> same model.

Each model is imported, saved and loaded as a project file, validated (our shapes equal
Keras' at every layer), then rebuilt twice: by the runtime build and by executing the
generated code. Both rebuilds must equal the original: `count_params`, the nesting
(`model.layers`, names and classes, nested models included), each layer's class and
`get_config()`, the trainable and non-trainable counts, and the forward outputs once
the original's weights are copied in by layer name.
"""

from __future__ import annotations

import json

import pytest

keras = pytest.importorskip("keras")

from kerascanvas.graph.projectfile import from_dict, to_dict  # noqa: E402
from kerascanvas.graph.validate import analyze  # noqa: E402
from kerascanvas.runtime.build import build_model  # noqa: E402
from kerascanvas.runtime.importer import import_model  # noqa: E402
from tests.roundtrip import (  # noqa: E402, F401 - other tests import them from here too
    assert_rebuilds_equal,
    assert_same_nesting,
    assert_same_outputs,
    assert_shapes_match_keras,
    assert_subclass_rebuild_equal,
    counts,
    exec_generated,
    structure,
)

layers = keras.layers


# ---- the models ------------------------------------------------------------------
def augmented_classifier():
    """A data-augmentation Sequential inside a functional image classifier."""
    augment = keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.1),
                                layers.Rescaling(1 / 255.0)], name="augment")
    image = keras.Input((16, 16, 3), name="image")
    x = layers.Conv2D(8, 3, activation="relu", name="conv")(augment(image))
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    return keras.Model(image, layers.Dense(3, activation="softmax", name="head")(x),
                       name="augmented")


def autoencoder():
    """Encoder and decoder sub-models, the decoder holding a nested Sequential."""
    code_in = keras.Input((12,), name="features")
    h = layers.Dense(8, activation="relu", name="enc_hidden")(code_in)
    encoder = keras.Model(code_in, layers.Dense(3, name="code")(h), name="encoder")
    refine = keras.Sequential([layers.Dense(6, activation="relu", name="up"),
                               layers.Dropout(0.1, name="drop")], name="refine")
    latent = keras.Input((3,), name="latent")
    decoder = keras.Model(latent, layers.Dense(12, name="reconstruction")(refine(latent)),
                          name="decoder")
    x = keras.Input((12,), name="x")
    return keras.Model(x, decoder(encoder(x)), name="autoencoder")


def ensemble():
    """Three member models on the same input, averaged."""
    x = keras.Input((10,), name="x")
    outputs = []
    for i in range(3):
        inp = keras.Input((10,), name=f"member{i}_in")
        h = layers.Dense(6 + i, activation="relu", name=f"member{i}_hidden")(inp)
        member = keras.Model(inp, layers.Dense(2, activation="softmax", name=f"member{i}_out")(h),
                             name=f"member{i}")
        outputs.append(member(x))
    return keras.Model(x, layers.Average(name="vote")(outputs), name="ensemble")


def siamese():
    """One tower model and one projection layer, each used on both inputs (shared weights)."""
    tower_in = keras.Input((14,), name="tower_in")
    h = layers.Dense(8, activation="relu", name="tower_hidden")(tower_in)
    tower = keras.Model(tower_in, layers.Dense(6, name="embedding")(h), name="tower")
    project = layers.Dense(4, name="project")
    left, right = keras.Input((14,), name="left"), keras.Input((14,), name="right")
    a, b = project(tower(left)), project(tower(right))
    distance = layers.Subtract(name="difference")([a, b])
    return keras.Model([left, right], layers.Dense(1, activation="sigmoid", name="same")(distance),
                       name="siamese")


def seq2seq():
    """LSTM encoder states as the decoder's initial state (the Keras seq2seq example)."""
    source = keras.Input((None, 7), name="encoder_inputs")
    _, state_h, state_c = layers.LSTM(16, return_state=True, name="encoder")(source)
    target = keras.Input((None, 9), name="decoder_inputs")
    decoded = layers.LSTM(16, return_sequences=True, name="decoder")(
        target, initial_state=[state_h, state_c])
    return keras.Model([source, target],
                       layers.Dense(9, activation="softmax", name="next_token")(decoded),
                       name="seq2seq")


def transformer_block():
    """Self-attention, residual adds, layer norms and a feed-forward pair."""
    tokens = keras.Input((10, 16), name="tokens")
    attended = layers.MultiHeadAttention(num_heads=2, key_dim=8, name="attention")(tokens,
                                                                                   tokens)
    x = layers.LayerNormalization(epsilon=1e-6, name="norm1")(
        layers.Add(name="residual1")([tokens, layers.Dropout(0.1, name="drop1")(attended)]))
    ff = layers.Dense(32, activation="relu", name="ff1")(x)
    ff = layers.Dense(16, name="ff2")(ff)
    x = layers.LayerNormalization(epsilon=1e-6, name="norm2")(layers.Add(name="residual2")([x, ff]))
    pooled = layers.GlobalAveragePooling1D(name="pool")(x)
    return keras.Model(tokens, layers.Dense(2, activation="softmax", name="cls")(pooled),
                       name="transformer")


def frozen_base():
    """Transfer learning: a frozen functional base (conv, batch norm) under a new head."""
    image = keras.Input((12, 12, 3), name="base_in")
    x = layers.Conv2D(6, 3, name="base_conv")(image)
    x = layers.BatchNormalization(name="base_bn")(x)
    base = keras.Model(image, layers.ReLU(name="base_relu")(x), name="base")
    base.trainable = False
    inputs = keras.Input((12, 12, 3), name="image")
    x = layers.GlobalAveragePooling2D(name="gap")(base(inputs))
    return keras.Model(inputs, layers.Dense(2, activation="softmax", name="head")(x),
                       name="transfer")


MODELS = [augmented_classifier, autoencoder, ensemble, siamese, seq2seq, transformer_block,
          frozen_base]


@pytest.mark.parametrize("make", MODELS, ids=lambda f: f.__name__)
def test_model_round_trip(make):
    model = make()
    doc = from_dict(json.loads(json.dumps(to_dict(import_model(model)))))
    assert_shapes_match_keras(doc, model)
    assert_rebuilds_equal(model, doc)


def test_nested_models_import_as_blocks_named_as_the_models():
    doc = import_model(autoencoder())
    kinds = {n.name: n.kind for n in doc.nodes.values()}
    assert kinds == {"x": "Input", "encoder": "UserBlock", "decoder": "UserBlock"}
    assert {"encoder", "decoder", "refine"} <= set(doc.blocks)
    assert doc.blocks["refine"]["model"]["class"] == "Sequential"
    inner = {n["name"]: n["kind"] for n in doc.blocks["decoder"]["nodes"]}
    assert inner == {"refine": "UserBlock", "reconstruction": "Dense"}


def test_a_frozen_nested_model_imports_frozen():
    doc = import_model(frozen_base())
    base = doc.find("base")
    assert base.kind == "UserBlock" and base.params == {"block": "base", "trainable": False}
    assert all(n["params"].get("trainable") is False for n in doc.blocks["base"]["nodes"])


@pytest.mark.slow
def test_frozen_keras_application_base_round_trip():
    """A keras.applications base the Application kind does not cover (MobileNet with
    alpha=0.25) comes in as a frozen nested model and round-trips whole."""
    base = keras.applications.MobileNet(weights=None, include_top=False, alpha=0.25,
                                        input_shape=(32, 32, 3))
    base.trainable = False
    image = keras.Input((32, 32, 3), name="image")
    x = layers.GlobalAveragePooling2D(name="gap")(base(image))
    model = keras.Model(image, layers.Dense(3, name="head")(x), name="transfer")
    assert_rebuilds_equal(model, import_model(model))


@pytest.mark.parametrize("make", [autoencoder, siamese, frozen_base], ids=lambda f: f.__name__)
def test_subclass_style_keeps_nested_models(make):
    model = make()
    rebuilt = exec_generated(import_model(model), style="subclass", model_name=model.name)
    assert_subclass_rebuild_equal(model, rebuilt)


@pytest.mark.slow
def test_siamese_tower_around_an_application_shares_its_weights():
    """The tower holding the application stays a nested model (an Application node in its
    block), and its second call is a SharedCall of the block, so the weights exist once."""
    base = keras.applications.MobileNet(weights=None, include_top=False, pooling="avg",
                                        input_shape=(32, 32, 3))
    tower_in = keras.Input((32, 32, 3), name="tower_in")
    tower = keras.Model(tower_in, layers.Dense(8, name="embedding")(base(tower_in)),
                        name="tower")
    left, right = keras.Input((32, 32, 3), name="left"), keras.Input((32, 32, 3), name="right")
    distance = layers.Subtract(name="difference")([tower(left), tower(right)])
    model = keras.Model([left, right], distance, name="siamese_mobilenet")
    doc = import_model(model)
    assert [n.kind for n in doc.nodes.values()] == ["Input", "Input", "UserBlock", "SharedCall",
                                                     "Subtract"]
    assert [n["kind"] for n in doc.blocks["tower"]["nodes"]] == ["Application", "Dense"]
    assert analyze(doc).total_params == counts(model)
    for rebuilt in (build_model(doc, name=model.name), exec_generated(doc, model_name=model.name)):
        assert counts(rebuilt) == counts(model)
        # the application's own auto-named layers (global_average_pooling2d_<uid>) differ
        tower = rebuilt.get_layer("tower")
        assert [la.name for la in tower.layers] == [la.name for la in model.get_layer(
            "tower").layers]
