"""Reshaping kinds: Flatten, Reshape, Permute, RepeatVector, UpSampling2D, ZeroPadding2D,
Cropping2D. None of them has weights; the batch axis always passes through unchanged.
"""

from __future__ import annotations

from ..errors import ShapeError
from ..params import ParamSpec
from ..shapes import (
    fmt,
    join_channels,
    num_elements,
    require_min_rank,
    require_rank,
    split_channels,
)
from ..spec import LayerSpec, Sample, register
from .common import data_format, positive_int

# Resize methods that the torch backend implements (`keras.ops.image.resize`).
INTERPOLATIONS = ("nearest", "bilinear", "bicubic")


def _flatten_shape(params, inputs):
    (shape,) = inputs
    require_min_rank(shape, 1, "Flatten")
    return (shape[0], num_elements(shape[1:]))


register(LayerSpec(
    kind="Flatten",
    category="Reshaping",
    doc="Flattens every axis but the batch into one",
    params=(data_format(),),
    shape=_flatten_shape,
    samples=(
        Sample({}, ((None, 4, 5, 3),)),
        Sample({}, ((None, 784),)),
        Sample({"data_format": "channels_first"}, ((2, 3, None, 4),)),
        Sample({}, ((7,),)),
    ),
))


def _target_shape_problem(dims) -> str | None:
    if any(d == 0 or d < -1 for d in dims):
        return "positive integers, with -1 for one dimension to infer"
    if dims.count(-1) > 1:
        return "at most one -1 (the dimension to infer)"
    return None


