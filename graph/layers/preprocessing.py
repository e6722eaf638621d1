"""Preprocessing kinds: resizing and cropping images, encoding categories, normalizing and
discretizing (the audio spectrograms are in `audio.py`).

Normalization (without mean and variance) and Discretization (without
bin_boundaries) learn their state from data with `adapt()`: the trainer adapts
them on the training data before the first epoch (runtime/adapt.py), and the
state is saved with the model. String and hashing layers are absent: Keras
builds them on TensorFlow only.
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
from .common import checked_axes, data_format, seed_param
from .spatial import INTERPOLATIONS


def needs_adapt(kind: str, params) -> bool:
    """Whether a node of `kind` with resolved `params` learns its state by `adapt()`."""
    if kind == "Normalization":
        return params["mean"] is None
    if kind == "Discretization":
        return params["bin_boundaries"] is None
    return False


def _size_params() -> tuple[ParamSpec, ...]:
    return (ParamSpec("height", "int", initial=224, min=1, doc="Output height"),
            ParamSpec("width", "int", initial=224, min=1, doc="Output width"))


def _sized_shape(kind: str):
    """Images to (height, width); a rank-3 input is one unbatched image, as in Keras."""
    def rule(params, inputs):
        shape = inputs[0]
        require_rank(shape, (3, 4), kind)
        size = (params["height"], params["width"])
        if len(shape) == 3:
            channels = shape[0] if params["data_format"] == "channels_first" else shape[-1]
            return join_channels(None, size, channels, params["data_format"])[1:]
        _, channels = split_channels(shape, params["data_format"])
        return join_channels(shape[0], size, channels, params["data_format"])

    return rule


_SIZED_SAMPLES = (
    Sample({"height": 4, "width": 5}, ((None, 8, 8, 3),)),
    Sample({"height": 6, "width": 3, "data_format": "channels_first"}, ((2, 3, None, 9),)),
    Sample({"height": 4, "width": 4}, ((8, 8, 3),)),
    Sample({"height": 4, "width": 4}, ((None, 8),)),
)

register(LayerSpec(
    kind="Resizing", category="Preprocessing",
    doc="Resizes images to height x width",
    params=(
        *_size_params(),
        ParamSpec("interpolation", "choice", default="bilinear", choices=INTERPOLATIONS,
                  doc="How new pixels are computed"),
        ParamSpec("crop_to_aspect_ratio", "bool", default=False,
                  doc="Crop to the target aspect ratio first, so nothing is distorted"),
        ParamSpec("pad_to_aspect_ratio", "bool", default=False,
                  doc="Pad to the target aspect ratio first, so nothing is distorted"),
        ParamSpec("fill_mode", "choice", default="constant", choices=("constant",),
                  doc="How pad_to_aspect_ratio fills the added border"),
        ParamSpec("fill_value", "float", default=0.0, doc="Value of a constant fill"),
        ParamSpec("antialias", "bool", default=False, doc="Antialias when downsampling"),
        data_format(),
    ),
    shape=_sized_shape("Resizing"),
    samples=_SIZED_SAMPLES,
    check=lambda p: ("crop_to_aspect_ratio and pad_to_aspect_ratio cannot both be true"
                     if p["crop_to_aspect_ratio"] and p["pad_to_aspect_ratio"] else None),
))

register(LayerSpec(
    kind="CenterCrop", category="Preprocessing",
    doc="Crops the centre of images to height x width (resizing smaller ones)",
    params=(*_size_params(), data_format()),
    shape=_sized_shape("CenterCrop"),
    samples=_SIZED_SAMPLES,
))

register(LayerSpec(
    kind="RandomCrop", category="Augmentation",
    doc="Crops a random height x width window while training, the centre otherwise",
    params=(*_size_params(), seed_param(), data_format()),
    shape=_sized_shape("RandomCrop"),
    samples=_SIZED_SAMPLES,
))


# -- categories and bins -------------------------------------------------------------------

def _encoded(shape, depth: int, mode: str) -> tuple:
    """Output of a one_hot / multi_hot / count encoding, as Keras shapes it."""
    if mode == "one_hot" and not (len(shape) > 1 and shape[-1] == 1):
        return (*shape, depth)
    return (*shape[:-1], depth)


def _category_shape(params, inputs):
    shape = tuple(inputs[0])
    require_min_rank(shape, 1, "CategoryEncoding")
    return _encoded(shape, params["num_tokens"], params["output_mode"])


register(LayerSpec(
    kind="CategoryEncoding", category="Preprocessing",
    doc="Encodes integer ids in [0, num_tokens) as one-hot, multi-hot or count vectors",
    params=(
        ParamSpec("num_tokens", "int", initial=10, min=1, doc="Number of ids (largest + 1)"),
        ParamSpec("output_mode", "choice", default="multi_hot",
                  choices=("multi_hot", "one_hot", "count"),
                  doc="one_hot: one vector per id; multi_hot/count: one per sample"),
    ),
    shape=_category_shape,
    samples=(Sample({"num_tokens": 5}, ((None, 3),)),
             Sample({"num_tokens": 4, "output_mode": "one_hot"}, ((None, 1),)),
             Sample({"num_tokens": 6, "output_mode": "count"}, ((2, 4, 3),)),
             Sample({"num_tokens": 3, "output_mode": "one_hot"}, ((None, 5),))),
))


def _discretization_shape(params, inputs):
    shape = tuple(inputs[0])
    if params["output_mode"] == "int":
        return shape
    bins = params["bin_boundaries"]
    depth = len(bins) + 1 if bins is not None else params["num_bins"]
    if params["output_mode"] == "one_hot":
        return _encoded(shape, depth, "one_hot")
    # multi_hot and count drop the axis after the batch, as Keras' own rule does.
    return (shape[0], *shape[2:], depth) if len(shape) >= 2 else (depth,)


def _bins_problem(params) -> str | None:
    if params["sparse"]:
        return "sparse=True needs TensorFlow (sparse tensors); this backend has none"
    if (params["num_bins"] is None) == (params["bin_boundaries"] is None):
        return ("Set exactly one of num_bins (learned by adapt) and bin_boundaries. Received: "
                f"num_bins={params['num_bins']}, bin_boundaries={params['bin_boundaries']}")
    return None


register(LayerSpec(
    kind="Discretization",
    freezable=False,  # its Keras constructor has no trainable keyword
    category="Preprocessing",
    doc="Buckets numbers into bins; num_bins learns the boundaries from the training data",
    params=(
        ParamSpec("bin_boundaries", "floats", default=None, allow_none=True,
                  doc="Sorted bin edges, or empty to learn num_bins bins by adapt()"),
        ParamSpec("num_bins", "int", default=None, allow_none=True, min=0,
                  doc="Number of bins to learn from the training data (adapt)"),
        ParamSpec("epsilon", "float", default=0.01, min=0.0, min_exclusive=True,
                  doc="Error tolerance of the learned boundaries"),
        ParamSpec("output_mode", "choice", default="int",
                  choices=("int", "one_hot", "multi_hot", "count"),
                  doc="int: the bin index; else an encoding of it"),
        ParamSpec("sparse", "bool", default=False, doc="Sparse output (TensorFlow only)"),
    ),
    shape=_discretization_shape,
    check=_bins_problem,
    start=(("num_bins", 4),),
    samples=(Sample({"num_bins": 4}, ((None, 5),)),
             Sample({"bin_boundaries": (0.0, 1.0, 2.0), "output_mode": "one_hot"},
                    ((None, 3),)),
             Sample({"num_bins": 3, "output_mode": "count"}, ((2, 4, 6),))),
))


def _normalization_axes(params, shape) -> tuple[int, ...]:
    axis = params["axis"]
    return () if axis is None else checked_axes(axis, shape, "Normalization")


def _statistics_size(params, shape) -> int:
    """Entries of the mean (and variance) Normalization keeps."""
    axes = _normalization_axes(params, shape)
    if 0 in axes:
        raise ShapeError("Normalization cannot keep statistics per batch entry (axis 0). "
                         f"Received: axis={params['axis']}", port=0)
    size = num_elements([shape[a] for a in axes])
    if size is None:
        raise ShapeError("Normalization keeps statistics per entry of its axes, which must "
                         f"be known. Received: axis={params['axis']}, input_shape={fmt(shape)}",
                         port=0)
    return size


def _normalization_shape(params, inputs):
    shape = tuple(inputs[0])
    _statistics_size(params, shape)
    return shape


def _normalization_count(params, inputs):
    if params["mean"] is not None:
        return (0, 0)  # given statistics are constants, not weights
    return (0, 2 * _statistics_size(params, tuple(inputs[0])) + 1)  # mean, variance, count


def _moments_problem(params) -> str | None:
    if (params["mean"] is None) != (params["variance"] is None):
        return "Set both mean and variance, or neither (then they are learned by adapt)"
    return None


register(LayerSpec(
    kind="Normalization", category="Preprocessing",
    doc="Shifts and scales inputs to zero mean and unit variance (learned from the data)",
    params=(
        ParamSpec("axis", "axis", default=-1, allow_none=True,
                  doc="Axes keeping their own statistics (-1: per feature; empty: one)"),
        ParamSpec("mean", "float_or_list", default=None, allow_none=True,
                  doc="Fixed mean, or empty to learn it from the training data (adapt)"),
        ParamSpec("variance", "float_or_list", default=None, allow_none=True, min=0.0,
                  doc="Fixed variance, or empty to learn it from the training data"),
        ParamSpec("invert", "bool", default=False, doc="Undo the normalization instead"),
    ),
    shape=_normalization_shape,
    count=_normalization_count,
    check=_moments_problem,
    samples=(Sample({}, ((None, 5),)), Sample({"axis": (1, 2)}, ((None, 4, 3),)),
             Sample({"axis": None}, ((None, None, 3),)),
             Sample({"mean": 2.0, "variance": 4.0, "invert": True}, ((None, 6),)),
             Sample({}, ((None, 4, None),))),
))
