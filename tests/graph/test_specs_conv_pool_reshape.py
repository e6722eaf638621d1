"""Convolution, pooling and reshaping kinds: edge cases, eager runs, messages.

The generic spec tests compare our rules with Keras' symbolic shapes on each
sample. Here we add the edge cases the samples leave out (unknown channels,
wrong ranks, cross-parameter rules), run every sample eagerly on the torch
backend (the shapes training really produces), and check that our messages
repeat what they received.
"""

from __future__ import annotations

import warnings

import pytest

pytest.importorskip("keras")

import numpy as np  # noqa: E402

from kerascanvas.graph import LAYER_SPECS  # noqa: E402
from kerascanvas.graph.errors import KerasCanvasError, ParamError, ShapeError  # noqa: E402
from tests.graph.test_specs_keras import _variants  # noqa: E402
from tests.keras_ref import keras_layer, keras_output  # noqa: E402

FAMILIES = {
    "Convolution": ("Conv1D", "Conv2D", "Conv3D", "SeparableConv2D", "DepthwiseConv2D",
                    "Conv2DTranspose"),
    "Pooling": ("MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D",
                "AveragePooling2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
                "GlobalMaxPooling1D", "GlobalMaxPooling2D"),
    "Reshaping": ("Flatten", "Reshape", "Permute", "RepeatVector", "UpSampling2D",
                  "ZeroPadding2D", "Cropping2D"),
}
KINDS = [kind for kinds in FAMILIES.values() for kind in kinds]
UNKNOWN = 12  # stands for None when a shape must be concrete

