"""Block kinds against the same blocks written by hand with keras.layers.

Each `keras_*` function below is the usual Keras idiom for the block, written
directly (not derived from our expansion). Our block's shape and count rules
must agree with the Keras model it builds, our verdict (accept or refuse) must
match Keras', and a model built from our expansion must have the same layers,
configs and wiring as the hand-written one.
"""

from __future__ import annotations

import math

import pytest

keras = pytest.importorskip("keras")
layers = keras.layers

from kerascanvas.graph import LAYER_SPECS, get_spec  # noqa: E402
from kerascanvas.graph.blocks import BLOCK_INPUT, expand_node  # noqa: E402
from kerascanvas.graph.document import Node  # noqa: E402
from kerascanvas.graph.errors import KerasCanvasError, ParamError, ShapeError  # noqa: E402
from tests.keras_ref import call_layer, keras_layer  # noqa: E402

BLOCK_KINDS = ("ResidualBlock", "BottleneckBlock", "InceptionModule", "DenseBlock",
               "TransitionLayer")


# ---- the blocks as a Keras user writes them --------------------------------
def keras_residual(x, filters, stride=1, use_projection=False, name="b"):
    shortcut = x
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False,
                      name=f"{name}_conv1")(x)
    y = layers.BatchNormalization(name=f"{name}_bn1")(y)
    y = layers.ReLU(name=f"{name}_relu1")(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv2")(y)
    y = layers.BatchNormalization(name=f"{name}_bn2")(y)
    if use_projection:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False,
                                 name=f"{name}_proj_conv")(x)
        shortcut = layers.BatchNormalization(name=f"{name}_proj_bn")(shortcut)
    y = layers.Add(name=f"{name}_add")([y, shortcut])
    return layers.ReLU(name=f"{name}_out")(y)


def keras_bottleneck(x, filters, stride=1, expansion=4, name="b"):
    width = filters // expansion
    shortcut = x
    y = layers.Conv2D(width, 1, use_bias=False, name=f"{name}_conv1")(x)
    y = layers.BatchNormalization(name=f"{name}_bn1")(y)
    y = layers.ReLU(name=f"{name}_relu1")(y)
    y = layers.Conv2D(width, 3, strides=stride, padding="same", use_bias=False,
                      name=f"{name}_conv2")(y)
    y = layers.BatchNormalization(name=f"{name}_bn2")(y)
    y = layers.ReLU(name=f"{name}_relu2")(y)
    y = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_conv3")(y)
    y = layers.BatchNormalization(name=f"{name}_bn3")(y)
    if stride != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False,
                                 name=f"{name}_proj_conv")(x)
        shortcut = layers.BatchNormalization(name=f"{name}_proj_bn")(shortcut)
    y = layers.Add(name=f"{name}_add")([y, shortcut])
    return layers.ReLU(name=f"{name}_out")(y)


def keras_inception(x, filters, name="b"):
    def conv(t, k, suffix):
        return layers.Conv2D(filters, k, padding="same", activation="relu",
                             name=f"{name}_{suffix}")(t)

    b1 = conv(x, 1, "b1_conv")
    b2 = conv(conv(x, 1, "b2_reduce"), 5, "b2_conv")
    b3 = conv(conv(x, 1, "b3_reduce"), 3, "b3_conv")
    b4 = layers.MaxPooling2D(3, strides=1, padding="same", name=f"{name}_b4_pool")(x)
    b4 = conv(b4, 1, "b4_conv")
    return layers.Concatenate(axis=-1, name=f"{name}_concat")([b1, b2, b3, b4])


def keras_dense_block(x, num_layers, growth_rate, name="b"):
    for i in range(1, num_layers + 1):
        p = f"{name}_l{i}_"
        y = layers.BatchNormalization(name=p + "bn1")(x)
        y = layers.ReLU(name=p + "relu1")(y)
        y = layers.Conv2D(4 * growth_rate, 1, use_bias=False, name=p + "conv1")(y)
        y = layers.BatchNormalization(name=p + "bn2")(y)
        y = layers.ReLU(name=p + "relu2")(y)
        y = layers.Conv2D(growth_rate, 3, padding="same", use_bias=False, name=p + "conv2")(y)
        x = layers.Concatenate(name=p + "concat")([x, y])
    return x


def keras_transition(x, compression=0.5, name="b"):
    channels = int(x.shape[-1] * compression)
    y = layers.BatchNormalization(name=f"{name}_bn")(x)
    y = layers.ReLU(name=f"{name}_relu")(y)
    y = layers.Conv2D(channels, 1, use_bias=False, name=f"{name}_conv")(y)
    return layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(y)


HAND_WRITTEN = {
    "ResidualBlock": keras_residual,
    "BottleneckBlock": keras_bottleneck,
    "InceptionModule": keras_inception,
    "DenseBlock": keras_dense_block,
    "TransitionLayer": keras_transition,
}

