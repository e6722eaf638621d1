"""Convolution kinds: Conv1D/2D/3D and ConvNDTranspose (the depthwise and separable ones
are in `conv_depthwise.py`, which shares the params and rules below).

Shape rules follow Keras' `compute_conv_output_shape` and
`compute_conv_transpose_output_shape`: the input rank is exactly the number of
spatial axes plus two, the channel axis must be known (the kernel is built for
it), and `padding="valid"` refuses windows larger than the input.
"""

from __future__ import annotations

import math

from ..errors import ShapeError
from ..params import ParamSpec
from ..shapes import (
    conv_output_length,
    deconv_output_length,
    fmt,
    join_channels,
    require_known,
    require_rank,
    split_channels,
)
from ..spec import LayerSpec, Sample, register
from .common import activation, data_format, positive_int, use_bias, weight_params


def kernel_size_param(rank: int) -> ParamSpec:
    return ParamSpec("kernel_size", "ints", length=rank, min=1, initial=(3,) * rank,
                     doc="Size of the convolution window along each spatial axis")


def strides_param(rank: int) -> ParamSpec:
    return ParamSpec("strides", "ints", default=(1,) * rank, length=rank, min=1,
                     doc="Step of the window along each spatial axis")


def padding_param(*extra: str) -> ParamSpec:
    return ParamSpec("padding", "choice", default="valid", choices=("valid", "same", *extra),
                     doc="valid: no padding; same: pad so that output = ceil(input / strides)")


def dilation_param(rank: int) -> ParamSpec:
    return ParamSpec("dilation_rate", "ints", default=(1,) * rank, length=rank, min=1,
                     doc="Spacing between kernel taps (atrous convolution)")


def filters_param() -> ParamSpec:
    return positive_int("filters", 32, "Number of output channels")


# -- cross-parameter checks (Keras raises these in the constructor) ---------------------------

def strides_dilation_problem(params) -> str | None:
    if max(params["strides"]) > 1 and max(params["dilation_rate"]) > 1:
        return ("strides > 1 is not supported together with dilation_rate > 1. "
                f"Received: strides={params['strides']}, dilation_rate={params['dilation_rate']}")
    return None


def _conv_check(params) -> str | None:
    if params["filters"] % params["groups"]:
        return ("The number of filters must be evenly divisible by the number of groups. "
                f"Received: groups={params['groups']}, filters={params['filters']}")
    return strides_dilation_problem(params)


def _transpose_check(params) -> str | None:
    padding = params["output_padding"]
    if padding is not None:
        for axis, (extra, stride) in enumerate(zip(padding, params["strides"], strict=True)):
            if extra >= stride:
                return ("output_padding must be strictly less than strides on every axis "
                        f"(axis {axis}: {extra} >= {stride}). Received: "
                        f"output_padding={padding}, strides={params['strides']}")
    return strides_dilation_problem(params)


# -- shape rules --------------------------------------------------------------------------------

def conv_input(kind: str, rank: int, params, shape) -> tuple[tuple, int]:
    """(spatial dims, channels) of a conv input, after the rank and channel checks."""
    require_rank(shape, rank + 2, kind)
    spatial, channels = split_channels(shape, params["data_format"])
    require_known(channels, f"The channel dimension of the input to {kind}", shape)
    return spatial, channels


def conv_spatial(kind: str, params, shape, spatial) -> list:
    """Output spatial dims; refuses a window that does not fit with padding='valid'."""
    out = []
    axes = zip(spatial, params["kernel_size"], params["strides"], params["dilation_rate"],
               strict=True)
    for length, kernel, stride, dilation in axes:
        n = conv_output_length(length, kernel, params["padding"], stride, dilation)
        if n is not None and n <= 0:
            raise ShapeError(
                f"{kind} would compute an empty output: the window "
                f"(kernel_size={params['kernel_size']}, dilation_rate={params['dilation_rate']}) "
                f"is larger than the input with padding='valid'. "
                f"Received: input_shape={fmt(shape)}",
                port=0,
            )
        out.append(n)
    return out


