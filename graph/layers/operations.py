"""Operations: `keras.ops` calls on tensors as nodes of their own (no weights).

A Functional model built with `x + y`, `x * 0.5`, `ops.mean(x, axis=1)`,
`ops.transpose`, `ops.reshape`, `x[:, 0]`... records operations, not layers. Each
kind here is one `keras.ops` function, named `ops.<function>`; its params are the
function's keywords, with Keras' defaults. The code writer and the runtime build
both call the function through `call_parts`, so they make the same operation. An
elementwise op takes two tensors, or one tensor and a number (`constant`, first
when `constant_first`: `1.0 - x`). The shape rules follow Keras' own
(`keras/src/ops/operation_utils.py`): numpy broadcasting, with `None` unknown.

>>> spec = get_spec("ops.mean")
>>> spec.output_shapes(spec.resolve({"axis": 1}), [(None, 4, 6)])
[(None, 6)]
>>> call_parts("ops.subtract", {"constant": 1.0, "constant_first": True}, ["x"])
('subtract', [1.0, 'x'], {})
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..errors import KerasCanvasError
from ..params import DTYPES, ParamSpec
from ..spec import LayerSpec, Sample, get_spec, register
from . import op_shapes as shapes
from .common import same_shape
from .op_keys import parse_key

CATEGORY = "Operations"
PREFIX = "ops."
GET_ITEM = "__getitem__"  # the function of `x[key]`, written as indexing
ARITHMETIC = ("add", "subtract", "multiply", "divide", "true_divide", "floor_divide", "mod",
              "maximum", "minimum", "power", "logaddexp", "arctan2", "logaddexp2",
              "divide_no_nan", "fmod", "fmax", "fmin")
# Elementwise ops whose result is bool whatever the inputs' dtype.
COMPARISONS = ("greater", "greater_equal", "less", "less_equal", "equal", "not_equal",
               "logical_and", "logical_or", "logical_xor")
BINARY = (*ARITHMETIC, *COMPARISONS)
# Elementwise ops on one tensor whose result is bool.
TESTS = ("logical_not", "isnan", "isinf", "isfinite", "isposinf", "isneginf", "signbit")
UNARY = ("negative", "absolute", "square", "sqrt", "rsqrt", "exp", "exp2", "log", "log2",
         "log10", "log1p", "expm1", "reciprocal", "sign", "floor", "ceil", "trunc", "sin",
         "cos", "tanh", "sinh", "cosh", "arctan", "erf", "relu", "relu6", "selu", "sigmoid",
         "hard_sigmoid", "log_sigmoid", "silu", "hard_silu", "softplus", "sparse_plus",
         "softsign", "hard_tanh", "tanh_shrink", "tan", "arcsin", "arccos", "arcsinh",
         "arccosh", "arctanh", "cbrt", "deg2rad", "rad2deg", "sinc", "erfinv", "sparse_sigmoid",
         "stop_gradient", "erfc", "fabs", "copy", "i0", *TESTS)
REDUCTIONS = ("mean", "sum", "max", "min", "std", "var", "any", "all", "logsumexp", "amax",
              "amin", "median", "ptp", "nanmean", "nansum", "nanmax", "nanmin", "nanprod",
              "nanstd", "nanvar", "nanmedian")
SEQUENCE = ("concatenate", "stack")  # called on a list of tensors


def function_name(kind: str) -> str:
    """The keras.ops function of an operation kind: `ops.mean` -> `mean`."""
    return kind.removeprefix(PREFIX)


def is_operation(spec: LayerSpec) -> bool:
    """Whether `spec` is an operation kind (a keras.ops call, not a layer)."""
    return spec.category == CATEGORY


# ---- the table ---------------------------------------------------------------------
def _key_problem(value: Any) -> str | None:
    from ..errors import ParamError

    try:
        parse_key(value)
    except ParamError:
        return ("the text between the brackets of x[...]: integers, slices (1:3, ::2), None "
                "or one ..., separated by commas")
    return None


def _number_problem(value: Any) -> str | None:
    return "a number" if isinstance(value, tuple) else None


_CONSTANT = (
    ParamSpec("constant", "float_or_list", default=None, allow_none=True,
              check=_number_problem, doc="A number for the other operand; empty with two inputs"),
    ParamSpec("constant_first", "bool", default=False,
              doc="The constant is the first operand (1.0 - x)"),
)
_AXIS = ParamSpec("axis", "axis", default=None, allow_none=True,
                  doc="Axis or axes to reduce; empty for all")
_KEEPDIMS = ParamSpec("keepdims", "bool", default=False, doc="Keep reduced axes with size 1")
_TENSORS = ((None, 4, 6),)

_FAMILIES: dict[str, dict[str, Any]] = {
    **{f: dict(params=_CONSTANT, shape=shapes.binary_shape, min_inputs=1, max_inputs=2,
               input_names=("x1", "x2"), doc=f"keras.ops.{f}: elementwise, broadcasting"
               + ("; the result is bool" if f in COMPARISONS else ""),
               samples=(Sample({}, ((None, 4, 6), (None, 1, 6))),
                        Sample({"constant": 2.0}, _TENSORS),
                        Sample({"constant": 3.0, "constant_first": True}, _TENSORS)))
       for f in BINARY},
    **{f: dict(params=(), shape=same_shape, doc=f"keras.ops.{f}: elementwise",
               samples=(Sample({}, _TENSORS),)) for f in UNARY},
    **{f: dict(params=(_AXIS, _KEEPDIMS), shape=shapes.reduce_shape,
               doc=f"keras.ops.{f} over axes", samples=(
                   Sample({"axis": 1}, _TENSORS), Sample({"axis": (1, 2), "keepdims": True},
                                                         _TENSORS), Sample({}, _TENSORS)))
       for f in REDUCTIONS},
    "gelu": dict(params=(ParamSpec("approximate", "bool", default=True,
                                   doc="The tanh approximation of GELU"),),
                 shape=same_shape, doc="keras.ops.gelu: elementwise",
                 samples=(Sample({}, _TENSORS), Sample({"approximate": False}, _TENSORS))),
    "leaky_relu": dict(params=(ParamSpec("negative_slope", "float", default=0.2,
                                         doc="The slope below zero"),),
                       shape=same_shape, doc="keras.ops.leaky_relu: elementwise",
                       samples=(Sample({"negative_slope": 0.1}, _TENSORS),)),
    **{f: dict(params=(ParamSpec("axis", "int", default=-1, doc="The axis to normalize"),),
               shape=shapes.axis_shape, doc=f"keras.ops.{f} along an axis",
               samples=(Sample({}, _TENSORS), Sample({"axis": 1}, _TENSORS)))
       for f in ("softmax", "log_softmax")},
    "cast": dict(params=(ParamSpec("dtype", "choice", choices=DTYPES, initial="float16",
                                   doc="The dtype of the result"),),
                 shape=same_shape, doc="keras.ops.cast: change the dtype",
                 samples=(Sample({"dtype": "float16"}, _TENSORS),)),
    "clip": dict(params=tuple(ParamSpec(n, "float_or_list", initial=v, check=_number_problem,
                                        doc=f"The {w} value") for n, v, w in
                              (("x_min", 0.0, "smallest"), ("x_max", 6.0, "largest"))),
                 shape=same_shape, doc="keras.ops.clip: bound every value",
                 samples=(Sample({"x_min": 0.0, "x_max": 6.0}, _TENSORS),)),
    "transpose": dict(params=(ParamSpec("axes", "int_list", default=None, allow_none=True,
                                        doc="The new order of the axes; empty reverses"),),
                      shape=shapes.transpose_shape, doc="keras.ops.transpose: permute the axes",
                      samples=(Sample({"axes": (0, 2, 1)}, _TENSORS),)),
    "reshape": dict(params=(ParamSpec("newshape", "int_list", initial=(-1,), min=-1,
                                      check=lambda v: "at most one -1"
                                      if v.count(-1) > 1 else None,
                                      doc="The new shape, batch included; one -1 is inferred"),),
                    shape=shapes.reshape_shape, doc="keras.ops.reshape (the batch axis included)",
                    samples=(Sample({"newshape": (-1, 24)}, _TENSORS),
                             Sample({"newshape": (-1, 2, 12)}, ((3, 4, 6),)))),
    "expand_dims": dict(params=(ParamSpec("axis", "axis", initial=1,
                                          doc="Where the new axis (or axes) go"),),
                        shape=shapes.expand_dims_shape, doc="keras.ops.expand_dims: add an axis",
                        samples=(Sample({"axis": 1}, _TENSORS), Sample({"axis": -1}, _TENSORS))),
    "squeeze": dict(params=(ParamSpec("axis", "axis", default=None, allow_none=True,
                                      doc="Axes of size 1 to drop; empty drops all"),),
                    shape=shapes.squeeze_shape, doc="keras.ops.squeeze: drop axes of size 1",
                    samples=(Sample({"axis": 1}, ((None, 1, 6),)),)),
    "matmul": dict(params=(), shape=shapes.matmul_shape, min_inputs=2, max_inputs=2,
                   input_names=("x1", "x2"), doc="keras.ops.matmul: (batched) matrix product",
                   samples=(Sample({}, ((None, 4, 6), (None, 6, 3))),
                            Sample({}, ((None, 2, 4, 6), (None, 1, 6, 3))))),
    "concatenate": dict(params=(ParamSpec("axis", "int", default=0,
                                          doc="The axis to join along"),),
                        shape=shapes.concatenate_shape, max_inputs=None,
                        doc="keras.ops.concatenate: join tensors along an axis",
                        samples=(Sample({"axis": -1}, ((None, 4, 6), (None, 4, 2))),)),
    "stack": dict(params=(ParamSpec("axis", "int", default=0,
                                    doc="Where the new axis goes"),),
                  shape=shapes.stack_shape, max_inputs=None,
                  doc="keras.ops.stack: join tensors along a new axis",
                  samples=(Sample({"axis": 1}, ((None, 4, 6), (None, 4, 6))),)),
    "get_item": dict(params=(ParamSpec("key", "str", initial=":, 0", check=_key_problem,
                                       doc="What goes in x[...]: ints, slices, None, ..."),),
                     shape=shapes.get_item_shape, doc="x[key]: slicing and indexing",
                     samples=(Sample({"key": ":, 0"}, _TENSORS),
                              Sample({"key": "..., None, 1:3"}, _TENSORS),
                              Sample({"key": "::2, ..., -1:"}, _TENSORS))),
}


def _with_kind(kind: str, rule):
    """A shape rule that can name its kind in messages."""
    def shape(params, inputs):
        return rule({**params, "__kind__": kind}, inputs)
    shape.__doc__ = rule.__doc__
    return shape


# The call of the kinds whose arguments are not (inputs..., non-default params as
# keywords): function -> (resolved params, non-default ones, inputs) -> (args, kwargs).
CALLS: dict[str, Callable[[dict, dict, list], tuple[list, dict]]] = {}
# The dtype of a kind's result where it does not follow the inputs': function ->
# resolved params -> dtype (comparisons give bool, argmax int32, cast its dtype).
DTYPES_OF: dict[str, Callable[[Mapping[str, Any]], str]] = {
    **{f: lambda p: "bool" for f in (*COMPARISONS, *TESTS, "any", "all")},
    "cast": lambda p: p["dtype"],
}


def register_operations(families: Mapping[str, Mapping[str, Any]]) -> None:
    """Register one operation kind per entry (`function: LayerSpec fields`); an entry's
    `call` goes to CALLS and its `dtype` to DTYPES_OF."""
    for name, entry in families.items():
        kind = PREFIX + name
        fields = {k: v for k, v in entry.items() if k not in ("call", "dtype")}
        register(LayerSpec(kind=kind, category=CATEGORY, keras_module="keras.ops",
                           **{**fields, "shape": _with_kind(kind, entry["shape"])}))
        if "call" in entry:
            CALLS[name] = entry["call"]
        if "dtype" in entry:
            DTYPES_OF[name] = entry["dtype"]


register_operations(_FAMILIES)


def result_dtype(kind: str, params: Mapping[str, Any]) -> str | tuple | None:
    """The dtype an operation node gives whatever its inputs' (from its resolved params),
    or None when it follows the inputs (Keras' type promotion); a tuple of them, one per
    output, where its outputs differ (top_k: values, int32 indices).

    >>> result_dtype("ops.greater", {"constant": 0.5, "constant_first": False})
    'bool'
    """
    rule = DTYPES_OF.get(function_name(kind))
    return None if rule is None else rule(params)


def float_results(kind: str, params: Mapping[str, Any], count: int) -> tuple[bool, ...]:
    """For each of an operation node's `count` outputs, whether its result is floating
    point (a float dtype, or one that follows the inputs'): only those are cast to
    float32 when the node is a model output under mixed precision, as a Keras user casts
    them; an index or a mask keeps its integer or bool dtype.

    >>> float_results("ops.top_k", {"k": 2, "sorted": True}, 2)
    (True, False)
    >>> float_results("ops.argmax", {"axis": -1, "keepdims": False}, 1)
    (False,)
    """
    dtype = result_dtype(kind, params)
    dtypes = dtype if isinstance(dtype, tuple) else (dtype,) * count
    return tuple(d is None or "float" in d for d in dtypes)


def shown_dtype(kind: str, params: Mapping[str, Any]) -> str | None:
    """`result_dtype` of a node's raw params; None where the kind fixes no dtype or the
    params do not resolve (validation reports those).

    >>> shown_dtype("ops.argmax", {"axis": -1}), shown_dtype("Dense", {"units": 3})
    ('int32', None)
    >>> shown_dtype("ops.top_k", {"k": 2})
    'as input, int32'
    """
    if not kind.startswith(PREFIX) or function_name(kind) not in DTYPES_OF:
        return None
    try:
        dtype = result_dtype(kind, get_spec(kind).resolve(params))
    except KerasCanvasError:
        return None
    if isinstance(dtype, tuple):  # top_k: 'as input, int32'
        return ", ".join(d or "as input" for d in dtype)
    return dtype


# ---- the call ----------------------------------------------------------------------
def call_parts(kind: str, params: Mapping[str, Any], inputs: Sequence) -> tuple[str, list, dict]:
    """(function, positional arguments, keywords) of an operation node's call on
    `inputs` (variable names or tensors), from its params (raw or resolved).
    The function is a keras.ops name, or GET_ITEM for `x[key]` (the key parsed)."""
    spec = get_spec(kind)
    name = function_name(spec.kind)
    values = spec.resolve(params)
    kwargs = spec.non_default(values)
    if name in BINARY:
        constant = values["constant"]
        if constant is None:
            return name, list(inputs), {}
        return name, ([constant, *inputs] if values["constant_first"] else
                      [*inputs, constant]), {}
    if name == "get_item":
        return GET_ITEM, [inputs[0], parse_key(values["key"])], {}
    if name in SEQUENCE:
        return name, [list(inputs)], kwargs
    if name == "reshape":
        return name, [inputs[0], values["newshape"]], {}
    if name in CALLS:
        return name, *CALLS[name](values, kwargs, list(inputs))
    return name, list(inputs), kwargs
