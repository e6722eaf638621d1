"""Parameter groups that many kinds share, so each is written once."""

from __future__ import annotations

from ..params import DATA_FORMATS, DTYPES, ParamSpec


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


def rate(name: str = "rate", default=None, doc: str = "Fraction of units to drop") -> ParamSpec:
    from ..params import REQUIRED

    return ParamSpec(name, "float", default=REQUIRED if default is None else default,
                     initial=0.5, min=0.0, max=1.0, doc=doc)
