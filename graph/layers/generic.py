"""KerasLayer: a Keras layer (or operation) with no dedicated kind, kept whole.

The importer turns any layer the table has no entry for into a KerasLayer node
holding the class, its full `get_config()` and how it was called. Its shape
rule cannot know the layer's maths, so the importer (or
`kerascanvas.runtime.import_generic.infer_generic`) records the output shapes
Keras computed, keyed by the input shapes they were computed for:

>>> from kerascanvas.graph import get_spec
>>> spec = get_spec("KerasLayer")
>>> rec = [{"inputs": [[None, 8]], "outputs": [[None, 8]]}]
>>> params = spec.resolve({"class_name": "Identity", "output_shapes": rec})
>>> spec.output_shapes(params, [(None, 8)])
[(None, 8)]
>>> spec.output_shapes(params, [(4, 8)])
[(4, 8)]

A call template says how the layer was called: `{"args": [...], "kwargs": {...}}`
where `{"__input__": i}` stands for the tensor on input port `i`; without one the
layer gets its single input, or the list of its inputs. Indexing keys, which
JSON has no words for, are marked too: `{"__slice__": [start, stop, step]}`,
`{"__ellipsis__": true}` for `...`, and `{"__tuple__": [...]}` for a tuple key
such as the one of `x[..., None, 1:3]`. A constant array or tensor argument
(`x + np.array([1.0, 2.0])`, `x * ops.eye(3)`) is `{"__array__": {"value": [...],
"dtype": "float32"}}`, rebuilt as a tensor of that dtype. The kept config of an
operation (not a layer) marks its tuples the same way, so it rebuilds with the very
config it had.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..document import identifier_problem
from ..errors import ShapeError
from ..keras_classes import locate_problem
from ..params import ParamSpec
from ..shapes import fmt
from ..spec import GENERIC, LayerSpec, Sample, register

PLACEHOLDER = "__input__"
SLICE, ELLIPSIS, TUPLE, ARRAY = "__slice__", "__ellipsis__", "__tuple__", "__array__"


@dataclass(frozen=True)
class Constant:
    """A constant array argument of a call: nested lists of numbers and their dtype."""

    value: Any
    dtype: str


def decode_marker(value: Any, fill) -> tuple[bool, Any]:
    """(True, the Python value) of a slice, ellipsis or tuple marker, else (False, None).

    `fill` decodes the marker's parts (which may hold input tensors).

    >>> decode_marker({"__slice__": [1, None, None]}, lambda v: v)
    (True, slice(1, None, None))
    """
    if not isinstance(value, dict) or len(value) != 1:
        return False, None
    (key, inner), = value.items()
    if key == SLICE and isinstance(inner, list) and len(inner) == 3:
        return True, slice(*(fill(v) for v in inner))
    if key == ELLIPSIS:
        return True, Ellipsis
    if key == TUPLE and isinstance(inner, list):
        return True, tuple(fill(v) for v in inner)
    if key == ARRAY and isinstance(inner, dict) and set(inner) == {"value", "dtype"} \
            and isinstance(inner["dtype"], str):
        return True, Constant(inner["value"], inner["dtype"])
    return False, None
UNKNOWN_SHAPE = ("shape unknown for these inputs: only the input shapes recorded at import "
                 "are known; re-import the model (`kerascanvas import`) with these inputs")


def _is_shape(value: Any) -> bool:
    return isinstance(value, list) and all(
        d is None or (isinstance(d, int) and not isinstance(d, bool) and d >= 0) for d in value)


def _records_problem(value: Any) -> str | None:
    """Why `value` is not a list of {"inputs": [shape...], "outputs": [shape...]} records."""
    if value is None:
        return None
    expected = 'a list of {"inputs": [shapes], "outputs": [shapes]} records'
    if not isinstance(value, list):
        return expected
    for rec in value:
        if not isinstance(rec, dict) or set(rec) != {"inputs", "outputs"}:
            return expected
        shapes = [*rec["inputs"], *rec["outputs"]] if all(
            isinstance(rec[k], list) for k in rec) else [None]
        if not rec["outputs"] or not all(_is_shape(s) for s in shapes):
            return expected
    return None


def _call_problem(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not set(value) <= {"args", "kwargs"}:
        return 'a call template {"args": [...], "kwargs": {...}} or null'
    if not isinstance(value.get("args", []), list) or not isinstance(value.get("kwargs", {}),
                                                                      dict):
        return 'a call template {"args": [...], "kwargs": {...}} or null'
    for key in value.get("kwargs", {}):
        if problem := identifier_problem(key):
            return f"call keywords that are each {problem}; received {key!r}"
    return _array_problem(value)


# The dtypes a constant argument may have (Keras' names for numeric and bool dtypes).
ARRAY_DTYPES = frozenset({"bool", "uint8", "uint16", "uint32", "uint64", "int8", "int16",
                          "int32", "int64", "bfloat16", "float16", "float32", "float64"})


def _array_problem(value: Any) -> str | None:
    """Why a constant marker somewhere in `value` is malformed, or None."""
    if isinstance(value, list):
        return next(filter(None, map(_array_problem, value)), None)
    if not isinstance(value, dict):
        return None
    if set(value) != {ARRAY}:
        return next(filter(None, map(_array_problem, value.values())), None)
    inner = value[ARRAY]
    ok = isinstance(inner, dict) and set(inner) == {"value", "dtype"} \
        and inner["dtype"] in ARRAY_DTYPES and _numbers(inner["value"])
    return None if ok else (
        'constant arrays {"__array__": {"value": nested lists of numbers, "dtype": one of '
        f'{", ".join(sorted(ARRAY_DTYPES))}}}; received {inner!r:.120}')


def _numbers(value: Any) -> bool:
    if isinstance(value, list):
        return all(map(_numbers, value))
    return isinstance(value, int | float | bool)


def _locate_check(params: Mapping[str, Any]) -> str | None:
    """Keras must be able to find the class (graph.keras_classes), or run would refuse it."""
    return locate_problem(params["module"], params["class_name"], params["registered_name"])


def _config_problem(value: Any) -> str | None:
    return None if value is None or isinstance(value, dict) else "a JSON object or null"


def _match_batchless(record_inputs: list, wanted: list) -> bool:
    """Same shapes apart from the batch axis, which the record leaves unknown."""
    if len(record_inputs) != len(wanted):
        return False
    return all(len(r) == len(w) and r and r[0] is None and r[1:] == w[1:]
               for r, w in zip(record_inputs, wanted, strict=True))


def _generic_shape(params: Mapping[str, Any], inputs: list) -> list:
    wanted = [list(s) for s in inputs]
    records = params["output_shapes"] or []
    for rec in records:
        if rec["inputs"] == wanted:
            return [tuple(s) for s in rec["outputs"]]
    # A fixed batch size set on an Input flows through unchanged: the record made
    # with an unknown batch still holds for every other axis.
    batches = {s[0] for s in wanted if s}
    for rec in records:
        if len(batches) == 1 and _match_batchless(rec["inputs"], wanted):
            (batch,) = batches
            return [tuple([batch if s and s[0] is None else s[0], *s[1:]]) if s else ()
                    for s in rec["outputs"]]
    received = ", ".join(fmt(s) for s in inputs)
    raise ShapeError(f"{params['class_name']}: {UNKNOWN_SHAPE}. Received: input shapes "
                     f"{received}", port=0)


def _generic_count(params: Mapping[str, Any], inputs: list) -> tuple[int, int]:
    count = params["count"]
    return (0, 0) if count is None else (count[0], count[1])


def _generic_outputs(params: Mapping[str, Any]) -> int:
    records = params.get("output_shapes") or []
    return len(records[0]["outputs"]) if records else 1


def config_tuples(value: Any) -> Any:
    """A kept config with each `{"__tuple__": [...]}` marker made a tuple again.

    An operation keeps the values it was given (`ops.sum(x, axis=(1, 2))` has the config
    axis=(1, 2)), so the importer marks its tuples, which JSON would turn into lists.

    >>> config_tuples({"axis": {"__tuple__": [1, 2]}, "keepdims": False})
    {'axis': (1, 2), 'keepdims': False}
    """
    marked, decoded = decode_marker(value, config_tuples)
    if marked and isinstance(decoded, tuple):
        return decoded
    if isinstance(value, list):
        return [config_tuples(v) for v in value]
    if isinstance(value, dict):
        return {k: config_tuples(v) for k, v in value.items()}
    return value


def serialized(params: Mapping[str, Any], name: str) -> dict:
    """The Keras serialization dict of the layer, named `name`."""
    return {
        "module": params["module"],
        "class_name": params["class_name"],
        "config": {**config_tuples(params.get("config") or {}), "name": name},
        "registered_name": params.get("registered_name"),
    }


register(LayerSpec(
    kind=GENERIC,
    category="Core",
    doc="A Keras layer with no dedicated node; kept as its class name and full config",
    params=(
        ParamSpec("class_name", "str", initial="Identity", doc="The Keras class name"),
        ParamSpec("module", "str", default="keras.layers", doc="Module the class lives in"),
        ParamSpec("registered_name", "str", default=None, allow_none=True,
                  doc="Name the class is registered under, for custom layers"),
        ParamSpec("config", "json", default=None, check=_config_problem,
                  doc="The layer's full get_config(); empty for the class defaults"),
        ParamSpec("call", "json", default=None, check=_call_problem,
                  doc="How the layer is called; empty for its input (or list of inputs)"),
        ParamSpec("output_shapes", "json", default=None, check=_records_problem,
                  doc="Output shapes Keras computed, keyed by input shapes"),
        ParamSpec("count", "int_list", default=None, length=2, min=0, allow_none=True,
                  doc="Recorded (trainable, non-trainable) parameter count"),
    ),
    shape=_generic_shape,
    count=_generic_count,
    min_inputs=1,
    max_inputs=None,
    outputs=_generic_outputs,
    # a layer of several outputs may give them nested (an RNN over a stack of cells): the
    # code flattens them, as Keras numbers them
    nested_outputs=lambda params: _generic_outputs(params) > 1,
    check=_locate_check,
    samples=(Sample({"class_name": "Identity",
                     "output_shapes": [{"inputs": [[None, 5]], "outputs": [[None, 5]]}]},
                    ((None, 5),)),),
))
