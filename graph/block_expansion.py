"""How a block kind expands: its sublayers, traced by their own rules, and its registration.

A block kind's `expand` rule lists its sublayers (`SubLayer`, made with `sub` and `conv`)
as an `Expansion`; `register_block` adds the kind to the LayerSpec table with shape and
count rules that run each sublayer's own rules in order (`trace_block`), and makes a
frozen block's sublayers frozen too. The built-in kinds are in `graph.blocks`.
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
