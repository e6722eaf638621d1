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
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from .errors import KerasCanvasError, ShapeError
from .params import ParamSpec
from .shapes import fmt, require_known, require_rank
from .spec import TRAINABLE, LayerSpec, Shape, get_spec, register

BLOCK_INPUT = "input"  # the name a SubLayer uses for the block's own input
Hint = Callable[[Mapping[str, Any], str], "str | None"]


@dataclass(frozen=True)
class SubLayer:
    """One core layer inside a block.

    Attributes:
        name: suffix of the Keras layer name (`f"{block_name}_{name}"`).
        kind: a core kind of the LayerSpec table.
        params: only the params that differ from Keras' defaults, in normal form.
        inputs: names of earlier sublayers, or `"input"` for the block's input.
    """

    name: str
    kind: str
    params: Mapping[str, Any]
    inputs: tuple[str, ...]


@dataclass(frozen=True)
class Expansion:
    """The sublayers of a block in call order, and the name of the one that is its output."""

    layers: tuple[SubLayer, ...]
    output: str


@dataclass(frozen=True)
class SubResult:
    """What shape inference found for one sublayer."""

    input_shapes: tuple[Shape, ...]
    output_shape: Shape
    count: tuple[int, int]


def sub(name: str, kind: str, inputs: str | Sequence[str] = BLOCK_INPUT, **params) -> SubLayer:
    """A SubLayer whose params are cut down to those differing from Keras' defaults."""
    inputs = (inputs,) if isinstance(inputs, str) else tuple(inputs)
    return SubLayer(name, kind, get_spec(kind).non_default(params), inputs)


def conv(name: str, inputs, filters: int, kernel: int, stride: int = 1, **params) -> SubLayer:
    """A square Conv2D sublayer; other Keras keywords (padding, use_bias...) pass through."""
    return sub(name, "Conv2D", inputs, filters=filters, kernel_size=(kernel, kernel),
               strides=(stride, stride), **params)


def trace_expansion(expansion: Expansion, input_shapes: Sequence[Shape],
                    hint: Callable[[str], str | None] | None = None) -> dict[str, SubResult]:
    """Run every sublayer's own shape and count rules, in call order.

    Args:
        expansion: what a block's `expand` returned.
        input_shapes: the shapes at the block's input ports (one).
        hint: given a sublayer name that refused its inputs, a fix to suggest or None.

    Raises:
        ShapeError: on port 0, naming the sublayer that refused, e.g.
            `"add: Add expects inputs of equal shape ... — use_projection=True ..."`.
    """
    shapes: dict[str, Shape] = {BLOCK_INPUT: tuple(input_shapes[0])}
    results: dict[str, SubResult] = {}
    for layer in expansion.layers:
        spec = get_spec(layer.kind)
        ins = [shapes[name] for name in layer.inputs]
        try:
            resolved = spec.resolve(layer.params)
            out = spec.output_shapes(resolved, ins)[0]
            count = tuple(spec.count(resolved, ins))
        except KerasCanvasError as exc:
            extra = hint(layer.name) if hint else None
            message = f"{layer.name}: {exc}" + (f" — {extra}" if extra else "")
            raise ShapeError(message, port=0) from None
        shapes[layer.name] = out
        results[layer.name] = SubResult(tuple(ins), out, count)
    return results


@lru_cache(maxsize=512)
def _trace_cached(kind: str, params: tuple, inputs: tuple):
    # Shape and count rules of one node ask for the same trace; LiveAnalysis asks often.
    spec = get_spec(kind)
    resolved = dict(params)
    expansion = spec.expand(resolved, list(inputs))
    hint = _HINTS.get(kind)
    results = trace_expansion(expansion, inputs,
                              (lambda name: hint(resolved, name)) if hint else None)
    return expansion, MappingProxyType(results)


def trace_block(kind: str, params: Mapping[str, Any], inputs: Sequence[Shape]):
    """(Expansion, per-sublayer SubResults) of block `kind` with resolved `params`.

    Pure and cached. Raises ShapeError when the block does not fit its inputs.
    """
    if len(inputs) != 1:
        raise ShapeError(f"{kind} takes exactly one input. Received {len(inputs)} inputs")
    return _trace_cached(kind, tuple(sorted(params.items())), tuple(tuple(s) for s in inputs))


def _block_shape(kind: str):
    def shape(params, inputs):
        expansion, results = trace_block(kind, params, inputs)
        return results[expansion.output].output_shape
    return shape


def _block_count(kind: str):
    def count(params, inputs):
        _, results = trace_block(kind, params, inputs)
        return (sum(r.count[0] for r in results.values()),
                sum(r.count[1] for r in results.values()))
    return count


def expand_node(node, input_shapes: Sequence[Shape]) -> Expansion:
    """The expansion of a block node, from its resolved params.

    Args:
        node: a `graph.document.Node` whose kind is a block.
        input_shapes: the shapes arriving at its input ports.

    Raises:
        ParamError: a param of the node is refused.
        ShapeError: the block does not fit its input; the message starts with the
            node name and the sublayer, e.g. `"res1: add: ..."`.
    """
    spec = get_spec(node.kind)
    if not spec.is_block:
        raise ValueError(f"{node.name!r} is a {node.kind}, not a block")
    resolved = spec.resolve(node.params)
    try:
        expansion, _ = trace_block(node.kind, resolved, input_shapes)
    except ShapeError as exc:
        raise ShapeError(f"{node.name}: {exc}", port=exc.port) from None
    return expansion


_HINTS: dict[str, Hint] = {}


def register_block(kind: str, doc: str, params: tuple[ParamSpec, ...], expand,
                   check=None, hint: Hint | None = None) -> LayerSpec:
    """Register a block kind whose shape and count rules come from `expand`."""
    if hint is not None:
        _HINTS[kind] = hint
    return register(LayerSpec(
        kind=kind, category="Blocks", doc=doc, params=(*params, TRAINABLE),
        shape=_block_shape(kind), count=_block_count(kind), check=check,
        expand=_freezing(expand), keras_module="",
    ))


def _freezing(expand):
    """`expand`, whose sublayers all get trainable=False when the block node is frozen (so
    the build, the code, the counts and an expanded block agree)."""
    def frozen_expand(params, inputs):
        expansion = expand(params, inputs)
        if params.get("trainable", True):
            return expansion
        layers = tuple(dataclasses.replace(sub, params={**sub.params, "trainable": False})
                       for sub in expansion.layers)
        return dataclasses.replace(expansion, layers=layers)
    return frozen_expand


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
