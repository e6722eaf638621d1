"""Spatial resizers in 1, 2 and 3 dimensions: UpSampling, ZeroPadding and Cropping.

The input is (batch, spatial..., channels), or channels first where the kind
has a `data_format` (the 1D UpSampling and Cropping have none). Each spatial
length changes on its own; unknown lengths stay unknown. No weights.
"""

from __future__ import annotations

from ..errors import ShapeError
from ..params import ParamSpec
from ..shapes import fmt, join_channels, require_rank, split_channels
from ..spec import LayerSpec, Sample, register
from .common import data_format

# Resize methods that the torch backend implements (`keras.ops.image.resize`).
INTERPOLATIONS = ("nearest", "bilinear", "bicubic")
_AXES = {1: "steps", 2: "rows and columns", 3: "depth, rows and columns"}


def _resized(kind: str, rank: int, params, shape, change) -> tuple:
    """The input with `change(axis, length)` applied to each known spatial length."""
    require_rank(shape, rank + 2, kind)
    fmt_name = params.get("data_format", "channels_last")
    spatial, channels = split_channels(shape, fmt_name)
    out = [None if n is None else change(axis, n) for axis, n in enumerate(spatial)]
    return join_channels(shape[0], out, channels, fmt_name)


def _per_axis(value, rank: int) -> tuple:
    """An int or ints param as one entry per spatial axis."""
    return (value,) * rank if isinstance(value, int) else tuple(value)


def _pairs(value, rank: int) -> tuple:
    """Padding or cropping as one (before, after) pair per spatial axis."""
    return (tuple(value),) if rank == 1 else tuple(value)


def _upsampling_shape(kind: str, rank: int):
    def rule(params, inputs):
        size = _per_axis(params["size"], rank)
        return _resized(kind, rank, params, inputs[0], lambda axis, n: n * size[axis])

    return rule


def _padding_shape(kind: str, rank: int):
    def rule(params, inputs):
        pad = _pairs(params["padding"], rank)
        return _resized(kind, rank, params, inputs[0], lambda axis, n: n + sum(pad[axis]))

    return rule


def _cropping_shape(kind: str, rank: int):
    def rule(params, inputs):
        shape = inputs[0]
        crop = _pairs(params["cropping"], rank)

        def cropped(axis, n):
            if sum(crop[axis]) >= n:
                raise ShapeError(
                    f"{kind} crops at least the whole input: cropping={params['cropping']} "
                    f"must be smaller than the spatial dimensions. Received: "
                    f"input_shape={fmt(shape)}", port=0)
            return n - sum(crop[axis])

        return _resized(kind, rank, params, shape, cropped)

    return rule


def _size(rank: int) -> ParamSpec:
    if rank == 1:
        return ParamSpec("size", "int", default=2, min=1, doc="Upsampling factor of the steps")
    return ParamSpec("size", "ints", default=(2,) * rank, length=rank, min=1,
                     doc=f"Upsampling factors of the {_AXES[rank]}")


def _pair_param(name: str, rank: int, default: int) -> ParamSpec:
    doc = f"Amount per side on the {_AXES[rank]}: int, one per axis, or (before, after) pairs"
    if rank == 1:
        return ParamSpec(name, "ints", default=(default, default), length=2, min=0,
                         doc="Amount at the start and end of the steps: int or (start, end)")
    return ParamSpec(name, "pairs", default=((default, default),) * rank, length=rank, doc=doc)


UPSAMPLING_SAMPLES = {
    1: (Sample({"size": 3}, ((None, 5, 4),)), Sample({}, ((2, None, 3),)),
        Sample({}, ((None, 5, 4, 2),))),
    2: (Sample({"size": (2, 3)}, ((None, 5, 4, 3),)),
        Sample({"interpolation": "bilinear"}, ((None, None, 7, 2),)),
        Sample({"size": 3, "data_format": "channels_first"}, ((2, 3, 4, 5),))),
    3: (Sample({"size": (1, 2, 3)}, ((None, 2, 3, 4, 5),)),
        Sample({"data_format": "channels_first"}, ((None, 3, None, 4, 5),)),
        Sample({}, ((None, 4, 5, 3),))),
}
PADDING_SAMPLES = {
    1: (Sample({"padding": (2, 3)}, ((None, 5, 4),)),
        Sample({"padding": 1, "data_format": "channels_first"}, ((3, 4, None),))),
    2: (Sample({"padding": ((1, 2), (0, 3))}, ((None, 5, 6, 3),)),
        Sample({}, ((None, None, 8, 1),)),
        Sample({"padding": (2, 0), "data_format": "channels_first"}, ((4, 3, 5, 6),))),
    3: (Sample({"padding": ((1, 0), (0, 2), (3, 3))}, ((None, 2, 3, 4, 5),)),
        Sample({"padding": 2, "data_format": "channels_first"}, ((1, 3, 4, None, 2),))),
}
CROPPING_SAMPLES = {
    1: (Sample({"cropping": (2, 1)}, ((None, 7, 4),)), Sample({}, ((None, None, 3),)),
        Sample({"cropping": (3, 3)}, ((None, 6, 2),))),
    2: (Sample({"cropping": ((1, 2), (0, 3))}, ((None, 7, 6, 5),)),
        Sample({"cropping": 2}, ((None, None, 9, 3),)),
        Sample({"cropping": (1, 0), "data_format": "channels_first"}, ((2, 3, 5, 4),)),
        Sample({"cropping": ((2, 2), (0, 0))}, ((None, 4, 6, 3),))),
    3: (Sample({"cropping": ((1, 0), (0, 2), (1, 1))}, ((None, 4, 5, 6, 2),)),
        Sample({"data_format": "channels_first"}, ((None, 2, 3, None, 4),)),
        Sample({}, ((None, 2, 5, 6, 3),))),
}

for _rank in (1, 2, 3):
    _format = (data_format(),)
    _kind = f"UpSampling{_rank}D"
    _interp = (ParamSpec("interpolation", "choice", default="nearest", choices=INTERPOLATIONS,
                         doc="How new pixels are computed"),) if _rank == 2 else ()
    register(LayerSpec(
        kind=_kind, category="Reshaping",
        doc=f"Repeats the {_AXES[_rank]} by integer factors" + (
            " (or resizes)" if _rank == 2 else ""),
        params=(_size(_rank), *(() if _rank == 1 else _format), *_interp),
        shape=_upsampling_shape(_kind, _rank),
        samples=UPSAMPLING_SAMPLES[_rank],
    ))
    _kind = f"ZeroPadding{_rank}D"
    register(LayerSpec(
        kind=_kind, category="Reshaping",
        doc=f"Adds zeros around the {_AXES[_rank]}",
        params=(_pair_param("padding", _rank, 1), *_format),
        shape=_padding_shape(_kind, _rank),
        samples=PADDING_SAMPLES[_rank],
    ))
    _kind = f"Cropping{_rank}D"
    register(LayerSpec(
        kind=_kind, category="Reshaping",
        doc=f"Removes entries from the edges of the {_AXES[_rank]}",
        params=(_pair_param("cropping", _rank, 0 if _rank == 2 else 1),
                *(() if _rank == 1 else _format)),
        shape=_cropping_shape(_kind, _rank),
        samples=CROPPING_SAMPLES[_rank],
    ))
