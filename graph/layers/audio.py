"""Audio preprocessing kinds: the mel and short-time Fourier spectrograms of a signal."""

from __future__ import annotations

import math

from ..errors import ShapeError
from ..params import ParamSpec
from ..shapes import conv_output_length, fmt, join_channels, require_rank, split_channels
from ..spec import LayerSpec, Sample, register
from .common import data_format


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