def conv_shape(kind: str, rank: int):
    """The shape rule of a kind whose output has `filters` channels (Conv, SeparableConv)."""
    def rule(params, inputs):
        (shape,) = inputs
        spatial, channels = conv_input(kind, rank, params, shape)
        groups = params.get("groups", 1)
        if channels % groups:
            raise ShapeError(
                f"{kind}: the input channels must be evenly divisible by groups. "
                f"Received: groups={groups}, input_shape={fmt(shape)} ({channels} channels)",
                port=0,
            )
        out = conv_spatial(kind, params, shape, spatial)
        return join_channels(shape[0], out, params["filters"], params["data_format"])

    return rule


def _transpose_shape(kind: str, rank: int):
    def rule(params, inputs):
        (shape,) = inputs
        spatial, _ = conv_input(kind, rank, params, shape)
        extra = params["output_padding"] or (None,) * len(spatial)
        axes = zip(spatial, params["kernel_size"], params["strides"], extra,
                   params["dilation_rate"], strict=True)
        out = [deconv_output_length(length, kernel, params["padding"], stride, pad, dilation)
               for length, kernel, stride, pad, dilation in axes]
        return join_channels(shape[0], out, params["filters"], params["data_format"])

    return rule


# -- count rules --------------------------------------------------------------------------------

def input_channels(params, inputs) -> int:
    """The channels of the input (known: the shape rule refused it otherwise)."""
    return split_channels(inputs[0], params["data_format"])[1]


def bias_count(params, width: int) -> int:
    """Weights of the bias over `width` output channels, if the layer has one."""
    return width if params["use_bias"] else 0


def _conv_count(params, inputs):
    per_group = input_channels(params, inputs) // params["groups"]
    kernel = math.prod(params["kernel_size"]) * per_group * params["filters"]
    return (kernel + bias_count(params, params["filters"]), 0)


def _transpose_count(params, inputs):
    kernel = math.prod(params["kernel_size"]) * input_channels(params, inputs) * params["filters"]
    return (kernel + bias_count(params, params["filters"]), 0)


# -- entries ------------------------------------------------------------------------------------

def _conv_params(rank: int, *extra_padding: str) -> tuple[ParamSpec, ...]:
    return (
        filters_param(), kernel_size_param(rank), strides_param(rank),
        padding_param(*extra_padding), data_format(), dilation_param(rank),
        ParamSpec("groups", "int", default=1, min=1,
                  doc="Split the channels into this many independent convolutions"),
        activation(), use_bias(), *weight_params("kernel"),
    )


CONV_SAMPLES = {
    # The first sample of each kind is valid in both data formats and both paddings, so
    # that the spec tests can flip every choice against Keras.
    1: (Sample({"filters": 4, "kernel_size": 3}, ((None, 10, 6),)),
        Sample({"filters": 6, "kernel_size": 5, "padding": "causal", "dilation_rate": 2,
                "groups": 3}, ((None, 20, 9),)),
        Sample({"filters": 2, "kernel_size": 4, "strides": 3, "padding": "same",
                "use_bias": False}, ((8, None, 5),)),
        Sample({"filters": 3, "kernel_size": 2, "data_format": "channels_first"},
               ((None, 4, 7),))),
    2: (Sample({"filters": 8, "kernel_size": (3, 2), "strides": (2, 1)}, ((None, 7, 9, 6),)),
        Sample({"filters": 32, "kernel_size": 3, "activation": "relu"}, ((None, 28, 28, 1),)),
        Sample({"filters": 4, "kernel_size": 3, "padding": "same", "strides": 2,
                "use_bias": False}, ((None, None, None, 3),)),
        Sample({"filters": 6, "kernel_size": 3, "dilation_rate": (2, 3), "groups": 2,
                "data_format": "channels_first"}, ((2, 4, 11, 13),)),
        Sample({"filters": 4, "kernel_size": 5}, ((None, 4, 4, 3),))),
    3: (Sample({"filters": 4, "kernel_size": (3, 2, 1), "strides": (1, 2, 3)},
               ((None, 5, 6, 7, 4),)),
        Sample({"filters": 8, "kernel_size": 3, "padding": "same", "groups": 2,
                "data_format": "channels_first"}, ((None, 4, 5, None, 6),)),
        Sample({"filters": 2, "kernel_size": 2, "dilation_rate": 2, "use_bias": False},
               ((1, 9, 8, 7, 3),))),
}

