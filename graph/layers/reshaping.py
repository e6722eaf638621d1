"""Reshaping kinds: Flatten, Reshape, Permute, RepeatVector (the spatial resizers,
UpSampling, ZeroPadding and Cropping, live in `spatial`). None of them has weights;
the batch axis always passes through unchanged.
"""

from __future__ import annotations

from ..errors import ShapeError
from ..params import ParamSpec
from ..shapes import fmt, num_elements, require_min_rank, require_rank
from ..spec import LayerSpec, Sample, register
from .common import data_format, positive_int


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
