"""A keras.ops operation of a model -> an operation node, or a merge layer where that is
the very same computation.

Keras records `x + y`, `x * 0.5`, `ops.mean(x, axis=1)`, `x[:, 0]` as operations
(classes of `keras.src.ops.numpy`), not layers. Each one whose function has a kind
in `graph.layers.operations` becomes a node of that kind: its config gives the
params, its call gives the inputs (and a number operand becomes `constant`). Two or
more float32 tensors of one rank added, subtracted, multiplied, compared elementwise
(maximum, minimum) or concatenated become our Add, Subtract, Multiply, Maximum,
Minimum or Concatenate node: those layers compute exactly the op there. Each mapping
is checked (`import_ops_check`): the call rebuilt on fresh symbolic inputs of the same
shapes and dtypes must give the outputs the model has, and our shape rule the same
shapes; otherwise the operation stays a KerasLayer node, and the report says why.
"""

from __future__ import annotations

from typing import Any

from kerascanvas.graph.errors import KerasCanvasError
from kerascanvas.graph.layers.generic import ARRAY, PLACEHOLDER, TUPLE, decode_marker
from kerascanvas.graph.layers.op_keys import key_text, parse_key
from kerascanvas.graph.layers.operations import BINARY, PREFIX, SEQUENCE
from kerascanvas.graph.names import OP_AUTO_NAMES, default_name
from kerascanvas.graph.params import to_json
from kerascanvas.graph.spec import LAYER_SPECS, get_spec

from .import_ops_check import NotMapped, as_layer, check
from .keras_env import import_keras

# Where Keras' operation classes live (keras.ops exports their functions).
_MODULES = {f"keras.src.ops.{m}" for m in ("numpy", "nn", "math", "core", "linalg")}
# Operation modules whose functions keras.ops exports under a submodule of their own.
_SUBMODULES = {"keras.src.ops.image": "image."}
# The operands of these functions that a number (or indices) may fill, after the first.
_NUMBERS = {"where": ("x1", "x2"), "take": ("indices",)}
# Tensors passed by keyword that are the node's further ports: function -> the keywords,
# in port order from port 1.
_KEYWORD_PORTS = {"average": ("weights",), "rms_normalization": ("scale",)}
# Functions whose op records its optional tensors positionally, None where not given.
_OPTIONAL_TENSORS = {"layer_normalization"}
# Op classes whose name is not their keras.ops function's: class name -> function.
_ALIASES = {name: function for function, name in OP_AUTO_NAMES.items()}
# Params that the op's call takes positionally after its tensors: function -> (index of
# the first, their names) (`isclose(x1, x2, rtol, atol)`, `quantile(x, q)`).
_POSITIONAL_PARAMS = {"isclose": (2, ("rtol", "atol")),
                      **{f: (1, ("q",)) for f in ("quantile", "percentile", "nanquantile",
                                                  "nanpercentile")}}
# Config keys of op classes that no param covers, and the value they must have.
_NEUTRAL = {"initial": None, "sparse": False, "rms_scaling": False}


def operation_function(op) -> str | None:
    """The keras.ops function of an operation object (`TrueDivide` -> `true_divide`,
    image's `Resize` -> `image.resize`), or None when it is no keras.ops operation (a
    layer, a custom operation)."""
    keras = import_keras()
    module = type(op).__module__
    if isinstance(op, keras.layers.Layer) or module not in _MODULES | set(_SUBMODULES):
        return None
    name = default_name(type(op).__name__)
    return _SUBMODULES.get(module, "") + _ALIASES.get(name, name)


def map_operation(node, template: dict, tensors: list) -> tuple[Any, str | None]:
    """(Call, None) for the node an operation call becomes, or (None, why not); (None,
    None) when the call is no keras.ops operation at all."""
    from .import_map import Call

    function = operation_function(node.operation)
    if function is None:
        return None, None
    if PREFIX + function not in LAYER_SPECS:
        return None, f"keras.ops.{function} has no node kind"
    try:
        template = _keyword_ports(function, _named_positionals(function, template))
        params, inputs = _params(PREFIX + function, node.operation, template, tensors,
                                 len(node.outputs))
        call = as_layer(function, params, inputs, node) or Call(PREFIX + function, params,
                                                                   inputs)
        check(call, node)
    except NotMapped as why:
        return None, str(why)
    return call, None


def _keyword_ports(function: str, template: dict) -> dict:
    """The call's template with the tensors passed by the keywords of its further ports
    (average's `weights=w`, rms_normalization's `scale=s`) moved after the first, and
    the trailing None of an op that records its optional tensors positionally
    (layer_normalization's gamma and beta) left out."""
    args, kwargs = list(template["args"]), dict(template.get("kwargs", {}))
    if function in _OPTIONAL_TENSORS:
        while len(args) > 1 and args[-1] is None:
            args.pop()
    for keyword in _KEYWORD_PORTS.get(function, ()):
        value = kwargs.get(keyword)
        if not (isinstance(value, dict) and set(value) == {PLACEHOLDER}):
            break
        if len(args) != 1 + _KEYWORD_PORTS[function].index(keyword):
            raise NotMapped(f"its {keyword} tensor comes with other positional arguments")
        args.append(kwargs.pop(keyword))
    return {"args": args, **({"kwargs": kwargs} if kwargs else {})}


def _named_positionals(function: str, template: dict) -> dict:
    """The call's template with the plain values its op takes positionally after the
    tensors (isclose's rtol and atol, quantile's q: a number or a list of them) as
    keywords."""
    start, names = _POSITIONAL_PARAMS.get(function, (0, ()))
    args, extra = template["args"][:start], template["args"][start:]
    if not names or not extra:
        return template
    if len(extra) > len(names) or not all(_plain(v) or _numbers(v) for v in extra):
        raise NotMapped(f"it is called with arguments the ops.{function} node does not take")
    given = dict(zip(names[:len(extra)], extra, strict=True))
    return {"args": args, "kwargs": {**given, **template.get("kwargs", {})}}