def _reshape_shape(params, inputs):
    (shape,) = inputs
    require_min_rank(shape, 1, "Reshape")
    target = params["target_shape"]
    size = num_elements(shape[1:])
    if size is None:
        # An unknown input dimension leaves the inferred one unknown too (as in Keras).
        return (shape[0], *(None if d == -1 else d for d in target))
    known = num_elements([d for d in target if d != -1])
    if (-1 in target and size % known) or (-1 not in target and size != known):
        raise ShapeError(
            f"Reshape cannot keep the number of elements ({size} per sample): "
            f"target_shape={target} does not fit. Received: input_shape={fmt(shape)}",
            port=0,
        )
    return (shape[0], *(size // known if d == -1 else d for d in target))


register(LayerSpec(
    kind="Reshape",
    category="Reshaping",
    doc="Reshapes each sample to target_shape (batch excluded; -1 = inferred)",
    params=(ParamSpec("target_shape", "int_list", min=-1, initial=(-1,),
                      check=_target_shape_problem,
                      doc="New shape without the batch axis; one entry may be -1"),),
    shape=_reshape_shape,
    samples=(
        Sample({"target_shape": (4, -1)}, ((None, 6, 2),)),
        Sample({"target_shape": (7, 7, 16)}, ((None, 784),)),
        Sample({"target_shape": (-1, 3)}, ((None, None, 3),)),
        Sample({"target_shape": (5, 5)}, ((None, 24),)),
        Sample({"target_shape": (5, -1)}, ((3, 4, 3),)),
        Sample({"target_shape": (2, 3)}, ((None, None),)),
    ),
))


def _dims_problem(dims) -> str | None:
    if sorted(dims) != list(range(1, len(dims) + 1)):
        return f"a permutation of 1..{len(dims)} (axis 0 is the batch)"
    return None


def _permute_shape(params, inputs):
    (shape,) = inputs
    dims = params["dims"]
    require_rank(shape, len(dims) + 1, f"Permute with dims={dims}")
    return (shape[0], *(shape[d] for d in dims))


register(LayerSpec(
    kind="Permute",
    category="Reshaping",
    doc="Reorders the non-batch axes (dims counts from 1)",
    params=(ParamSpec("dims", "int_list", min=1, initial=(2, 1), check=_dims_problem,
                      doc="New order of the axes, e.g. [2, 1] swaps the first two"),),
    shape=_permute_shape,
    samples=(
        Sample({"dims": (2, 1)}, ((None, 5, 3),)),
        Sample({"dims": (3, 1, 2)}, ((4, None, 6, 2),)),
        Sample({"dims": (1,)}, ((None, 7),)),
        Sample({"dims": (2, 1)}, ((None, 5, 3, 2),)),
    ),
))


def _repeat_shape(params, inputs):
    (shape,) = inputs
    require_rank(shape, 2, "RepeatVector")
    return (shape[0], params["n"], shape[1])


register(LayerSpec(
    kind="RepeatVector",
    category="Reshaping",
    doc="Repeats a (batch, features) input n times into (batch, n, features)",
    params=(positive_int("n", 3, "Number of repetitions"),),
    shape=_repeat_shape,
    samples=(
        Sample({"n": 3}, ((None, 8),)),
        Sample({"n": 1}, ((2, None),)),
        Sample({"n": 4}, ((None, 3, 2),)),
    ),
))


def _spatial_2d(kind: str, params, shape) -> tuple[tuple, int | None]:
    require_rank(shape, 4, kind)
    return split_channels(shape, params["data_format"])


def _resized(kind: str, params, shape, change) -> tuple:
    """The input with `change(axis, length)` applied to each known spatial length."""
    spatial, channels = _spatial_2d(kind, params, shape)
    out = [None if n is None else change(axis, n) for axis, n in enumerate(spatial)]
    return join_channels(shape[0], out, channels, params["data_format"])


def _upsampling_shape(params, inputs):
    size = params["size"]
    return _resized("UpSampling2D", params, inputs[0], lambda axis, n: n * size[axis])


register(LayerSpec(
    kind="UpSampling2D",
    category="Reshaping",
    doc="Repeats rows and columns (or resizes) by an integer factor",
    params=(
        ParamSpec("size", "ints", default=(2, 2), length=2, min=1,
                  doc="Upsampling factors for height and width"),
        data_format(),
        ParamSpec("interpolation", "choice", default="nearest", choices=INTERPOLATIONS,
                  doc="How new pixels are computed"),
    ),
    shape=_upsampling_shape,
    samples=(
        Sample({"size": (2, 3)}, ((None, 5, 4, 3),)),
        Sample({"interpolation": "bilinear"}, ((None, None, 7, 2),)),
        Sample({"size": 3, "data_format": "channels_first"}, ((2, 3, 4, 5),)),
    ),
))


def _padding_shape(params, inputs):
    pad = params["padding"]
    return _resized("ZeroPadding2D", params, inputs[0], lambda axis, n: n + sum(pad[axis]))


register(LayerSpec(
    kind="ZeroPadding2D",
    category="Reshaping",
    doc="Adds rows and columns of zeros around an image",
    params=(
        ParamSpec("padding", "pairs", default=((1, 1), (1, 1)), length=2,
                  doc="int, (rows, cols), or ((top, bottom), (left, right))"),
        data_format(),
    ),
    shape=_padding_shape,
    samples=(
        Sample({"padding": ((1, 2), (0, 3))}, ((None, 5, 6, 3),)),
        Sample({}, ((None, None, 8, 1),)),
        Sample({"padding": (2, 0), "data_format": "channels_first"}, ((4, 3, 5, 6),)),
    ),
))


def _cropping_shape(params, inputs):
    shape = inputs[0]
    crop = params["cropping"]

    def cropped(axis, n):
        if sum(crop[axis]) >= n:
            raise ShapeError(
                f"Cropping2D crops at least the whole input: cropping={crop} must be smaller "
                f"than the spatial dimensions. Received: input_shape={fmt(shape)}",
                port=0,
            )
        return n - sum(crop[axis])

    return _resized("Cropping2D", params, shape, cropped)


register(LayerSpec(
    kind="Cropping2D",
    category="Reshaping",
    doc="Removes rows and columns from the edges of an image",
    params=(
        ParamSpec("cropping", "pairs", default=((0, 0), (0, 0)), length=2,
                  doc="int, (rows, cols), or ((top, bottom), (left, right))"),
        data_format(),
    ),
    shape=_cropping_shape,
    samples=(
        Sample({"cropping": ((1, 2), (0, 3))}, ((None, 7, 6, 5),)),
        Sample({"cropping": 2}, ((None, None, 9, 3),)),
        Sample({"cropping": (1, 0), "data_format": "channels_first"}, ((2, 3, 5, 4),)),
        Sample({"cropping": ((2, 2), (0, 0))}, ((None, 4, 6, 3),)),
    ),
))
