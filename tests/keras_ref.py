"""Reference computations in Keras itself, for tests that check the core against Keras."""

from __future__ import annotations

import math

import keras

from kerascanvas.graph.spec import LayerSpec


def keras_layer(spec: LayerSpec, params: dict, name: str | None = None):
    """Instantiate the Keras layer for `spec` with exactly `params` as keywords."""
    cls = getattr(keras.layers, spec.kind)
    kwargs = dict(params)
    if name:
        kwargs["name"] = name
    return cls(**kwargs)


def call_layer(spec: LayerSpec, layer, tensors: list):
    """Call a layer the way codegen does: merges take a list, others positional args."""
    if spec.is_merge:
        return layer(list(tensors))
    return layer(*tensors)


def _shape_of(t) -> tuple:
    return tuple(t.shape)


def keras_output(spec: LayerSpec, params: dict, input_shapes) -> tuple[list, tuple[int, int]]:
    """(output shapes, (trainable, non_trainable)) that Keras computes symbolically."""
    if spec.kind == "Input":
        t = keras.Input(**params)
        return [_shape_of(t)], (0, 0)
    tensors = [keras.Input(batch_shape=tuple(s)) for s in input_shapes]
    layer = keras_layer(spec, params)
    out = call_layer(spec, layer, tensors)
    outs = out if isinstance(out, list | tuple) else [out]
    trainable = sum(math.prod(w.shape) for w in layer.trainable_weights)
    frozen = sum(math.prod(w.shape) for w in layer.non_trainable_weights)
    return [_shape_of(o) for o in outs], (trainable, frozen)
