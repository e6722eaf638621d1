"""Pooling kinds: windowed max/average pooling and global pooling.

Windowed pooling follows Keras' `compute_pooling_output_shape`: `strides`
left empty means `pool_size`, and `padding="valid"` refuses a window larger than
the input. Unknown spatial dimensions stay unknown. Pooling has no weights.
"""

from __future__ import annotations

from ..errors import ShapeError
from ..params import REQUIRED, ParamSpec
from ..shapes import join_channels, pooling_output_shape, require_rank, split_channels
from ..spec import LayerSpec, Sample, register
from .common import data_format

_SPATIAL = {1: "steps", 2: "height and width", 3: "depth, height and width"}


def _pool_params(rank: int, required_pool: bool) -> tuple[ParamSpec, ...]:
    # Keras gives MaxPooling a default pool_size but makes AveragePooling ask for one.
    window = (2,) * rank
    return (
        ParamSpec("pool_size", "ints", default=REQUIRED if required_pool else window,
                  initial=window, length=rank, min=1,
                  doc="Size of the pooling window along each spatial axis"),
        ParamSpec("strides", "ints", default=None, allow_none=True, length=rank, min=1,
                  doc="Step of the window; empty = pool_size"),
        ParamSpec("padding", "choice", default="valid", choices=("valid", "same"),
                  doc="valid: no padding; same: pad so that output = ceil(input / strides)"),
        data_format(),
    )


def _pool_shape(kind: str, rank: int):
    def rule(params, inputs):
        (shape,) = inputs
        require_rank(shape, rank + 2, kind)
        strides = params["strides"] or params["pool_size"]
        try:
            return pooling_output_shape(shape, params["pool_size"], strides, params["padding"],
                                        params["data_format"])
        except ShapeError as exc:  # the shared helper does not know the kind or the port
            raise ShapeError(f"{kind}: {exc}", port=0) from None

    return rule


def _global_shape(kind: str, rank: int):
    def rule(params, inputs):
        (shape,) = inputs
        require_rank(shape, rank + 2, kind)
        _, channels = split_channels(shape, params["data_format"])
        if not params["keepdims"]:
            return (shape[0], channels)
        return join_channels(shape[0], (1,) * rank, channels, params["data_format"])

    return rule


POOL_SAMPLES = {
    # First samples are valid in both data formats and both paddings (see the spec tests).
    1: (Sample({"pool_size": 3}, ((None, 10, 7),)),
        Sample({"pool_size": 2, "strides": 1, "padding": "same"}, ((None, None, 4),)),
        Sample({"pool_size": 4, "strides": 3, "data_format": "channels_first"}, ((2, 3, 11),)),
        Sample({"pool_size": 5}, ((None, 4, 8),))),
    2: (Sample({"pool_size": (3, 2)}, ((None, 7, 9, 5),)),
        Sample({}, ((None, 28, 28, 32),)),
        Sample({"pool_size": 3, "strides": (2, 1), "padding": "same"}, ((None, 9, None, 3),)),
        Sample({"pool_size": 2, "strides": 3, "data_format": "channels_first"},
               ((4, 3, 11, 8),)),
        Sample({"pool_size": 3}, ((None, 2, 9, 4),))),
    3: (Sample({"pool_size": (2, 3, 1)}, ((None, 5, 6, 7, 4),)),
        Sample({"pool_size": 2, "strides": 1, "padding": "same",
                "data_format": "channels_first"}, ((None, 2, 5, None, 3),)),
        Sample({"pool_size": 3, "strides": (1, 2, 3)}, ((1, 3, 8, 9, 2),))),
}

GLOBAL_SAMPLES = {
    1: (Sample({}, ((None, 10, 6),)),
        Sample({"keepdims": True, "data_format": "channels_first"}, ((3, 4, None),))),
    2: (Sample({}, ((None, 7, 9, 5),)),
        Sample({"keepdims": True}, ((None, None, None, 16),)),
        Sample({"data_format": "channels_first"}, ((2, 8, 3, 4),))),
    3: (Sample({}, ((None, 3, 4, 5, 6),)),
        Sample({"keepdims": True, "data_format": "channels_first"}, ((2, 3, None, 4, 5),)),
        Sample({}, ((None, 4, 5, 6),))),
}

for _mode, _ranks in (("Max", (1, 2, 3)), ("Average", (1, 2, 3))):
    for _rank in _ranks:
        _kind = f"{_mode}Pooling{_rank}D"
        register(LayerSpec(
            kind=_kind,
            category="Pooling",
            doc=f"{_mode} over a sliding window on the {_SPATIAL[_rank]} axes",
            params=_pool_params(_rank, required_pool=_mode == "Average"),
            shape=_pool_shape(_kind, _rank),
            samples=POOL_SAMPLES[_rank],
        ))

for _mode in ("Average", "Max"):
    for _rank in (1, 2, 3):
        _kind = f"Global{_mode}Pooling{_rank}D"
        register(LayerSpec(
            kind=_kind,
            category="Pooling",
            doc=f"{_mode} over all of the {_SPATIAL[_rank]} axes, one value per channel",
            params=(
                data_format(),
                ParamSpec("keepdims", "bool", default=False,
                          doc="Keep the pooled axes with length 1"),
            ),
            shape=_global_shape(_kind, _rank),
            samples=GLOBAL_SAMPLES[_rank],
        ))


def _adaptive_shape(kind: str, rank: int):
    def rule(params, inputs):
        (shape,) = inputs
        require_rank(shape, rank + 2, kind)
        _, channels = split_channels(shape, params["data_format"])
        return join_channels(shape[0], params["output_size"], channels, params["data_format"])

    return rule


ADAPTIVE_SAMPLES = {
    1: (Sample({"output_size": 3}, ((None, 10, 4),)),
        Sample({"output_size": 5, "data_format": "channels_first"}, ((2, 3, None),))),
    2: (Sample({"output_size": (3, 2)}, ((None, 7, 9, 4),)),
        Sample({"output_size": 4, "data_format": "channels_first"}, ((None, 3, None, 5),))),
    3: (Sample({"output_size": (1, 2, 3)}, ((None, 4, 5, 6, 2),)),
        Sample({"output_size": 2, "data_format": "channels_first"}, ((1, 2, 3, 4, 5),))),
}

for _mode in ("Average", "Max"):
    for _rank in (1, 2, 3):
        _kind = f"Adaptive{_mode}Pooling{_rank}D"
        register(LayerSpec(
            kind=_kind,
            category="Pooling",
            doc=f"{_mode} pooling to a fixed output size on the {_SPATIAL[_rank]} axes, "
                "whatever the input size",
            params=(
                ParamSpec("output_size", "ints", initial=(2,) * _rank, length=_rank, min=1,
                          doc="Size of the output along each spatial axis"),
                data_format(),
            ),
            shape=_adaptive_shape(_kind, _rank),
            samples=ADAPTIVE_SAMPLES[_rank],
        ))
