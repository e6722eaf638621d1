"""Preprocessing kinds: resizing and cropping images, encoding categories, normalizing,
discretizing, and audio spectrograms.

Normalization (without mean and variance) and Discretization (without
bin_boundaries) learn their state from data with `adapt()`: the trainer adapts
them on the training data before the first epoch (runtime/adapt.py), and the
state is saved with the model. String and hashing layers are absent: Keras
builds them on TensorFlow only.
"""

from __future__ import annotations

import math

from ..errors import ShapeError
from ..params import ParamSpec
from ..shapes import (
    conv_output_length,
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


# -- audio -----------------------------------------------------------------------------------

def _mel_shape(params, inputs):
    shape = tuple(inputs[0])
    require_rank(shape, (1, 2), "MelSpectrogram")
    if shape[-1] is not None and shape[-1] <= params["fft_length"] // 2:
        raise ShapeError(
            "MelSpectrogram pads each end of the signal by reflection with fft_length // 2 "
            f"samples, so it needs more samples than that. Received: input_shape={fmt(shape)},"
            f" fft_length={params['fft_length']}", port=0)
    stride = params["sequence_stride"]
    frames = None if shape[-1] is None else (shape[-1] + stride + 1) // stride
    if len(shape) == 1:
        return (params["num_mel_bins"], frames)
    return (shape[0], params["num_mel_bins"], frames)


register(LayerSpec(
    kind="MelSpectrogram", category="Preprocessing",
    doc="Mel spectrogram of (batch, samples) audio: (batch, num_mel_bins, frames)",
    params=(
        ParamSpec("fft_length", "int", default=2048, min=1, doc="Size of each FFT"),
        ParamSpec("sequence_stride", "int", default=512, min=1, doc="Samples between frames"),
        ParamSpec("sequence_length", "int", default=None, allow_none=True, min=1,
                  doc="Samples per frame, or empty for fft_length"),
        ParamSpec("window", "choice", default="hann", choices=("hann", "hamming", None),
                  doc="Window applied to each frame"),
        ParamSpec("sampling_rate", "int", default=16000, min=1, doc="Samples per second"),
        ParamSpec("num_mel_bins", "int", default=128, min=1, doc="Number of mel bands"),
        ParamSpec("min_freq", "float", default=20.0, min=0.0, doc="Lowest frequency (Hz)"),
        ParamSpec("max_freq", "float", default=None, allow_none=True, min=0.0,
                  doc="Highest frequency (Hz), or empty for half the sampling rate"),
        ParamSpec("power_to_db", "bool", default=True, doc="Output decibels"),
        ParamSpec("top_db", "float", default=80.0, min=0.0, doc="Dynamic range kept in dB"),
        ParamSpec("mag_exp", "float", default=2.0, doc="Exponent of the magnitude (2: power)"),
        ParamSpec("min_power", "float", default=1e-10, min=0.0, doc="Floor of the power"),
        ParamSpec("ref_power", "float", default=1.0, min=0.0, doc="Reference power of 0 dB"),
    ),
    shape=_mel_shape,
    samples=(Sample({}, ((None, 16000),)),
             Sample({"sequence_stride": 256, "num_mel_bins": 40}, ((2, None),)),
             Sample({"fft_length": 512, "sequence_stride": 160}, ((None, 4000),))),
))

_STFT_MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")


def _fft_bins(params) -> int:
    fft = params["fft_length"] or 2 ** math.ceil(math.log2(params["frame_length"]))
    return fft // 2 + 1


def _stft_shape(params, inputs):
    shape = tuple(inputs[0])
    require_rank(shape, 3, "STFTSpectrogram")
    (length,), channels = split_channels(shape, params["data_format"])
    step = params["frame_step"] or params["frame_length"] // 2
    frames = conv_output_length(length, params["frame_length"], params["padding"], step)
    if frames is not None and frames <= 0:
        raise ShapeError(f"STFTSpectrogram: frame_length={params['frame_length']} is longer "
                         f"than the input. Received: input_shape={fmt(shape)}", port=0)
    freq = _fft_bins(params) * (2 if params["mode"] == "stft" else 1)
    if params["expand_dims"]:
        return join_channels(shape[0], (frames, freq), channels, params["data_format"])
    width = None if channels is None else freq * channels
    return join_channels(shape[0], (frames,), width, params["data_format"])


def _stft_count(params, inputs):
    kernels = {"real": 1, "imag": 1}.get(params["mode"], 2)
    return (kernels * params["frame_length"] * _fft_bins(params), 0)


def _stft_check(params) -> str | None:
    step, frame, fft = params["frame_step"], params["frame_length"], params["fft_length"]
    if step is not None and step > frame:
        return f"frame_step must not exceed frame_length. Received: frame_step={step}"
    if fft is not None and fft < frame:
        return f"fft_length must be at least frame_length. Received: fft_length={fft}"
    return None


register(LayerSpec(
    kind="STFTSpectrogram", category="Preprocessing",
    doc="Short-time Fourier transform of (batch, samples, channels) signals, as a layer",
    params=(
        ParamSpec("mode", "choice", default="log", choices=_STFT_MODES,
                  doc="What to output: log/magnitude/psd, real/imag/angle parts, or stft"),
        ParamSpec("frame_length", "int", default=256, min=1, doc="Samples per frame"),
        ParamSpec("frame_step", "int", default=None, allow_none=True, min=1,
                  doc="Samples between frames, or empty for frame_length // 2"),
        ParamSpec("fft_length", "int", default=None, allow_none=True, min=1,
                  doc="Size of each FFT, or empty for the next power of 2"),
        ParamSpec("window", "choice", default="hann", choices=("hann", "hamming", None),
                  doc="Window applied to each frame"),
        ParamSpec("periodic", "bool", default=False, doc="Periodic (not symmetric) window"),
        ParamSpec("scaling", "choice", default="density", choices=("density", "spectrum", None),
                  doc="Scaling of the window"),
        ParamSpec("padding", "choice", default="valid", choices=("valid", "same"),
                  doc="valid: whole frames only; same: pad the signal"),
        ParamSpec("expand_dims", "bool", default=False,
                  doc="Keep frequency and channels as two axes"),
        data_format(),
    ),
    shape=_stft_shape,
    count=_stft_count,
    check=_stft_check,
    samples=(Sample({}, ((None, 1000, 1),)),
             Sample({"frame_length": 64, "frame_step": 16, "mode": "stft", "padding": "same"},
                    ((2, None, 2),)),
             Sample({"frame_length": 100, "fft_length": 128, "expand_dims": True,
                     "data_format": "channels_first"}, ((None, 3, 500),)),
             Sample({"frame_length": 64, "mode": "real"}, ((None, 30, 1),))),
))
