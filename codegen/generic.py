"""Code for KerasLayer nodes: a Keras layer kept as its class and full config.

The layer is rebuilt with `keras.saving.deserialize_keras_object(..., safe_mode=True)`
and called the way the node's call template says. Every value of the config and of
the template is written with `literal` (so strings go through `repr`), tensors are
the variables of the node's inputs, and keyword names must be identifiers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kerascanvas.graph.layers.generic import PLACEHOLDER, Constant, decode_marker
from kerascanvas.graph.spec import GENERIC

from .errors import CodegenError
from .generic_helpers import Helper, config_of, helper_call
from .literals import INDENT, LINE_LIMIT, Code, call, keyword_arguments, literal, pretty

KIND = GENERIC
DESERIALIZE = "keras.saving.deserialize_keras_object"


def constructor(params: Mapping[str, Any], name: str, indent: str = "", prefix: str = "",
                suffix: str = "", dtype: str | None = None) -> str:
    """`prefix + keras.saving.deserialize_keras_object({...}, safe_mode=True) + suffix`,
    or the call of the module's helper for the layer's family (`generic_helpers`).

    `dtype` (an output layer under mixed precision) goes into the kept config.
    """
    config = config_of(params, name, dtype)
    made = helper_call(config)
    if made is not None:
        function, values = made
        return call(function, [literal(name)], values, indent, prefix, suffix)
    return deserialize_call(config, indent, prefix, suffix)


def deserialize_call(config: dict, indent: str = "", prefix: str = "", suffix: str = "") -> str:
    """The `deserialize_keras_object` call of a serialization dict, wrapped when long."""
    line = call(DESERIALIZE, [literal(config)], {"safe_mode": True}, indent, prefix, suffix)
    if all(len(part) <= LINE_LIMIT for part in line.split("\n")):
        return line
    inner = indent + INDENT
    return (f"{indent}{prefix}{DESERIALIZE}(\n{inner}{pretty(config, inner)},\n"
            f"{inner}safe_mode=True,\n{indent}){suffix}")


def helper_source(helper: Helper) -> str:
    """The `def` of a family's helper: its config, with the varying values as arguments."""
    names = ["name", *helper.varying]
    class_name = helper.config["class_name"]
    what = "A layer" if not class_name.isidentifier() else \
        f"A {class_name}" if class_name.endswith("Layer") else f"A {class_name} layer"
    verb = "varies" if len(names) == 1 else "vary"
    doc = f'{INDENT}"""{what} rebuilt from its config; {", ".join(names)} {verb} per use."""'
    if len(doc) > LINE_LIMIT:
        doc = f'{INDENT}"""A layer rebuilt from its config; the arguments vary per use."""'
    body = deserialize_call(helper.config, INDENT, "return ")
    return f"def {helper.function}({', '.join(names)}):\n{doc}\n{body}\n"


def _with_tensors(value: Any, sources: Sequence[str]) -> Any:
    """The template value with each `{"__input__": i}` replaced by the i-th input variable."""
    if isinstance(value, dict) and set(value) == {PLACEHOLDER}:
        port = value[PLACEHOLDER]
        if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port < len(sources):
            raise CodegenError(f"Expected an input port number below {len(sources)} in the "
                               f"call template, received {port!r}")
        return Code(sources[port])
    marked, decoded = decode_marker(value, lambda v: _with_tensors(v, sources))
    if marked:
        return _index_code(decoded)
    if isinstance(value, list):
        return [_with_tensors(v, sources) for v in value]
    if isinstance(value, dict):
        return {k: _with_tensors(v, sources) for k, v in value.items()}
    return value


def _index_code(value: Any) -> Any:
    """A decoded marker as source: `slice(1, 3, None)`, `...`, a tuple, or a constant
    tensor `keras.ops.convert_to_tensor([...], dtype='float32')`."""
    if isinstance(value, slice):
        return Code(f"slice({literal(value.start)}, {literal(value.stop)}, {literal(value.step)})")
    if value is Ellipsis:
        return Code("...")
    if isinstance(value, Constant):
        return Code(f"keras.ops.convert_to_tensor({literal(value.value)}, "
                    f"dtype={literal(value.dtype)})")
    return value


def call_arguments(params: Mapping[str, Any], sources: Sequence[str],
                   training: str | None = None) -> str:
    """`(x)`, `([a, b])` or the node's call template filled in with its input variables.

    With `training` (the name of a subclassed model's own `training` argument), a
    recorded `training=True` holds only when the model is called without one, as a
    Functional model reads it: `training=True if training is None else training`.
    """
    template = params.get("call")
    if template is None:
        return f"({sources[0]})" if len(sources) == 1 else f"([{', '.join(sources)}])"
    parts = [literal(_with_tensors(v, sources)) for v in template.get("args", [])]
    kwargs = {k: _with_tensors(v, sources) for k, v in template.get("kwargs", {}).items()}
    if training is not None and isinstance(kwargs.get("training"), bool):
        kwargs["training"] = Code(f"{kwargs['training']} if {training} is None else {training}")
    parts += keyword_arguments(kwargs)
    return f"({', '.join(parts)})"


def recorded_training(params: Mapping[str, Any]) -> bool:
    """Whether the node's call template holds a `training=True/False` of its own."""
    return isinstance(((params.get("call") or {}).get("kwargs") or {}).get("training"), bool)
