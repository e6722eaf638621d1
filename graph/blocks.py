"""Block kinds: composite layers that expand into a fixed pattern of core layers.

A block node is one box on the canvas, but the model gets its sublayers inlined
(no nested Model): a block node named `B` becomes Keras layers named
`f"{B}_{suffix}"`. Each block's `expand` rule lists those sublayers; the shape
and count rules of the block are derived from it by running each sublayer's own
LayerSpec rules in order, so no layer maths is written twice.

>>> spec = get_spec("ResidualBlock")
>>> params = spec.resolve({"filters": 64, "stride": 2, "use_projection": True})
>>> spec.output_shapes(params, [(None, 32, 32, 64)])
[(None, 16, 16, 64)]
>>> [s.name for s in spec.expand(params, [(None, 32, 32, 64)]).layers][-3:]
['proj_bn', 'add', 'out']

The sublayers, their trace and the registration of a kind are in `graph.block_expansion`
(its public names are importable here too).
"""

from __future__ import annotations

from collections.abc import Sequence

from .block_expansion import (  # noqa: F401 - public here too
    BLOCK_INPUT,
    Expansion,
    Hint,
    SubLayer,
    SubResult,
    conv,
    expand_node,
    register_block,
    sub,
    trace_block,
    trace_expansion,
)
from .errors import ShapeError
from .params import ParamSpec
from .shapes import fmt, require_known, require_rank
from .spec import Shape, get_spec  # noqa: F401 - get_spec: the doctest above


def _channels(inputs: Sequence[Shape], kind: str) -> int:
    shape = tuple(inputs[0])
    require_rank(shape, 4, kind)
    return require_known(shape[-1], f"The channel count of the input to {kind}", shape)


def _filters(initial: int = 64, doc: str = "Output channels of the convolutions") -> ParamSpec:
    return ParamSpec("filters", "int", initial=initial, min=1, doc=doc)


def _stride() -> ParamSpec:
    return ParamSpec("stride", "int", default=1, min=1,
                     doc="Stride of the first 3x3 convolution (2 halves height and width)")


def _bn_relu(source: str, bn: str, relu: str) -> list[SubLayer]:
    """BatchNormalization then ReLU (Keras defaults), the pre-activation pair of DenseNets."""
    return [sub(bn, "BatchNormalization", source), sub(relu, "ReLU", bn)]


# ---- ResidualBlock --------------------------------------------------------
def _residual_expand(params, inputs) -> Expansion:
    f, s = params["filters"], params["stride"]
    layers = [conv("conv1", BLOCK_INPUT, f, 3, s, padding="same", use_bias=False),
              *_bn_relu("conv1", "bn1", "relu1"),
              conv("conv2", "relu1", f, 3, padding="same", use_bias=False),
              sub("bn2", "BatchNormalization", "conv2")]
    shortcut = BLOCK_INPUT
    if params["use_projection"]:
        layers += [conv("proj_conv", BLOCK_INPUT, f, 1, s, use_bias=False),
                   sub("proj_bn", "BatchNormalization", "proj_conv")]
        shortcut = "proj_bn"
    layers += [sub("add", "Add", ("bn2", shortcut)), sub("out", "ReLU", "add")]
    return Expansion(tuple(layers), "out")


def _residual_hint(params, name):
    if name == "add" and not params["use_projection"]:
        return "use_projection=True makes the shortcut match"
    return None


register_block(
    "ResidualBlock", "Two 3x3 conv-BN layers plus a shortcut, added and passed through ReLU",
    (_filters(), _stride(),
     ParamSpec("use_projection", "bool", default=False,
               doc="Pass the shortcut through a 1x1 conv + BN (needed when shapes change)")),
    _residual_expand, hint=_residual_hint,
)


# ---- BottleneckBlock ------------------------------------------------------
def _bottleneck_expand(params, inputs) -> Expansion:
    f, s = params["filters"], params["stride"]
    mid = f // params["expansion"]
    layers = [conv("conv1", BLOCK_INPUT, mid, 1, use_bias=False),
              *_bn_relu("conv1", "bn1", "relu1"),
              conv("conv2", "relu1", mid, 3, s, padding="same", use_bias=False),
              *_bn_relu("conv2", "bn2", "relu2"),
              conv("conv3", "relu2", f, 1, use_bias=False),
              sub("bn3", "BatchNormalization", "conv3")]
    shortcut = BLOCK_INPUT
    if s != 1 or _channels(inputs, "BottleneckBlock") != f:
        layers += [conv("proj_conv", BLOCK_INPUT, f, 1, s, use_bias=False),
                   sub("proj_bn", "BatchNormalization", "proj_conv")]
        shortcut = "proj_bn"
    layers += [sub("add", "Add", ("bn3", shortcut)), sub("out", "ReLU", "add")]
    return Expansion(tuple(layers), "out")


