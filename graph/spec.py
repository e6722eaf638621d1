"""The LayerSpec table: one entry per layer kind, read by every other part.

An entry says which Keras class the kind is, where it sits in the palette, how
many inputs it takes, its parameters (Keras names and defaults), a pure shape
rule, a pure parameter-count rule and a one-line doc. `LAYER_SPECS` is a plain
dict, filled by the modules in `graph.layers` and by `graph.blocks`.

Shape rules take the resolved params (every name present, in normal form) and
the list of input shapes (tuples, batch first, `None` = unknown) and return the
output shape, or a list of shapes for kinds with several outputs. They raise
`ShapeError` when the inputs do not fit.

A kind itself is a `LayerSpec` (`graph.layer_spec`), made of the parts in
`graph.spec_parts`; this module keeps the table and adds the common `trainable` param.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from .errors import KerasCanvasError, ParamError  # noqa: F401 - importable here as before
from .layer_spec import LayerSpec
from .params import ParamSpec
from .spec_parts import (  # noqa: F401 - importable here as before
    APPLICATION,
    AS_LISTS,
    CATEGORIES,
    GENERIC,
    INPUT,
    SHARED_CALL,
    USER_BLOCK,
    CountRule,
    KeywordPorts,
    Sample,
    Shape,
    ShapeRule,
    no_weights,
    one_output,
)

# Every Keras layer takes `trainable` (Layer.__init__); a kind in keras.layers gets it as its
# last param, so any node can be frozen. Frozen, all of a layer's weights are non-trainable.
TRAINABLE = ParamSpec("trainable", "bool", default=True,
                      doc="Off freezes the layer: fit leaves its weights unchanged")


def frozen_count(count: CountRule) -> CountRule:
    """The count rule of a kind with `trainable`: every weight counts as non-trainable when
    the layer is frozen, as Keras moves them all to `non_trainable_weights`."""
    def rule(params: Mapping[str, Any], shapes: list[Shape]) -> tuple[int, int]:
        trainable, frozen = count(params, shapes)
        return (trainable, frozen) if params.get("trainable", True) else (0, trainable + frozen)
    rule.__doc__ = count.__doc__
    return rule


def _with_trainable(spec: LayerSpec) -> LayerSpec:
    """`spec` with the common `trainable` param, when it is one keras.layers layer."""
    if spec.keras_module != "keras.layers" or spec.kind == GENERIC or spec.is_composite \
            or not spec.freezable or any(p.name == TRAINABLE.name for p in spec.params):
        return spec
    return dataclasses.replace(spec, params=(*spec.params, TRAINABLE),
                               count=frozen_count(spec.count))


LAYER_SPECS: dict[str, LayerSpec] = {}
# Old kind names that files may still use, mapped to the current kind.
KIND_ALIASES: dict[str, str] = {}


def register(spec: LayerSpec) -> LayerSpec:
    """Add an entry to the table; a kind may be registered only once."""
    if spec.kind in LAYER_SPECS:
        raise ValueError(f"LayerSpec {spec.kind!r} is registered twice")
    if spec.category not in CATEGORIES:
        raise ValueError(f"LayerSpec {spec.kind!r} has unknown category {spec.category!r}")
    names = [p.name for p in spec.params]
    if len(names) != len(set(names)):
        raise ValueError(f"LayerSpec {spec.kind!r} repeats a parameter name")
    spec = _with_trainable(spec)
    LAYER_SPECS[spec.kind] = spec
    return spec


def get_spec(kind: str) -> LayerSpec:
    """The entry for `kind` (aliases allowed); KeyError names the known kinds.

    >>> get_spec("Dense").category
    'Core'
    """
    kind = KIND_ALIASES.get(kind, kind)
    try:
        return LAYER_SPECS[kind]
    except KeyError:
        raise KeyError(f"Unknown layer kind {kind!r}") from None
