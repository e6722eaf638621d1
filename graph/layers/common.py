"""Parameter groups that many kinds share, so each is written once."""

from __future__ import annotations

from ..errors import ShapeError
from ..params import DATA_FORMATS, DTYPES, ParamSpec
from ..shapes import fmt


def activation(default=None, name: str = "activation") -> ParamSpec:
    return ParamSpec(name, "activation", default=default, doc="Activation applied to the output")


def use_bias() -> ParamSpec:
    return ParamSpec("use_bias", "bool", default=True, doc="Whether the layer adds a bias")


def data_format() -> ParamSpec:
    return ParamSpec(
        "data_format", "choice", default="channels_last", choices=DATA_FORMATS,
        doc="Whether channels come last (N, ..., C) or first (N, C, ...)",
    )


def dtype_param() -> ParamSpec:
    return ParamSpec("dtype", "choice", default="float32", choices=DTYPES, doc="Tensor dtype")


def weight_params(*prefixes: str, bias_init: str = "zeros", kernel_init="glorot_uniform"):
    """initializer/regularizer/constraint params for kernel-like weights and the bias.

    `prefixes` name the weights, e.g. ("kernel",) or ("depthwise", "pointwise").
    """
    out = []
    for prefix in prefixes:
        out.append(ParamSpec(f"{prefix}_initializer", "initializer", default=kernel_init,
                             doc=f"Initializer of the {prefix} weights"))
    out.append(ParamSpec("bias_initializer", "initializer", default=bias_init,
                         doc="Initializer of the bias"))
    for prefix in (*prefixes, "bias"):
        out.append(ParamSpec(f"{prefix}_regularizer", "regularizer", default=None,
                             doc=f"Regularizer of the {prefix} weights"))
    out.append(ParamSpec("activity_regularizer", "regularizer", default=None,
                         doc="Regularizer of the layer output"))
    for prefix in (*prefixes, "bias"):
        out.append(ParamSpec(f"{prefix}_constraint", "constraint", default=None,
                             doc=f"Constraint on the {prefix} weights"))
    return tuple(out)


def positive_int(name: str, initial: int, doc: str) -> ParamSpec:
    return ParamSpec(name, "int", initial=initial, min=1, doc=doc)


def rate(name: str = "rate", default=None, doc: str = "Fraction of units to drop",
         below_one: bool = False) -> ParamSpec:
    """A dropping rate in [0, 1]; `below_one` where Keras divides by zero at 1 while training
    (GaussianDropout, AlphaDropout: 'float division by zero', '0.0 cannot be raised to a
    negative power')."""
    from ..params import REQUIRED

    return ParamSpec(name, "float", default=REQUIRED if default is None else default,
                     initial=0.5, min=0.0, max=1.0, doc=doc,
                     check=_below_one if below_one else None)


def _below_one(value) -> str | None:
    return "a number in [0.0, 1.0) (at 1 Keras divides by zero while training)" \
        if value >= 1 else None


def seed_param() -> ParamSpec:
    return ParamSpec("seed", "int", default=None, allow_none=True,
                     doc="Seed of the random draws, or empty for a fresh one each run")


def same_shape(params, inputs):
    """Shape rule of kinds whose output has the shape of their single input."""
    return tuple(inputs[0])


def checked_axes(axis, shape, what: str, port: int = 0) -> tuple[int, ...]:
    """`axis` (an int or several) made non-negative for `shape`, or ShapeError.

    >>> checked_axes(-1, (None, 5, 6), "Softmax")
    (2,)
    """
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    rank = len(shape)
    for a in axes:
        if not -rank <= a < rank:
            raise ShapeError(
                f"{what}: axis {a} is out of bounds for an input of rank {rank}. "
                f"Received: axis={axis}, input_shape={fmt(shape)}",
                port=port,
            )
    return tuple(a % rank for a in axes)