_CONV_INPUTS = {1: "sequences", 2: "images", 3: "volumes"}

for _rank in (1, 2, 3):
    register(LayerSpec(
        kind=f"Conv{_rank}D",
        category="Convolution",
        doc=f"{_rank}D convolution over {_CONV_INPUTS[_rank]}: `filters` learned kernels",
        params=_conv_params(_rank, *(("causal",) if _rank == 1 else ())),
        shape=conv_shape(f"Conv{_rank}D", _rank),
        count=_conv_count,
        check=_conv_check,
        samples=CONV_SAMPLES[_rank],
    ))

TRANSPOSE_SAMPLES = {
    1: (Sample({"filters": 4, "kernel_size": 3, "strides": 2}, ((None, 5, 6),)),
        Sample({"filters": 8, "kernel_size": 4, "strides": 3, "padding": "same",
                "output_padding": 1}, ((None, None, 3),)),
        Sample({"filters": 5, "kernel_size": 3, "dilation_rate": 2, "output_padding": 0,
                "data_format": "channels_first"}, ((None, 3, 6),)),
        Sample({"filters": 2, "kernel_size": 3, "output_padding": 1}, ((None, 4, 3),))),
    2: (Sample({"filters": 4, "kernel_size": 3, "strides": 2}, ((None, 5, 7, 6),)),
        Sample({"filters": 8, "kernel_size": (4, 3), "strides": (2, 3), "padding": "same",
                "output_padding": (1, 0)}, ((None, 6, None, 3),)),
        Sample({"filters": 2, "kernel_size": 2, "strides": 3, "use_bias": False},
               ((3, 4, 4, 1),)),
        Sample({"filters": 5, "kernel_size": 3, "dilation_rate": 2, "output_padding": 0,
                "data_format": "channels_first"}, ((None, 3, 6, 5),)),
        Sample({"filters": 3, "kernel_size": 5, "strides": 2, "padding": "same"},
               ((None, 7, 7, 2),))),
    3: (Sample({"filters": 4, "kernel_size": 3, "strides": 2}, ((None, 3, 4, 5, 2),)),
        Sample({"filters": 2, "kernel_size": (2, 3, 1), "strides": (2, 1, 3),
                "padding": "same", "output_padding": (1, 0, 2)}, ((None, 4, None, 3, 3),)),
        Sample({"filters": 3, "kernel_size": 2, "use_bias": False,
                "data_format": "channels_first"}, ((1, 2, 3, 4, 5),))),
}

for _rank in (1, 2, 3):
    register(LayerSpec(
        kind=f"Conv{_rank}DTranspose",
        category="Convolution",
        doc=f"Transposed {_rank}D convolution (upsampling by strides), the gradient of "
            f"Conv{_rank}D",
        params=(
            filters_param(), kernel_size_param(_rank), strides_param(_rank), padding_param(),
            ParamSpec("output_padding", "ints", default=None, allow_none=True, length=_rank,
                      min=0, doc="Extra steps on one side of each output axis; empty = inferred"),
            data_format(), dilation_param(_rank), activation(), use_bias(),
            *weight_params("kernel"),
        ),
        shape=_transpose_shape(f"Conv{_rank}DTranspose", _rank),
        count=_transpose_count,
        check=_transpose_check,
        samples=TRANSPOSE_SAMPLES[_rank],
    ))
