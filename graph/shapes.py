"""Pure shape helpers shared by the shape rules (no keras import).

Shapes are tuples, batch first; `None` is an unknown dimension.

>>> conv_output_length(28, 3, "valid", 1)
26
>>> conv_output_length(None, 3, "same", 2) is None
True
>>> pooling_output_shape((None, 28, 28, 3), (2, 2), (2, 2), "valid", "channels_last")
(None, 14, 14, 3)
"""

from __future__ import annotations

from collections.abc import Sequence

from .errors import ShapeError

Shape = tuple[int | None, ...]


def fmt(shape: Sequence) -> str:
    """`(None, 26, 26, 32)` the way Keras prints shapes."""
    body = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({body},)" if len(shape) == 1 else f"({body})"


def require_rank(shape: Shape, rank: int | Sequence[int], what: str, port: int = 0) -> None:
    """Raise ShapeError unless `shape` has the given rank (or one of them)."""
    ranks = (rank,) if isinstance(rank, int) else tuple(rank)
    if len(shape) not in ranks:
        want = " or ".join(str(r) for r in ranks)
        raise ShapeError(
            f"{what} expects an input of rank {want} (batch included). "
            f"Received: input_shape={fmt(shape)} (rank {len(shape)})",
            port=port,
        )


def require_min_rank(shape: Shape, rank: int, what: str, port: int = 0) -> None:
    if len(shape) < rank:
        raise ShapeError(
            f"{what} expects an input of rank >= {rank} (batch included). "
            f"Received: input_shape={fmt(shape)} (rank {len(shape)})",
            port=port,
        )


def require_known(dim: int | None, what: str, shape: Shape, port: int = 0) -> int:
    """The dimension, which must be known (e.g. the channels a kernel is built for)."""
    if dim is None:
        raise ShapeError(
            f"{what} must be known to build the layer. Received: input_shape={fmt(shape)}",
            port=port,
        )
    return dim


def conv_output_length(length, kernel, padding, stride, dilation=1):
    """Output length of a convolution or pooling window along one axis."""
    if length is None:
        return None
    effective = (kernel - 1) * dilation + 1
    if padding == "same":
        return (length + stride - 1) // stride
    if padding == "valid":
        return (length - effective) // stride + 1
    if padding == "full":
        return (length + effective - 2) // stride + 1
    if padding == "causal":
        return (length + stride - 1) // stride
    raise ValueError(padding)


def deconv_output_length(length, kernel, padding, stride, output_padding=None, dilation=1):
    """Output length of a transposed convolution along one axis (as Keras computes it)."""
    if length is None:
        return None
    kernel = kernel + (kernel - 1) * (dilation - 1)
    if output_padding is None:
        if padding == "valid":
            return length * stride + max(kernel - stride, 0)
        return length * stride
    pad = kernel // 2 if padding == "same" else 0
    return (length - 1) * stride + kernel - 2 * pad + output_padding


def split_channels(shape: Shape, data_format: str) -> tuple[tuple, int | None]:
    """(spatial dims, channels) of a batch-first shape."""
    if data_format == "channels_first":
        return tuple(shape[2:]), shape[1]
    return tuple(shape[1:-1]), shape[-1]


def join_channels(batch, spatial: Sequence, channels, data_format: str) -> Shape:
    if data_format == "channels_first":
        return (batch, channels, *spatial)
    return (batch, *spatial, channels)


def pooling_output_shape(shape, pool_size, strides, padding, data_format) -> Shape:
    spatial, channels = split_channels(shape, data_format)
    out = []
    for length, k, s in zip(spatial, pool_size, strides, strict=True):
        n = conv_output_length(length, k, padding, s)
        if n is not None and n <= 0:
            raise ShapeError(
                f"pool_size={tuple(pool_size)} is larger than the input. "
                f"Received: input_shape={fmt(shape)}, padding={padding!r}"
            )
        out.append(n)
    return join_channels(shape[0], out, channels, data_format)


def num_elements(shape: Sequence) -> int | None:
    """Product of the dims, or None when any is unknown."""
    total = 1
    for d in shape:
        if d is None:
            return None
        total *= d
    return total