# (kind, params, input shape) that Keras builds...
ACCEPTED = [
    ("ResidualBlock", {"filters": 16}, (None, 8, 8, 16)),
    ("ResidualBlock", {"filters": 16, "stride": 2, "use_projection": True}, (None, 8, 8, 16)),
    ("ResidualBlock", {"filters": 32, "use_projection": True}, (None, 8, 8, 16)),
    ("ResidualBlock", {"filters": 8, "stride": 2, "use_projection": True}, (None, 7, 7, 3)),
    ("ResidualBlock", {"filters": 4}, (2, 6, 6, 4)),
    ("ResidualBlock", {"filters": 16, "stride": 2}, (None, 1, 1, 16)),
    ("ResidualBlock", {"filters": 16}, (None, None, None, 16)),
    ("BottleneckBlock", {"filters": 64}, (None, 8, 8, 64)),
    ("BottleneckBlock", {"filters": 64, "stride": 2}, (None, 8, 8, 64)),
    ("BottleneckBlock", {"filters": 64}, (None, 8, 8, 32)),
    ("BottleneckBlock", {"filters": 32, "expansion": 2, "stride": 3}, (None, 5, 5, 32)),
    ("BottleneckBlock", {"filters": 16, "expansion": 1}, (None, 4, 4, 16)),
    ("BottleneckBlock", {"filters": 24, "expansion": 5}, (None, 6, 6, 8)),
    ("InceptionModule", {"filters": 8}, (None, 16, 16, 3)),
    ("InceptionModule", {"filters": 4}, (None, 7, 9, 5)),
    ("InceptionModule", {"filters": 16}, (2, 5, 5, 32)),
    ("DenseBlock", {"num_layers": 1, "growth_rate": 12}, (None, 8, 8, 16)),
    ("DenseBlock", {"num_layers": 3, "growth_rate": 4}, (None, 6, 6, 3)),
    ("DenseBlock", {"num_layers": 2, "growth_rate": 32}, (None, 5, 5, 64)),
    ("DenseBlock", {"num_layers": 2, "growth_rate": 4}, (None, None, 7, 8)),
    ("TransitionLayer", {}, (None, 8, 8, 16)),
    ("TransitionLayer", {"compression": 1.0}, (None, 8, 8, 10)),
    ("TransitionLayer", {"compression": 0.3}, (None, 9, 9, 7)),
]
# ...and that Keras refuses (the verdict test below checks both lists against Keras).
REFUSED = [
    ("ResidualBlock", {"filters": 16, "stride": 2}, (None, 8, 8, 16)),
    ("ResidualBlock", {"filters": 32}, (None, 8, 8, 16)),
    ("ResidualBlock", {"filters": 16}, (None, 8, 16)),
    ("ResidualBlock", {"filters": 16, "use_projection": True}, (None, 8, 8, None)),
    ("BottleneckBlock", {"filters": 8}, (None, 8, 8)),
    ("InceptionModule", {"filters": 4}, (None, 16, 3)),
    ("DenseBlock", {"num_layers": 2, "growth_rate": 4}, (None, 8, 8, None)),
    ("TransitionLayer", {"compression": 0.1}, (None, 8, 8, 5)),
    ("TransitionLayer", {}, (None, 1, 1, 8)),
]
CASES = ACCEPTED + REFUSED


def _case_id(case):
    kind, params, shape = case
    text = ",".join(f"{k}={v}" for k, v in params.items())
    return f"{kind}({text})-{'x'.join(str(d) for d in shape)}"


def _weights(model):
    def total(weights):
        return sum(math.prod(w.shape) for w in weights)
    return total(model.trainable_weights), total(model.non_trainable_weights)


def hand_built(kind, params, shape, name="b"):
    """The hand-written Keras block as a Model, or the exception Keras raised."""
    x = keras.Input(batch_shape=shape, name="x")
    return keras.Model(x, HAND_WRITTEN[kind](x, **params, name=name), name="m")


def keras_expansion(expansion, x, block_name):
    """Call the sublayers of our expansion on tensor `x`; layers named f"{block}_{suffix}"."""
    tensors = {BLOCK_INPUT: x}
    for s in expansion.layers:
        spec = get_spec(s.kind)
        layer = keras_layer(spec, dict(s.params), name=f"{block_name}_{s.name}")
        tensors[s.name] = call_layer(spec, layer, [tensors[i] for i in s.inputs])
    return tensors[expansion.output]


def ours(kind, params, shape):
    spec = get_spec(kind)
    resolved = spec.resolve(params)
    return spec.output_shapes(resolved, [shape]), spec.count(resolved, [shape])


