"""Operations with several outputs (`ops.top_k`, `ops.unstack`, `ops.array_split`,
`ops.moments`), convolutions by a kernel tensor (`ops.conv`, `ops.depthwise_conv`),
`ops.max_pool`, `ops.average_pool`, `ops.dot_product_attention` and
`ops.image.resize`. Each is a kind of `graph.layers.operations`, its params the
function's keywords with Keras' defaults, except that `ops.unstack` needs `num` (Keras
reads it from the shape when it is None; a node needs it to know its output ports).

A convolution's kernel is a tensor on its second port, `(*window, in_channels,
filters)` (`depthwise_conv`: `(*window, in_channels, multiplier)`), so a model can
compute its own filters; `data_format` None is Keras' configured one, channels_last here.

>>> from ..spec import get_spec
>>> spec = get_spec("ops.conv")
>>> spec.output_shapes(spec.resolve({"strides": 2, "padding": "same"}),
...                    [(None, 8, 8, 3), (3, 3, 3, 5)])
[(None, 4, 4, 5)]
>>> spec = get_spec("ops.top_k")
>>> spec.output_shapes(spec.resolve({"k": 2}), [(None, 4, 6)])
[(None, 4, 2), (None, 4, 2)]
"""

from __future__ import annotations

from typing import Any

from ..errors import ShapeError
from ..params import DATA_FORMATS, ParamSpec
from ..shapes import conv_output_length, fmt, join_channels, split_channels
from ..spec import Sample
from . import op_array_shapes as shapes
from .op_shapes import reduce_shape
from .operations import register_operations

_TENSORS = ((None, 4, 6),)
_IMAGES = ((None, 8, 8, 3),)
_DATA_FORMAT = ParamSpec("data_format", "choice", default=None, choices=(None, *DATA_FORMATS),
                         doc="Where the channels are; empty for Keras' setting (channels_last)")


def _spatial_values(name: str, value, rank: int, kind: str, shape) -> tuple:
    values = (value,) * rank if isinstance(value, int) else tuple(value)
    if len(values) != rank:
        raise ShapeError(f"{kind}: {name} needs one value or one per spatial axis ({rank}). "
                         f"Received: {name}={value}, input_shape={fmt(shape)}", port=0)
    return values


def conv_op_shape(params, inputs):
    """The input convolved by the kernel on port 1: each window axis as a Conv layer's,
    kernel[-1] channels (times kernel[-2] for depthwise_conv)."""
    kind, (shape, kernel) = params["__kind__"], (tuple(s) for s in inputs)
    if len(kernel) != len(shape) or len(shape) < 3:
        raise ShapeError(f"{kind}: the kernel needs the input's rank (a window axis per "
                         f"spatial axis, then in and out channels), at least 3. Received: "
                         f"input {fmt(shape)}, kernel {fmt(kernel)}", port=1)
    data_format = params["data_format"] or "channels_last"
    spatial, channels = split_channels(shape, data_format)
    if None in kernel[:-1] or (channels is not None and channels != kernel[-2]):
        raise ShapeError(f"{kind}: the kernel's window and in-channel dims must be known and "
                         f"its in-channels ({kernel[-2]}) the input's ({channels}). Received: "
                         f"input {fmt(shape)}, kernel {fmt(kernel)}", port=1)
    rank = len(spatial)
    strides = _spatial_values("strides", params["strides"], rank, kind, shape)
    dilation = _spatial_values("dilation_rate", params["dilation_rate"], rank, kind, shape)
    out = [conv_output_length(n, k, params["padding"], s, d)
           for n, k, s, d in zip(spatial, kernel[:-2], strides, dilation, strict=True)]
    if any(n is not None and n <= 0 for n in out):
        raise ShapeError(f"{kind}: the kernel's window {fmt(kernel[:-2])} is larger than the "
                         f"input with padding='valid'. Received: input_shape={fmt(shape)}",
                         port=0)
    filters = kernel[-1]
    if params["__kind__"] == "ops.depthwise_conv":
        filters = None if filters is None else filters * kernel[-2]
    return join_channels(shape[0], out, filters, data_format)


def resize_shape(params, inputs):
    """Images (a batch, rank 4; or one, rank 3) with height and width set to `size`."""
    kind, shape = params["__kind__"], list(inputs[0])
    if len(shape) not in (3, 4):
        raise ShapeError(f"{kind}: images need rank 4 (a batch) or 3 (one image). "
                         f"Received: input_shape={fmt(inputs[0])}", port=0)
    first = -3 if (params["data_format"] or "channels_last") == "channels_last" else -2
    shape[first], shape[first + 1] = params["size"]
    return tuple(shape)