def _bottleneck_check(params):
    if params["filters"] // params["expansion"] < 1:
        return ("BottleneckBlock needs filters // expansion >= 1 (the width of its 3x3 conv). "
                f"Received: filters={params['filters']}, expansion={params['expansion']}")
    return None


register_block(
    "BottleneckBlock",
    "1x1 reduce, 3x3, 1x1 expand conv-BN stack plus a shortcut (ResNet-50 style)",
    (_filters(256, "Output channels (the 3x3 conv has filters // expansion)"), _stride(),
     ParamSpec("expansion", "int", default=4, min=1,
               doc="Ratio of output channels to the inner width")),
    _bottleneck_expand, check=_bottleneck_check,
)


# ---- InceptionModule ------------------------------------------------------
def _inception_expand(params, inputs) -> Expansion:
    f = params["filters"]

    def relu_conv(name, source, kernel):
        return conv(name, source, f, kernel, padding="same", activation="relu")

    layers = (
        relu_conv("b1_conv", BLOCK_INPUT, 1),
        relu_conv("b2_reduce", BLOCK_INPUT, 1), relu_conv("b2_conv", "b2_reduce", 5),
        relu_conv("b3_reduce", BLOCK_INPUT, 1), relu_conv("b3_conv", "b3_reduce", 3),
        sub("b4_pool", "MaxPooling2D", BLOCK_INPUT, pool_size=(3, 3), strides=(1, 1),
            padding="same"),
        relu_conv("b4_conv", "b4_pool", 1),
        sub("concat", "Concatenate", ("b1_conv", "b2_conv", "b3_conv", "b4_conv"), axis=-1),
    )
    return Expansion(layers, "concat")


register_block(
    "InceptionModule", "Parallel 1x1, 5x5, 3x3 and pooled branches, concatenated (4*filters)",
    (_filters(32, "Channels of each branch; the output has 4 * filters"),),
    _inception_expand,
)


# ---- DenseBlock and TransitionLayer ---------------------------------------
def _dense_expand(params, inputs) -> Expansion:
    g, x, layers = params["growth_rate"], BLOCK_INPUT, []
    for i in range(1, params["num_layers"] + 1):
        p = f"l{i}_"
        layers += [*_bn_relu(x, f"{p}bn1", f"{p}relu1"),
                   conv(f"{p}conv1", f"{p}relu1", 4 * g, 1, use_bias=False),
                   *_bn_relu(f"{p}conv1", f"{p}bn2", f"{p}relu2"),
                   conv(f"{p}conv2", f"{p}relu2", g, 3, padding="same", use_bias=False),
                   sub(f"{p}concat", "Concatenate", (x, f"{p}conv2"), axis=-1)]
        x = f"{p}concat"
    return Expansion(tuple(layers), x)


register_block(
    "DenseBlock", "DenseNet block: each BN-ReLU-conv layer adds growth_rate channels",
    # Upper bounds: the block expands into 6 layers per num_layers, and each adds
    # growth_rate channels; DenseNet-264's largest block has 64 layers and growth 32.
    (ParamSpec("num_layers", "int", initial=4, min=1, max=256,
               doc="Number of BN-ReLU-conv layers"),
     ParamSpec("growth_rate", "int", initial=12, min=1, max=4096,
               doc="Channels each layer adds")),
    _dense_expand,
)


def _transition_expand(params, inputs) -> Expansion:
    channels = _channels(inputs, "TransitionLayer")
    filters = int(channels * params["compression"])
    if filters < 1:
        raise ShapeError(
            f"TransitionLayer keeps int(channels * compression) channels, which must be >= 1. "
            f"Received: input_shape={fmt(tuple(inputs[0]))}, "
            f"compression={params['compression']}", port=0)
    layers = (*_bn_relu(BLOCK_INPUT, "bn", "relu"),
              conv("conv", "relu", filters, 1, use_bias=False),
              sub("pool", "AveragePooling2D", "conv", pool_size=(2, 2), strides=(2, 2)))
    return Expansion(layers, "pool")


register_block(
    "TransitionLayer", "DenseNet transition: BN, ReLU, 1x1 conv compressing channels, 2x2 pool",
    (ParamSpec("compression", "float", default=0.5, min=0.0, min_exclusive=True, max=1.0,
               doc="Fraction of channels kept by the 1x1 conv"),),
    _transition_expand,
)
