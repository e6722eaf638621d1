"""Blocks of pixels to channels and back: `ops.depth_to_space` and `ops.space_to_depth`
(`block_size`, `data_format`) on 4D images. Each is a kind of `graph.layers.operations`,
its params the function's keywords with Keras' defaults; its shape rule is the op's
`compute_output_spec` in Keras' `keras/src/ops/nn.py`.

>>> from ..spec import get_spec
>>> spec = get_spec("ops.depth_to_space")
>>> spec.output_shapes(spec.resolve({"block_size": 2}), [(None, 4, 6, 8)])
[(None, 8, 12, 2)]
"""

from __future__ import annotations

from typing import Any

from ..errors import ShapeError
from ..params import ParamSpec
from ..shapes import fmt
from ..spec import Sample
from .operations import register_operations


def _parts(params, inputs) -> tuple:
    """(batch, height, width, channels) of the 4D input, or ShapeError."""
    shape, kind = tuple(inputs[0]), params["__kind__"]
    if len(shape) != 4:
        raise ShapeError(f"{kind} needs a 4D input (batch, 2 spatial axes, channels). "
                         f"Received: input_shape={fmt(shape)}", port=0)
    if params["data_format"] == "channels_last":
        return shape
    batch, channels, height, width = shape
    return batch, height, width, channels


def _placed(params, batch, height, width, channels) -> tuple:
    if params["data_format"] == "channels_last":
        return batch, height, width, channels
    return batch, channels, height, width


def _times(dim, factor):
    return None if dim is None else dim * factor


def depth_to_space_shape(params, inputs):
    """Each pixel's channels spread over a block: spatial dims times block_size, channels
    divided by its square."""
    batch, height, width, channels = _parts(params, inputs)
    block = params["block_size"]
    if channels is not None and channels % block ** 2:
        raise ShapeError(f"{params['__kind__']}: the channels ({channels}) must be a multiple "
                         f"of block_size**2 ({block ** 2})", port=0)
    return _placed(params, batch, _times(height, block), _times(width, block),
                   None if channels is None else channels // block ** 2)


def space_to_depth_shape(params, inputs):
    """Each block of pixels stacked into channels: spatial dims divided by block_size,
    channels times its square."""
    batch, height, width, channels = _parts(params, inputs)
    block = params["block_size"]
    for name, dim in (("height", height), ("width", width)):
        if dim is not None and dim % block:
            raise ShapeError(f"{params['__kind__']}: the {name} ({dim}) must be a multiple of "
                             f"block_size ({block})", port=0)
    return _placed(params, batch, None if height is None else height // block,
                   None if width is None else width // block, _times(channels, block ** 2))


def _family(doc: str, shape, samples) -> dict:
    return dict(params=(ParamSpec("block_size", "int", initial=2, min=1,
                                  doc="The side of a block of pixels"),
                        ParamSpec("data_format", "choice", default="channels_last",
                                  choices=("channels_last", "channels_first"),
                                  doc="Where the channels axis is")),
                shape=shape, doc=f"keras.ops.{doc}", samples=samples)


_FAMILIES: dict[str, dict[str, Any]] = {
    "depth_to_space": _family(
        "depth_to_space: channels spread over blocks of pixels", depth_to_space_shape,
        (Sample({"block_size": 2}, ((None, 4, 6, 8),)),
         Sample({"block_size": 2, "data_format": "channels_first"}, ((None, 8, 4, 6),)))),
    "space_to_depth": _family(
        "space_to_depth: blocks of pixels stacked into channels", space_to_depth_shape,
        (Sample({"block_size": 2}, ((None, 4, 6, 8),)),
         Sample({"block_size": 3, "data_format": "channels_first"}, ((None, 2, 6, 9),)))),
}

register_operations(_FAMILIES)