ACCEPT, PARAM, SHAPE = None, ParamError, ShapeError
EDGE_CASES = [
    ("Conv2D", {"filters": 2, "kernel_size": 3}, (None, 8, 8, None), SHAPE),
    ("Conv2D", {"filters": 2, "kernel_size": 3}, (None, 8, 8, 3, 1), SHAPE),
    ("Conv2D", {"filters": 2, "kernel_size": 3}, (None, 8, 3), SHAPE),
    ("Conv2D", {"filters": 8, "kernel_size": 3, "groups": 4}, (None, 8, 8, 6), SHAPE),
    ("Conv2D", {"filters": 6, "kernel_size": 3, "groups": 4}, (None, 8, 8, 8), PARAM),
    ("Conv2D", {"filters": 4, "kernel_size": 3, "strides": 2, "dilation_rate": 2},
     (None, 9, 9, 3), PARAM),
    ("Conv2D", {"filters": 4, "kernel_size": 9, "padding": "same"}, (None, 4, 5, 3), ACCEPT),
    ("Conv2D", {"filters": 4, "kernel_size": 9}, (None, None, None, 3), ACCEPT),
    ("Conv2D", {"filters": 4, "kernel_size": 3, "dilation_rate": 4}, (None, 8, 9, 3), SHAPE),
    ("Conv2D", {"filters": 4, "kernel_size": 3, "dilation_rate": 4}, (None, 9, 9, 3), ACCEPT),
    ("Conv2D", {"filters": 4, "kernel_size": (1, 3), "strides": (5, 2)}, (1, 11, 3, 2), ACCEPT),
    ("Conv1D", {"filters": 4, "kernel_size": 5, "padding": "causal", "strides": 2,
                "data_format": "channels_first"}, (None, 3, 9), ACCEPT),
    ("Conv1D", {"filters": 4, "kernel_size": 3, "padding": "causal"}, (None, 2, 3), ACCEPT),
    ("Conv1D", {"filters": 4, "kernel_size": 3}, (None, 2, 3), SHAPE),
    ("Conv3D", {"filters": 6, "kernel_size": 2, "groups": 3, "data_format": "channels_first"},
     (None, 9, 3, 3, 3), ACCEPT),
    ("Conv3D", {"filters": 6, "kernel_size": 2}, (None, 3, 3, 3), SHAPE),
    ("SeparableConv2D", {"filters": 4, "kernel_size": 3}, (None, 8, 8, None), SHAPE),
    ("SeparableConv2D", {"filters": 4, "kernel_size": 3, "depth_multiplier": 3,
                         "use_bias": False, "data_format": "channels_first"},
     (None, 5, 6, 7), ACCEPT),
    ("SeparableConv2D", {"filters": 4, "kernel_size": 7}, (None, 6, 8, 2), SHAPE),
    ("DepthwiseConv2D", {"kernel_size": 3}, (None, 8, 8, None), SHAPE),
    ("DepthwiseConv2D", {"kernel_size": 3, "depth_multiplier": 2, "use_bias": False,
                         "data_format": "channels_first"}, (None, 3, 7, None), ACCEPT),
    ("DepthwiseConv2D", {"kernel_size": 3}, (None, 8, 8), SHAPE),
    ("Conv2DTranspose", {"filters": 2, "kernel_size": 3, "strides": (2, 1),
                         "output_padding": (2, 0)}, (None, 4, 4, 3), PARAM),
    ("Conv2DTranspose", {"filters": 2, "kernel_size": 3, "output_padding": 1},
     (None, 4, 4, 3), PARAM),
    ("Conv2DTranspose", {"filters": 2, "kernel_size": 3, "strides": 2, "dilation_rate": 2},
     (None, 4, 4, 3), PARAM),
    ("Conv2DTranspose", {"filters": 2, "kernel_size": 3}, (None, 4, 4, None), SHAPE),
    ("Conv2DTranspose", {"filters": 2, "kernel_size": 3}, (None, 4, 4, 3, 1), SHAPE),
    ("Conv2DTranspose", {"filters": 2, "kernel_size": 4, "strides": 2, "padding": "same",
                         "output_padding": 1}, (None, 5, 5, 3), ACCEPT),
    ("Conv2DTranspose", {"filters": 2, "kernel_size": 1, "strides": 3}, (None, None, 4, 3),
     ACCEPT),
    ("MaxPooling2D", {"pool_size": 3, "padding": "same"}, (None, 2, 2, 3), ACCEPT),
    ("MaxPooling2D", {"pool_size": 3}, (None, 2, 2, 3), SHAPE),
    ("MaxPooling2D", {"pool_size": 2, "strides": 5}, (None, 3, 9, None), ACCEPT),
    ("MaxPooling2D", {}, (None, 8, 8), SHAPE),
    ("MaxPooling2D", {"pool_size": 3}, (None, None, None, 3), ACCEPT),
    ("MaxPooling1D", {"pool_size": 4, "data_format": "channels_first"}, (None, 9, 3), SHAPE),
    ("MaxPooling3D", {}, (None, 4, 4, 4), SHAPE),
    ("AveragePooling2D", {"pool_size": (1, 3), "strides": 2, "padding": "same",
                          "data_format": "channels_first"}, (None, 3, 5, 7), ACCEPT),
    ("AveragePooling1D", {"pool_size": 3, "strides": 1}, (None, 3, None), ACCEPT),
    ("GlobalAveragePooling2D", {}, (None, 5, 3), SHAPE),
    ("GlobalAveragePooling2D", {"keepdims": True, "data_format": "channels_first"},
     (None, None, 4, 4), ACCEPT),
    ("GlobalMaxPooling1D", {}, (None, 4, 4, 4), SHAPE),
    ("Flatten", {}, (None, 3, None, 2), ACCEPT),
    ("Flatten", {"data_format": "channels_first"}, (None,), ACCEPT),
    ("Reshape", {"target_shape": (-1, -1)}, (None, 6), PARAM),
    ("Reshape", {"target_shape": (4, -1)}, (None, 10), SHAPE),
    ("Reshape", {"target_shape": (-1,)}, (None, None, 3), ACCEPT),
    ("Reshape", {"target_shape": (3, 2)}, (None, 2, 3), ACCEPT),
    ("Reshape", {"target_shape": (2, -1, 3)}, (None, 4, 3), ACCEPT),
    ("Permute", {"dims": (1, 3)}, (None, 2, 3), PARAM),
    ("Permute", {"dims": (0, 1)}, (None, 2, 3), PARAM),
    ("Permute", {"dims": (2, 1)}, (None, 2, 3, 4), SHAPE),
    ("Permute", {"dims": (2, 3, 1)}, (None, 2, None, 4), ACCEPT),
    ("RepeatVector", {"n": 2}, (None, 3, 4), SHAPE),
    ("RepeatVector", {"n": 5}, (None, None), ACCEPT),
    ("UpSampling2D", {}, (None, 4, 4), SHAPE),
    ("UpSampling2D", {"size": (1, 4), "interpolation": "bicubic",
                      "data_format": "channels_first"}, (None, 3, None, 5), ACCEPT),
    ("ZeroPadding2D", {"padding": ((0, 3), (2, 0)), "data_format": "channels_first"},
     (None, None, 5, None), ACCEPT),
    ("ZeroPadding2D", {}, (None, 5, 5), SHAPE),
    ("Cropping2D", {"cropping": ((2, 2), (0, 0))}, (None, 4, 6, 3), SHAPE),
    ("Cropping2D", {"cropping": ((1, 1), (3, 3))}, (None, 5, 6, 3), SHAPE),
    ("Cropping2D", {"cropping": ((1, 0), (2, 3))}, (None, None, 6, 3), ACCEPT),
    ("Cropping2D", {"cropping": (0, 3), "data_format": "channels_first"}, (None, 3, 5, 7),
     ACCEPT),
    ("Cropping2D", {"cropping": (3, 0), "data_format": "channels_first"}, (None, 5, 6, 3),
     SHAPE),
]


def _ours(kind, params, inputs):
    """(output shapes, count) by our rules, or the KerasCanvasError they raise."""
    spec = LAYER_SPECS[kind]
    try:
        resolved = spec.resolve(params)
        return spec.output_shapes(resolved, list(inputs)), tuple(spec.count(resolved, inputs))
    except KerasCanvasError as exc:
        return exc


def _keras_eager(kind, params, inputs):
    """(output shapes, count) from running the layer on zeros, or the exception raised."""
    try:
        layer = keras_layer(LAYER_SPECS[kind], params)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = layer(*[np.zeros(shape, "float32") for shape in inputs])
        return [tuple(out.shape)], (layer.count_params(), 0)
    except Exception as exc:  # noqa: BLE001 - any refusal by Keras counts
        return exc


