"""Reference computations in Keras itself, for tests that check the core against Keras."""

from __future__ import annotations

import math

import keras
import numpy as np
from keras.src.utils.naming import to_snake_case

from kerascanvas.graph.layers.recurrent_cells import cell_spec
from kerascanvas.graph.spec import LayerSpec, get_spec

# Param types holding nested layers, and where the specs of their kinds are.
_NESTED = {"layer": get_spec, "layers": get_spec, "cell": cell_spec, "cells": cell_spec}


def keras_layer(spec: LayerSpec, params: dict, name: str | None = None):
    """Instantiate the Keras layer for `spec` with exactly `params` as keywords; a wrapper's
    inner layer ({"kind", "params", "name"}) is instantiated the same way, and named after
    its kind (as Keras names a first layer) unless it has a name."""
    cls = getattr(keras.layers, spec.kind)
    kwargs = {k: v for k, v in params.items() if k not in spec.call_only}
    for p in spec.params:
        value = kwargs.get(p.name)
        if p.type == "cell" and isinstance(value, list):  # a stack of cells, unnamed
            value = {"kind": "StackedRNNCells", "params": {"cells": value}}
        if p.type in ("layer", "cell") and isinstance(value, dict):  # a wrapper's, an RNN's
            inner_spec = _NESTED[p.type](value["kind"])
            kwargs[p.name] = keras_layer(inner_spec, value.get("params", {}),
                                         value.get("name") or to_snake_case(inner_spec.kind))
        if p.type in ("layers", "cells") and isinstance(value, list):  # Pipeline's, a stack's
            kwargs[p.name] = [
                keras_layer(_NESTED[p.type](item["kind"]), item.get("params", {}), name)
                for item, name in zip(value, _first_names(value), strict=True)]
    if name:
        kwargs["name"] = name
    return cls(**kwargs)


def _first_names(items: list[dict]) -> list[str]:
    """Names as Keras gives layers made one after another in a fresh session: `dense`,
    then `dense_1`, ... (a given name is kept)."""
    names, made = [], {}
    for item in items:
        base = to_snake_case(item["kind"])
        count = made.get(base, 0)
        made[base] = count + 1
        names.append(item.get("name") or (base if count == 0 else f"{base}_{count}"))
    return names


def call_layer(spec: LayerSpec, layer, tensors: list, params: dict | None = None):
    """Call a layer the way codegen does: merges take a list, others positional args, the
    call keywords among `params` (return_attention_scores) as keywords, and the tensors of
    keyword ports as one list (initial_state=[h, c])."""
    call = {k: v for k, v in (params or {}).items() if k in spec.call_params}
    if spec.is_merge:  # Attention([q, v], use_causal_mask=True)
        return layer(list(tensors), **call)
    positional, listed = spec.split_inputs(list(tensors), params or {})
    return layer(*positional, **call, **listed)


def _shape_of(t) -> tuple:
    return tuple(t.shape)


def checked_eagerly(spec: LayerSpec) -> bool:
    """Kinds whose symbolic build in Keras checks nothing about the input (any rank or
    channel count gets a shape), while the call on arrays refuses: their verdict
    includes a run on arrays. Adaptive pooling, image resizing and augmentations, audio,
    and RNN (with a cell it builds on any rank >= 3, giving (batch, units), and its
    cells then refuse the steps of rank > 2 they receive)."""
    return (spec.kind.startswith("Adaptive") or spec.category == "Augmentation"
            or spec.kind in ("Resizing", "CenterCrop", "MelSpectrogram", "RNN"))


def run_eagerly(spec: LayerSpec, params: dict, input_shapes) -> None:
    """Call the layer on zero arrays of the shapes, in training mode. An unknown batch is 2,
    another unknown dim 4 (for MelSpectrogram, which pads by reflection, 4096 samples)."""
    unknown = 4096 if spec.kind == "MelSpectrogram" else 4
    arrays = [np.zeros([(2 if i == 0 else unknown) if d is None else d for i, d in enumerate(s)],
                       "float32") for s in input_shapes]
    # AugMix draws its operations at random, and only its colour ones refuse other than
    # 1 or 3 channels: several seeded runs stand for "Keras refuses these inputs".
    for seed in range(6 if spec.kind == "AugMix" else 1):
        keras.utils.set_random_seed(seed)
        layer = keras_layer(spec, params)
        if spec.is_merge:
            layer(arrays, training=True)
        else:
            positional, listed = spec.split_inputs(arrays, params)
            call = {k: v for k, v in params.items() if k in spec.call_params}
            layer(*positional, training=True, **call, **listed)


def keras_verdict_call(spec: LayerSpec, params: dict, tensors: list, name: str | None = None):
    """(layer, output) of the layer called on symbolic `tensors`, the reference verdict: for
    `checked_eagerly` kinds a run on arrays of the same shapes must succeed first (it raises
    where Keras refuses those inputs)."""
    if checked_eagerly(spec) or spec.keyword_port_names(params) or params.get("reverse"):
        # Keras builds a recurrent layer on initial states of any shape; running it refuses.
        # A ReversibleEmbedding called with reverse=True gives (..., input_dim) for any
        # last dimension; its matmul on arrays refuses one other than output_dim.
        run_eagerly(spec, params, [tuple(t.shape) for t in tensors])
    layer = keras_layer(spec, params, name=name)
    return layer, call_layer(spec, layer, tensors, params)


def keras_output(spec: LayerSpec, params: dict, input_shapes,
                 as_model: bool = False) -> tuple[list, tuple[int, int]]:
    """(output shapes, (trainable, non_trainable)) that Keras computes symbolically
    (for `checked_eagerly` kinds, after a run on arrays that must succeed too). With
    `as_model`, Keras must also build a functional model of the layer (Equalization
    hands its input back, which a model refuses as a cycle)."""
    if spec.kind == "Input":
        t = keras.Input(**params)
        return [_shape_of(t)], (0, 0)
    tensors = [keras.Input(batch_shape=tuple(s)) for s in input_shapes]
    layer, out = keras_verdict_call(spec, params, tensors)
    outs = keras.tree.flatten(out)  # a stack of cells' states come nested, a list per cell
    if as_model:
        keras.Model(tensors, list(outs))
    trainable = sum(math.prod(w.shape) for w in layer.trainable_weights)
    frozen = sum(math.prod(w.shape) for w in layer.non_trainable_weights)
    shapes = [_shape_of(o) for o in outs]
    if params.get("return_attention_scores"):
        shapes[1] = eager_scores_shape(spec, params, input_shapes)
    return shapes, (trainable, frozen)


def eager_scores_shape(spec: LayerSpec, params: dict, input_shapes) -> tuple:
    """The attention scores' shape from a run on arrays: Keras 3.15's symbolic spec for
    them is (batch, heads, T, T) whatever the inputs, the arrays it computes are not.
    An unknown dim gets a stand-in size per axis (10, 11, 13, ...: batches agree, as Keras
    needs), mapped back to None in the scores; the samples' known dims stay below 10."""
    stand_ins = (10, 11, 13, 17, 19, 23, 29, 31)
    arrays = [np.zeros([stand_ins[i] if d is None else d for i, d in enumerate(shape)],
                       "float32") for shape in input_shapes]
    layer = keras_layer(spec, params)
    scores = call_layer(spec, layer, arrays, params)[1]
    return tuple(None if d in stand_ins else d for d in scores.shape)