# ---- tests -----------------------------------------------------------------
def test_block_kinds_are_registered_as_blocks():
    for kind in BLOCK_KINDS:
        spec = LAYER_SPECS[kind]
        assert spec.is_block and spec.category == "Blocks"
        assert spec.doc and "\n" not in spec.doc
        assert (spec.min_inputs, spec.max_inputs) == (1, 1)


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_verdict_shape_and_count_match_hand_written_keras(case):
    kind, params, shape = case
    try:
        our_shapes, our_count = ours(kind, params, shape)
        our_error = None
    except KerasCanvasError as exc:
        our_error = exc
    try:
        model = hand_built(kind, params, shape)
        keras_error = None
    except Exception as exc:  # noqa: BLE001 - any refusal by Keras counts
        keras_error = exc
    assert (keras_error is None) == (case in ACCEPTED), f"the case list is wrong: {keras_error}"
    if our_error is not None:
        assert keras_error is not None, f"we refuse but Keras accepts: {our_error}"
        return
    assert keras_error is None, f"Keras refuses but we accept {our_shapes}: {keras_error!r}"
    assert our_shapes == [tuple(model.output.shape)]
    assert tuple(our_count) == _weights(model)


@pytest.mark.parametrize("case", ACCEPTED, ids=_case_id)
def test_expansion_builds_the_hand_written_model(case):
    kind, params, shape = case
    reference = hand_built(kind, params, shape)
    expansion = expand_node(Node("n1", kind, "b", params), [shape])
    x = keras.Input(batch_shape=shape, name="x")
    model = keras.Model(x, keras_expansion(expansion, x, "b"), name="m")
    assert _by_name(model) == _by_name(reference)


def _by_name(model):
    """Layer name -> (class, config, inbound wiring) from the model's config."""
    return {layer["name"]: (layer["class_name"], layer["config"], layer["inbound_nodes"])
            for layer in model.get_config()["layers"]}


def test_residual_stride_two_without_projection_is_refused_like_keras():
    params, shape = {"filters": 16, "stride": 2}, (None, 8, 8, 16)
    with pytest.raises(ValueError):
        hand_built("ResidualBlock", params, shape)
    node = Node("n1", "ResidualBlock", "res1", params)
    with pytest.raises(ShapeError) as info:
        expand_node(node, [shape])
    message = str(info.value)
    assert message.startswith("res1: add: ")
    assert "use_projection=True makes the shortcut match" in message
    assert info.value.port == 0


def test_sublayer_names_follow_the_contract():
    def names(kind, params, shape):
        return [s.name for s in expand_node(Node("n", kind, "b", params), [shape]).layers]

    assert names("ResidualBlock", {"filters": 8, "use_projection": True}, (None, 4, 4, 8)) == [
        "conv1", "bn1", "relu1", "conv2", "bn2", "proj_conv", "proj_bn", "add", "out"]
    assert names("BottleneckBlock", {"filters": 8}, (None, 4, 4, 8)) == [
        "conv1", "bn1", "relu1", "conv2", "bn2", "relu2", "conv3", "bn3", "add", "out"]
    assert names("InceptionModule", {"filters": 2}, (None, 4, 4, 8)) == [
        "b1_conv", "b2_reduce", "b2_conv", "b3_reduce", "b3_conv", "b4_pool", "b4_conv",
        "concat"]
    per_layer = ["bn1", "relu1", "conv1", "bn2", "relu2", "conv2", "concat"]
    assert names("DenseBlock", {"num_layers": 2, "growth_rate": 4}, (None, 4, 4, 8)) == [
        f"l{i}_{n}" for i in (1, 2) for n in per_layer]
    assert names("TransitionLayer", {}, (None, 4, 4, 8)) == ["bn", "relu", "conv", "pool"]


@pytest.mark.parametrize("case", ACCEPTED, ids=_case_id)
def test_sublayer_params_are_non_default_and_wired_backwards(case):
    kind, params, shape = case
    expansion = get_spec(kind).expand(get_spec(kind).resolve(params), [shape])
    seen = {BLOCK_INPUT}
    for s in expansion.layers:
        spec = get_spec(s.kind)
        assert not spec.is_block
        assert dict(s.params) == spec.non_default(s.params)
        assert set(s.inputs) <= seen, f"{s.name} reads a later sublayer"
        seen.add(s.name)
    assert expansion.output in seen


@pytest.mark.parametrize("kind,params", [
    ("ResidualBlock", {"filters": 0}),
    ("ResidualBlock", {"filters": 8, "stride": 0}),
    ("BottleneckBlock", {"filters": 8, "expansion": 0}),
    ("BottleneckBlock", {"filters": 2, "expansion": 4}),
    ("InceptionModule", {"filters": -1}),
    ("DenseBlock", {"num_layers": 0, "growth_rate": 4}),
    ("DenseBlock", {"num_layers": 2, "growth_rate": 0}),
    ("TransitionLayer", {"compression": 0.0}),
    ("TransitionLayer", {"compression": 1.5}),
])
def test_invalid_params_are_refused(kind, params):
    with pytest.raises(ParamError):
        get_spec(kind).resolve(params)


def test_bottleneck_with_too_narrow_middle_is_refused_by_keras_too():
    with pytest.raises(ValueError):
        hand_built("BottleneckBlock", {"filters": 2, "expansion": 4}, (None, 4, 4, 2))
