"""Convolutional LSTM kinds: ConvLSTM1D, ConvLSTM2D and ConvLSTM3D.

Input is (batch, timesteps, *spatial, channels) (channels after timesteps with
channels_first). Each step is an LSTM whose gates are convolutions: the input
convolution follows strides, padding and dilation_rate, the recurrent one is a
"same" convolution of the state. The output is the last step's state
(batch, *spatial_out, filters), or every step's with return_sequences; with
return_state two more ports carry the final h and c, each (batch, *spatial_out,
filters). Keras needs every spatial dim and the channels known. With initial_state
the starting h and c come on input ports 1 and 2, each of that state shape (see
`recurrent_state`).

Weights: kernel (*kernel_size, channels, 4 * filters), recurrent kernel
(*kernel_size, filters, 4 * filters) and a bias of 4 * filters.
"""

from __future__ import annotations

import math

from ..errors import ShapeError
from ..shapes import fmt, require_known, require_rank, split_channels
from ..spec import LayerSpec, Sample, register
from .common import activation, data_format, rate, seed_param, use_bias
from .conv import (
    conv_spatial,
    dilation_param,
    filters_param,
    kernel_size_param,
    padding_param,
    strides_dilation_problem,
    strides_param,
)
from .recurrent import recurrent_weights, sequence_flags
from .recurrent_state import check_states, initial_state_param, ports


def _params(rank: int) -> tuple:
    return (
        filters_param(), kernel_size_param(rank), strides_param(rank), padding_param(),
        data_format(), dilation_param(rank),
        activation("tanh"), activation("sigmoid", name="recurrent_activation"), use_bias(),
        *recurrent_weights(unit_forget_bias=True),
        rate("dropout", 0.0, "Fraction of the inputs to drop"),
        rate("recurrent_dropout", 0.0, "Fraction of the recurrent state to drop"),
        seed_param(),
        *sequence_flags(),
        initial_state_param(),
    )


def _step_input(kind: str, rank: int, params, shape) -> tuple[tuple, int]:
    """(spatial dims, channels) of one step of the sequence, after Keras' checks."""
    require_rank(shape, rank + 3, kind)
    step = (shape[0], *shape[2:])
    spatial, channels = split_channels(step, params["data_format"])
    if None in spatial:
        raise ShapeError(f"{kind} needs every spatial dim of its input known. "
                         f"Received: input_shape={fmt(shape)}", port=0)
    require_known(channels, f"The channel dimension of the input to {kind}", shape)
    return spatial, channels


def _shape(kind: str, rank: int):
    def rule(params, inputs):
        shape = inputs[0]
        spatial, _ = _step_input(kind, rank, params, shape)
        batch = shape[0]
        if params["stateful"] and batch is None:
            raise ShapeError(
                f"{kind} with stateful=True needs a fixed batch size (set batch_size on "
                f"the Input). Received: input_shape={fmt(shape)}", port=0)
        out_spatial = conv_spatial(kind, params, shape, spatial)
        channels_first = params["data_format"] == "channels_first"
        state = ((params["filters"], *out_spatial) if channels_first
                 else (*out_spatial, params["filters"]))
        out = (batch, shape[1], *state) if params["return_sequences"] else (batch, *state)
        if params["initial_state"]:
            check_states(kind, params, inputs, [(batch, *state)] * 2)
        return [out, (batch, *state), (batch, *state)] if params["return_state"] else out

    return rule


def _count(params, inputs):
    channels = split_channels((inputs[0][0], *inputs[0][2:]), params["data_format"])[1]
    window, filters = math.prod(params["kernel_size"]), params["filters"]
    bias = 4 * filters if params["use_bias"] else 0
    return (window * (channels + filters) * 4 * filters + bias, 0)


_SAMPLES = {
    # The first sample of each rank fits both paddings and both data formats, so the spec
    # tests flip every choice against Keras.
    1: (Sample({"filters": 4, "kernel_size": 3}, ((None, 5, 8, 6),)),
        Sample({"filters": 3, "kernel_size": 2, "strides": 2, "padding": "same",
                "return_sequences": True, "return_state": True}, ((2, None, 9, 4),)),
        Sample({"filters": 2, "kernel_size": 3, "dilation_rate": 2, "use_bias": False},
               ((None, 4, 11, 3),)),
        Sample({"filters": 2, "kernel_size": 3, "data_format": "channels_first",
                "return_state": True}, ((None, 4, 3, 10),)),
        Sample({"filters": 2, "kernel_size": 3, "initial_state": True, "return_state": True},
               ((None, 4, 8, 3), (None, 6, 2), (None, 6, 2))),
        Sample({"filters": 2, "kernel_size": 3, "initial_state": True,
                "data_format": "channels_first"}, ((None, 4, 3, 8), (None, 2, 6), (None, 2, 6))),
        Sample({"filters": 2, "kernel_size": 3, "initial_state": True},
               ((None, 4, 8, 3), (None, 6, 3), (None, 6, 3))),
        Sample({"filters": 2, "kernel_size": 3}, ((None, 4, None, 3),)),
        Sample({"filters": 2, "kernel_size": 5}, ((None, 4, 3, 3),)),
        Sample({"filters": 2, "kernel_size": 3}, ((None, 4, 6),))),
    2: (Sample({"filters": 4, "kernel_size": 3}, ((None, 3, 7, 7, 5),)),
        Sample({"filters": 2, "kernel_size": (3, 2), "strides": (2, 1), "padding": "same",
                "return_sequences": True}, ((None, 4, 9, 6, 3),)),
        Sample({"filters": 3, "kernel_size": 2, "dilation_rate": (2, 1), "return_state": True,
                "data_format": "channels_first"}, ((None, 2, 4, 8, 6),)),
        Sample({"filters": 2, "kernel_size": 3, "stateful": True}, ((2, 3, 5, 5, 1),)),
        Sample({"filters": 2, "kernel_size": 3}, ((None, 3, None, 7, 5),)),
        Sample({"filters": 2, "kernel_size": 3, "padding": "same", "initial_state": True},
               ((None, 3, 5, 5, 1), (None, 5, 5, 2), (None, 5, 5, 2)))),
    3: (Sample({"filters": 2, "kernel_size": 2}, ((None, 2, 4, 5, 3, 2),)),
        Sample({"filters": 3, "kernel_size": (2, 1, 3), "strides": (1, 2, 1), "padding": "same",
                "return_sequences": True, "return_state": True}, ((None, 3, 4, 6, 5, 2),)),
        Sample({"filters": 2, "kernel_size": 2, "data_format": "channels_first"},
               ((1, 2, 3, 4, 5, 6),)),
        Sample({"filters": 2, "kernel_size": 2, "initial_state": True, "return_state": True},
               ((None, 2, 4, 5, 3, 2), *[(None, 3, 4, 2, 2)] * 2))),
}

for _rank in (1, 2, 3):
    _kind = f"ConvLSTM{_rank}D"
    register(LayerSpec(
        kind=_kind,
        category="Recurrent",
        doc=f"LSTM whose gates are {_rank}D convolutions, over sequences of "
            f"{'signals' if _rank == 1 else 'images' if _rank == 2 else 'volumes'}",
        params=_params(_rank),
        shape=_shape(_kind, _rank),
        count=_count,
        check=strides_dilation_problem,
        outputs=lambda params: 3 if params.get("return_state") else 1,
        samples=_SAMPLES[_rank],
        keyword_ports=ports(_kind),
    ))