def pool_op_shape(params, inputs):
    """Each spatial axis pooled as a pooling layer's (strides None: the pool size)."""
    kind, shape = params["__kind__"], tuple(inputs[0])
    if len(shape) not in (3, 4, 5):
        raise ShapeError(f"{kind} needs a batch, 1 to 3 spatial axes and channels (rank 3 to "
                         f"5). Received: input_shape={fmt(shape)}", port=0)
    data_format = params["data_format"] or "channels_last"
    spatial, channels = split_channels(shape, data_format)
    rank = len(spatial)
    pool = _spatial_values("pool_size", params["pool_size"], rank, kind, shape)
    strides = pool if params["strides"] is None else \
        _spatial_values("strides", params["strides"], rank, kind, shape)
    out = [conv_output_length(n, k, params["padding"], s)
           for n, k, s in zip(spatial, pool, strides, strict=True)]
    if any(n is not None and n <= 0 for n in out):
        raise ShapeError(f"{kind}: the pool {fmt(pool)} is larger than the input with "
                         f"padding='valid'. Received: input_shape={fmt(shape)}", port=0)
    return join_channels(shape[0], out, channels, data_format)


def attention_shape(params, inputs):
    """The query's shape: (batch, length, heads, dim) each, key and value alike, the
    query's heads a multiple of theirs (grouped-query attention) and its dim theirs."""
    kind, (query, key, value) = params["__kind__"], (tuple(s) for s in inputs)
    for port, shape in enumerate((query, key, value)):
        if len(shape) != 4:
            raise ShapeError(f"{kind} takes (batch, length, heads, dim) tensors, rank 4. "
                             f"Received: {fmt(shape)} on port {port}", port=port)
    if any(None not in (a, b) and a != b for a, b in zip(key, value, strict=True)) \
            or None not in (query[3], key[3]) and query[3] != key[3] \
            or value[3] is not None and query[3] not in (None, value[3]):
        raise ShapeError(f"{kind}: key and value need one shape, and the query their dim. "
                         f"Received: query {fmt(query)}, key {fmt(key)}, value {fmt(value)}",
                         port=1)
    if None not in (query[2], key[2]) and query[2] % key[2]:
        raise ShapeError(f"{kind}: the query's heads ({query[2]}) must be a multiple of the "
                         f"key's ({key[2]}). Received: query {fmt(query)}, key {fmt(key)}",
                         port=1)
    return query


def _resize_check(params) -> str | None:
    if params["crop_to_aspect_ratio"] and params["pad_to_aspect_ratio"]:
        return "Only one of crop_to_aspect_ratio and pad_to_aspect_ratio can be true"
    return None


def _conv(what: str, kernels: tuple) -> dict:
    window = ParamSpec("strides", "int_or_list", default=1, min=1,
                       doc="Step of the window (one, or one per spatial axis)")
    return dict(
        params=(window, ParamSpec("padding", "choice", default="valid",
                                  choices=("valid", "same"),
                                  doc="valid: no padding; same: output = ceil(input / "
                                      "strides)"),
                _DATA_FORMAT,
                ParamSpec("dilation_rate", "int_or_list", default=1, min=1,
                          doc="Spacing between kernel taps (one, or one per spatial axis)")),
        shape=conv_op_shape, min_inputs=2, max_inputs=2, input_names=("inputs", "kernel"),
        doc=f"keras.ops.{what} by a kernel tensor",
        samples=(Sample({}, (_IMAGES[0], kernels[0])),
                 Sample({"strides": 2, "padding": "same"}, (_IMAGES[0], kernels[0])),
                 Sample({"dilation_rate": (2, 1)}, (_IMAGES[0], kernels[1])),
                 Sample({}, ((None, 10, 3), kernels[2]))))


def _pool(what: str) -> dict:
    return dict(
        params=(ParamSpec("pool_size", "int_or_list", initial=2, min=1,
                          doc="The window (one, or one per spatial axis)"),
                ParamSpec("strides", "int_or_list", default=None, allow_none=True, min=1,
                          doc="Step of the window; empty for the pool size"),
                ParamSpec("padding", "choice", default="valid", choices=("valid", "same"),
                          doc="valid: no padding; same: output = ceil(input / strides)"),
                _DATA_FORMAT),
        shape=pool_op_shape, doc=f"keras.ops.{what} over each window",
        samples=(Sample({"pool_size": 2}, _IMAGES),
                 Sample({"pool_size": 3, "strides": 2, "padding": "same"}, _IMAGES),
                 Sample({"pool_size": (2, 1), "data_format": "channels_first"},
                        ((None, 3, 8, 8),)),
                 Sample({"pool_size": 4}, ((None, 10, 3),))))


