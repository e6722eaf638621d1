"""Depthwise convolution kinds: DepthwiseConv1D/2D convolve each input channel on its own
(`depth_multiplier` outputs per channel); SeparableConv1D/2D follow that with a pointwise
convolution mixing the channels into `filters`. Shapes and checks as in `conv.py`.
"""

from __future__ import annotations

import math

from ..params import ParamSpec
from ..shapes import join_channels
from ..spec import LayerSpec, Sample, register
from .common import activation, data_format, use_bias, weight_params
from .conv import (
    bias_count,
    conv_input,
    conv_shape,
    conv_spatial,
    dilation_param,
    filters_param,
    input_channels,
    kernel_size_param,
    padding_param,
    strides_param,
)


def _depth_multiplier() -> ParamSpec:
    return ParamSpec("depth_multiplier", "int", default=1, min=1,
                     doc="Depthwise output channels per input channel")


def _depthwise_shape(kind: str, rank: int):
    def rule(params, inputs):
        (shape,) = inputs
        spatial, channels = conv_input(kind, rank, params, shape)
        out = conv_spatial(kind, params, shape, spatial)
        filters = channels * params["depth_multiplier"]
        return join_channels(shape[0], out, filters, params["data_format"])

    return rule


def _depthwise_count(params, inputs):
    width = input_channels(params, inputs) * params["depth_multiplier"]
    return (math.prod(params["kernel_size"]) * width + bias_count(params, width), 0)


def _separable_count(params, inputs):
    width = input_channels(params, inputs) * params["depth_multiplier"]
    depthwise = math.prod(params["kernel_size"]) * width
    pointwise = width * params["filters"]
    return (depthwise + pointwise + bias_count(params, params["filters"]), 0)


SEPARABLE_SAMPLES = {
    1: (Sample({"filters": 4, "kernel_size": 3, "depth_multiplier": 2}, ((None, 9, 5),)),
        Sample({"filters": 3, "kernel_size": 5, "strides": 2, "padding": "same",
                "use_bias": False}, ((None, None, 3),)),
        Sample({"filters": 6, "kernel_size": 3, "dilation_rate": 2,
                "data_format": "channels_first"}, ((4, 3, 9),)),
        Sample({"filters": 2, "kernel_size": 7}, ((None, 5, 3),))),
    2: (Sample({"filters": 8, "kernel_size": 3, "depth_multiplier": 2}, ((None, 7, 10, 5),)),
        Sample({"filters": 4, "kernel_size": (3, 5), "strides": 2, "padding": "same",
                "use_bias": False}, ((None, None, 15, 3),)),
        Sample({"filters": 6, "kernel_size": 3, "dilation_rate": 2,
                "data_format": "channels_first"}, ((4, 3, 9, 9),)),
        Sample({"filters": 6, "kernel_size": 3, "strides": 2, "dilation_rate": 2},
               ((None, 12, 12, 3),))),
}

DEPTHWISE_SAMPLES = {
    1: (Sample({"kernel_size": 3, "depth_multiplier": 3}, ((None, 9, 4),)),
        Sample({"kernel_size": 5, "strides": 2, "padding": "same", "use_bias": False},
               ((None, None, 8),)),
        Sample({"kernel_size": 3, "dilation_rate": 2, "data_format": "channels_first"},
               ((2, 3, 10),)),
        Sample({"kernel_size": 7}, ((None, 5, 2),))),
    2: (Sample({"kernel_size": 3, "depth_multiplier": 3}, ((None, 6, 9, 4),)),
        Sample({"kernel_size": (5, 3), "strides": (2, 3), "padding": "same",
                "use_bias": False}, ((None, 11, None, 8),)),
        Sample({"kernel_size": 3, "dilation_rate": 2, "data_format": "channels_first"},
               ((2, 3, 10, 12),)),
        Sample({"kernel_size": 3, "strides": 2, "dilation_rate": 2}, ((None, 9, 9, 2),)),
        Sample({"kernel_size": 7}, ((None, 5, 9, 2),))),
}

for _rank in (1, 2):
    register(LayerSpec(
        kind=f"SeparableConv{_rank}D",
        category="Convolution",
        doc=f"Depthwise {_rank}D convolution per channel, then a pointwise one mixing channels",
        params=(
            filters_param(), kernel_size_param(_rank), strides_param(_rank), padding_param(),
            data_format(), dilation_param(_rank), _depth_multiplier(), activation(), use_bias(),
            *weight_params("depthwise", "pointwise"),
        ),
        shape=conv_shape(f"SeparableConv{_rank}D", _rank),
        count=_separable_count,
        samples=SEPARABLE_SAMPLES[_rank],
    ))
    register(LayerSpec(
        kind=f"DepthwiseConv{_rank}D",
        category="Convolution",
        doc=f"{_rank}D convolution of each input channel on its own "
            "(depth_multiplier per channel)",
        params=(
            kernel_size_param(_rank), strides_param(_rank), padding_param(), _depth_multiplier(),
            data_format(), dilation_param(_rank), activation(), use_bias(),
            *weight_params("depthwise"),
        ),
        shape=_depthwise_shape(f"DepthwiseConv{_rank}D", _rank),
        count=_depthwise_count,
        samples=DEPTHWISE_SAMPLES[_rank],
    ))