def _params(kind: str, op, template: dict, tensors: list, outputs: int) -> tuple[dict, list]:
    """(non-default params in JSON form, port-ordered input tensors) of one call that
    made `outputs` tensors."""
    spec = get_spec(kind)
    config = {k: v for k, v in op.get_config().items() if k != "name"}
    for key, neutral in _NEUTRAL.items():
        if config.pop(key, neutral) != neutral:
            raise NotMapped(f"its {key} is set, which the {kind} node does not take")
    if kind == PREFIX + "unstack" and config.get("num") is None:  # Keras read the shape
        config["num"] = outputs
    names = {p.name for p in spec.params}
    keywords = {k: v for k, v in template.get("kwargs", {}).items()  # ops.pad's
                if k in names or v is not None}  # constant_values; mask=None: no mask
    extra = sorted(set(config) - names) or sorted(
        k for k, v in keywords.items() if k not in names or not (_plain(v) or _numbers(v)))
    if extra:
        raise NotMapped(f"it is called with settings the {kind} node does not take: {extra}")
    values, inputs = _arguments(kind, template["args"], tensors)
    values = {**keywords, **values}
    try:
        resolved = spec.resolve({**config, **values})
        return {k: to_json(v) for k, v in spec.non_default(resolved).items()}, inputs
    except KerasCanvasError as exc:
        raise NotMapped(str(exc)) from None


def _plain(value) -> bool:
    """Whether a call keyword is a plain value (a number, text, None), not a tensor."""
    return value is None or isinstance(value, int | float | str)


def _numbers(value) -> bool:
    return isinstance(value, list) and all(isinstance(v, int | float) for v in value)


def _tensor(value, tensors: list):
    if isinstance(value, dict) and set(value) == {PLACEHOLDER}:
        return tensors[value[PLACEHOLDER]]
    return None


def _arguments(kind: str, args: list, tensors: list) -> tuple[dict, list]:
    """(params the call's arguments give, port-ordered inputs) of one call."""
    function = kind.removeprefix(PREFIX)
    found = [_tensor(a, tensors) for a in args]
    if function in BINARY and len(args) == 2:
        numbers = [a for a, t in zip(args, found, strict=True) if t is None]
        if not numbers:
            return {}, found
        if len(numbers) == 1 and isinstance(numbers[0], int | float) \
                and not isinstance(numbers[0], bool):
            return {"constant": numbers[0], "constant_first": found[0] is None}, \
                [t for t in found if t is not None]
    elif function == "get_item" and len(args) == 2 and found[0] is not None:
        return {"key": _key(args[1])}, found[:1]
    elif function in SEQUENCE and len(args) == 1 and isinstance(args[0], list):
        inputs = [_tensor(a, tensors) for a in args[0]]
        if inputs and None not in inputs:
            return {}, inputs
    elif function in _NUMBERS and None not in found[:1]:
        return _with_numbers(function, args, found)
    elif None not in found and _fits(get_spec(kind), len(found)):
        return {}, found
    if any(isinstance(a, dict) and ARRAY in a for a in args):
        raise NotMapped("an operand is a constant array or tensor, which only a KerasLayer "
                        "node keeps")
    raise NotMapped(f"it is called with arguments the {kind} node does not take")


def _fits(spec, count: int) -> bool:
    return spec.min_inputs <= count <= (spec.max_inputs or count)


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _with_numbers(function: str, args: list, found: list) -> tuple[dict, list]:
    """(params, tensor inputs) of a where or take whose operands may be numbers:
    `where(c, x, 0.0)` -> x2=0.0; `take(x, [0, 2])` -> indices=[0, 2]."""
    names = _NUMBERS[function]
    if len(args) != len(names) + 1:
        raise NotMapped(f"it is called with arguments the ops.{function} node does not take")
    params = {}
    for name, arg, tensor in zip(names, args[1:], found[1:], strict=True):
        if tensor is None:
            if not (_number(arg) if function == "where" else _indices(arg)):
                raise NotMapped(f"its {name} is {_shown(arg)}, which the ops.{function} "
                                f"node does not take (a tensor or a number)")
            params[name] = arg
    return params, [t for t in found if t is not None]


def _indices(value) -> bool:
    """Whether `value` is an int or a flat list of ints (what `indices` holds)."""
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, list) and bool(value) and all(_indices(v) and not
                                                        isinstance(v, list) for v in value))


def _shown(value) -> str:
    return "a constant array" if isinstance(value, dict) and ARRAY in value else repr(value)


def _key(template) -> str:
    """The text of an indexing key's template (ints, slices, None, `...`), or NotMapped.
    A saved model gives a tuple key back as a list; one holding a slice, None or `...` is
    that tuple (a list of ints alone would index one axis at several places)."""
    if isinstance(template, list) and not all(isinstance(v, int) for v in template):
        template = {TUPLE: template}

    def plain(value):
        if isinstance(value, dict) and set(value) == {PLACEHOLDER}:
            raise NotMapped("its index is a tensor")
        marked, decoded = decode_marker(value, plain)
        if marked and not hasattr(decoded, "dtype"):
            return decoded
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        raise NotMapped(f"its index holds {value!r}, which is no int, slice, None or ...")

    key = plain(template)
    if parse_key(key_text(key)) != key:
        raise NotMapped(f"its index {key!r} has no text form")
    return key_text(key)