_FAMILIES: dict[str, dict[str, Any]] = {
    "max_pool": _pool("max_pool: the largest value"),
    "average_pool": _pool("average_pool: the mean"),
    "moments": dict(
        params=(ParamSpec("axes", "axis", initial=(1,), doc="The axes to reduce"),
                ParamSpec("keepdims", "bool", default=False,
                          doc="Keep reduced axes with size 1"),
                ParamSpec("synchronized", "bool", default=False,
                          doc="Across devices in distributed training")),
        shape=lambda p, i: [reduce_shape({**p, "axis": p["axes"]}, i)] * 2,
        outputs=lambda p: 2, doc="keras.ops.moments: the mean and the variance over axes "
                                 "(two outputs)",
        samples=(Sample({"axes": (1,)}, _TENSORS),
                 Sample({"axes": (0, 2), "keepdims": True}, _TENSORS))),
    "dot_product_attention": dict(
        params=(ParamSpec("scale", "float", default=None, allow_none=True,
                          doc="Scores' scale; empty for 1 / sqrt(dim)"),
                ParamSpec("is_causal", "bool", default=False,
                          doc="Each position attends to those before it only"),
                ParamSpec("flash_attention", "choice", default=None,
                          choices=(None, True, False),
                          doc="Use flash attention; empty: where the device has it"),
                ParamSpec("attn_logits_soft_cap", "float", default=None, allow_none=True,
                          doc="Cap of the scores (tanh); empty for none")),
        shape=attention_shape, min_inputs=3, max_inputs=3,
        input_names=("query", "key", "value"),
        doc="keras.ops.dot_product_attention: softmax(q k^T) v over the length axis",
        samples=(Sample({}, ((None, 5, 2, 4),) * 3),
                 Sample({"is_causal": True, "scale": 0.5},
                        ((None, 5, 4, 8), (None, 5, 2, 8), (None, 5, 2, 8))),
                 Sample({}, ((None, 3, 2, 4), (None, 6, 2, 4), (None, 6, 2, 4))))),
    "top_k": dict(
        params=(ParamSpec("k", "int", initial=1, min=1, doc="How many of the largest"),
                ParamSpec("sorted", "bool", default=True, doc="Largest first")),
        shape=shapes.top_k_shape, outputs=lambda p: 2, dtype=lambda p: (None, "int32"),
        doc="keras.ops.top_k: the k largest values along the last axis, and their int32 "
            "indices (two outputs)",
        samples=(Sample({"k": 3}, _TENSORS), Sample({"k": 1, "sorted": False}, _TENSORS))),
    "unstack": dict(
        params=(ParamSpec("num", "int", initial=2, min=1,
                          doc="How many outputs: the size of the axis"),
                ParamSpec("axis", "int", default=0, doc="The axis to take apart")),
        shape=shapes.unstack_shape, outputs=lambda p: p["num"],
        doc="keras.ops.unstack: one output per entry along an axis",
        samples=(Sample({"num": 4, "axis": 1}, _TENSORS),
                 Sample({"num": 6, "axis": -1}, _TENSORS))),
    "array_split": dict(
        params=(ParamSpec("indices_or_sections", "int", initial=2, min=1,
                          doc="How many parts (the first ones longer when it does not "
                              "divide)"),
                ParamSpec("axis", "int", default=0, doc="The axis to cut along")),
        shape=shapes.array_split_shape, outputs=lambda p: p["indices_or_sections"],
        doc="keras.ops.array_split: cut an axis into nearly equal parts (several outputs)",
        samples=(Sample({"indices_or_sections": 4, "axis": -1}, _TENSORS),
                 Sample({"indices_or_sections": 2, "axis": 1}, _TENSORS))),
    "conv": _conv("conv: a convolution", ((3, 3, 3, 5), (3, 2, 3, 4), (3, 3, 2))),
    "depthwise_conv": _conv("depthwise_conv: a convolution of each channel on its own",
                            ((3, 3, 3, 2), (3, 2, 3, 1), (3, 3, 2))),
    "image.resize": dict(
        params=(ParamSpec("size", "ints", length=2, min=1, initial=(64, 64),
                          doc="(height, width) of the result"),
                ParamSpec("interpolation", "choice", default="bilinear",
                          choices=("bilinear", "nearest", "bicubic", "area", "lanczos3",
                                   "lanczos5"), doc="How new pixels are computed"),
                ParamSpec("antialias", "bool", default=False, doc="Filter when downsampling"),
                ParamSpec("crop_to_aspect_ratio", "bool", default=False,
                          doc="Crop to the new aspect ratio first"),
                ParamSpec("pad_to_aspect_ratio", "bool", default=False,
                          doc="Pad to the new aspect ratio first"),
                ParamSpec("fill_mode", "choice", default="constant", choices=("constant",),
                          doc="How pad_to_aspect_ratio fills"),
                ParamSpec("fill_value", "float", default=0.0,
                          doc="The fill of pad_to_aspect_ratio"),
                _DATA_FORMAT),
        shape=resize_shape, check=_resize_check,
        doc="keras.ops.image.resize: images to a new height and width",
        samples=(Sample({"size": (16, 12)}, _IMAGES),
                 Sample({"size": (4, 4), "interpolation": "nearest"}, _IMAGES),
                 Sample({"size": (5, 7), "data_format": "channels_first"}, ((None, 3, 8, 8),)))),
}

register_operations(_FAMILIES)