def test_every_kind_is_registered_in_its_family():
    import keras

    for category, kinds in FAMILIES.items():
        for kind in kinds:
            assert LAYER_SPECS[kind].category == category
            assert isinstance(getattr(keras.layers, kind), type)


@pytest.mark.parametrize(
    "kind,params,shape,expected", EDGE_CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(EDGE_CASES)],
)
def test_edge_case_verdict_matches_keras(kind, params, shape, expected):
    ours = _ours(kind, params, [shape])
    try:
        theirs = keras_output(LAYER_SPECS[kind], dict(params), [shape])
    except Exception as exc:  # noqa: BLE001 - any refusal by Keras counts
        theirs = exc
    if expected is ACCEPT:
        assert not isinstance(theirs, Exception), f"Keras refuses: {theirs!r}"
        assert ours == theirs
    else:
        assert isinstance(theirs, Exception), f"Keras accepts: {theirs}"
        assert type(ours) is expected, f"expected {expected.__name__}, got {ours!r}"


def _eager_cases():
    cases = []
    for kind in KINDS:
        for label, params, inputs in _variants(LAYER_SPECS[kind]):
            if label.startswith("activation="):
                continue  # activations change values, not shapes
            concrete = tuple(tuple(UNKNOWN if d is None else d for d in s) for s in inputs)
            cases.append(pytest.param(kind, params, concrete, id=f"{kind}-{label}"))
    for kind, params, shape, _ in EDGE_CASES:
        concrete = tuple(UNKNOWN if d is None else d for d in shape)
        cases.append(pytest.param(kind, params, (concrete,), id=f"{kind}-edge{concrete}"))
    return cases


@pytest.mark.parametrize("kind,params,inputs", _eager_cases())
def test_rules_match_an_eager_run_on_torch(kind, params, inputs):
    ours = _ours(kind, params, list(inputs))
    theirs = _keras_eager(kind, params, inputs)
    if isinstance(ours, Exception):
        assert isinstance(theirs, Exception), f"we refuse but the layer runs: {ours}"
    else:
        assert not isinstance(theirs, Exception), f"the layer fails: {theirs!r}"
        assert ours == theirs


MESSAGES = [
    ("Conv2D", {"filters": 2, "kernel_size": 3}, (None, 784),
     ["Conv2D expects an input of rank 4 (batch included). "
      "Received: input_shape=(None, 784) (rank 2)"]),
    ("Conv2D", {"filters": 8, "kernel_size": 3, "groups": 4}, (None, 8, 8, 6),
     ["groups=4", "input_shape=(None, 8, 8, 6)", "6 channels"]),
    ("Conv2D", {"filters": 2, "kernel_size": 3}, (None, 2, 5, 1),
     ["kernel_size=(3, 3)", "input_shape=(None, 2, 5, 1)", "padding='valid'"]),
    ("Conv2D", {"filters": 2, "kernel_size": 3}, (None, 8, 8, None),
     ["channel dimension", "input_shape=(None, 8, 8, None)"]),
    ("Conv2D", {"filters": 4, "kernel_size": 3, "strides": 2, "dilation_rate": 2},
     (None, 9, 9, 3), ["strides=(2, 2)", "dilation_rate=(2, 2)"]),
    ("Conv2DTranspose", {"filters": 2, "kernel_size": 3, "strides": (2, 1),
                         "output_padding": (2, 0)}, (None, 4, 4, 3),
     ["output_padding=(2, 0)", "strides=(2, 1)"]),
    ("MaxPooling2D", {"pool_size": 3}, (None, 2, 2, 3),
     ["pool_size=(3, 3)", "input_shape=(None, 2, 2, 3)"]),
    ("Reshape", {"target_shape": (4, -1)}, (None, 10),
     ["target_shape=(4, -1)", "input_shape=(None, 10)"]),
    ("Reshape", {"target_shape": [-1, -1]}, (None, 6), ["target_shape=[-1, -1]"]),
    ("Permute", {"dims": [1, 3]}, (None, 2, 3), ["permutation of 1..2", "dims=[1, 3]"]),
    ("Permute", {"dims": (2, 1)}, (None, 2, 3, 4), ["dims=(2, 1)", "(None, 2, 3, 4) (rank 4)"]),
    ("Cropping2D", {"cropping": ((2, 2), (0, 0))}, (None, 4, 6, 3),
     ["cropping=((2, 2), (0, 0))", "input_shape=(None, 4, 6, 3)"]),
]


@pytest.mark.parametrize("kind,params,shape,parts", MESSAGES,
                         ids=[f"{m[0]}-{i}" for i, m in enumerate(MESSAGES)])
def test_messages_repeat_what_they_received(kind, params, shape, parts):
    error = _ours(kind, params, [shape])
    assert isinstance(error, KerasCanvasError)
    for part in parts:
        assert part in str(error)
    if isinstance(error, ShapeError):
        assert error.port == 0
