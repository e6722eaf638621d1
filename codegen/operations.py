"""Code for operation nodes: a keras.ops call (or `x[key]`) in the model's code.

`keras.ops.mean(x, axis=1)`, `keras.ops.subtract(1.0, x)`, `x[:, None, 1:3]`: the
arguments come from `graph.layers.operations.call_parts`, as the runtime build's do.
An operation makes no layer object, so it is one expression on its inputs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from kerascanvas.graph.layers.common import data_format
from kerascanvas.graph.layers.op_keys import key_text
from kerascanvas.graph.layers.operations import GET_ITEM, call_parts
from kerascanvas.graph.spec import LayerSpec

from .errors import CodegenError
from .literals import INDENT, LINE_LIMIT, Code, arguments, call, literal

# The step keyword holding an output operation's dtype under mixed precision (`dtype`
# itself is a param of ops.cast and ops.one_hot).
OUTPUT_DTYPE = "__output_dtype__"
NAMER = "named_op"
# The helper `statement` calls, written once in a module that uses it. Keras' operation
# classes take `name=`, but keras.ops exports only the functions, which take none.
NAMER_SOURCE = f'''def {NAMER}(outputs, name):
    """Name the keras.ops operation that made `outputs` (a tensor, or a split's list):
    keras.ops functions take no name, and Keras would number it after what was made
    before in the process."""
    first = outputs[0] if isinstance(outputs, (list, tuple)) else outputs
    history = getattr(first, "_keras_history", None)  # None: Keras' automatic name stays
    if history is not None:
        history.operation.name = name
    return outputs
'''


def with_namer(module):
    """`module` with the `named_op` helper before its other blocks when one calls it."""
    if not any(f"{NAMER}(" in block for block in module.blocks):
        return module
    return dataclasses.replace(module, blocks=[NAMER_SOURCE, *module.blocks])


# A layer's data_format param, whose default (channels_last) generated layers leave out.
LAYER_DATA_FORMAT = data_format()


class Expression(str):
    """The source of an operation's call, as `emit.call_suffix` gives it; `outputs` is
    how many tensors it gives (a split gives a list). A keras.ops call keeps its
    function and argument snippets (`callee`, `parts`), so `assignment` can wrap it."""

    outputs: int = 1
    callee: str | None = None  # None: `x[key]`, no call
    parts: tuple[str, ...] = ()


def expression(spec: LayerSpec, params: Mapping[str, Any], sources: Sequence[str]) -> Expression:
    """`keras.ops.<function>(...)` on the input variables, or `x[key]`."""
    function, args, kwargs = call_parts(spec.kind, params, [Code(s) for s in sources])
    if function == GET_ITEM:
        text = Expression(f"{args[0]}[{key_text(args[1])}]")
    else:
        kwargs = without_layout_default(kwargs)
        parts = tuple(arguments(map(literal, args), kwargs))
        text = Expression(f"keras.ops.{function}({', '.join(parts)})")
        text.callee, text.parts = f"keras.ops.{function}", parts
    text.outputs = spec.output_count(params)
    return text


def without_layout_default(kwargs: dict[str, Any]) -> dict[str, Any]:
    """`kwargs` without a `data_format` of channels_last, as a layer's is left out.

    keras.ops reads None as Keras' configured image_data_format, channels_last unless
    keras.json says otherwise; the graph's shapes take it as channels_last, and the layers
    of the same code leave that value out under the same assumption. An imported model's
    operations hold the value Keras resolved (channels_last), which would otherwise be
    written on each call; channels_first is kept."""
    if "data_format" in kwargs and LAYER_DATA_FORMAT.is_default(kwargs["data_format"]):
        return {k: v for k, v in kwargs.items() if k != "data_format"}
    return kwargs


def assignment(expr: Expression, indent: str, prefix: str, dtype: str | None = None) -> str:
    """`indent + prefix + expr` as a subclassed model's call() writes it (no naming
    helper: its operations make no config), cast to `dtype` when one is given, and
    wrapped the way `literals.call` wraps a layer's call when the line is too long."""
    if dtype is not None and expr.outputs > 1:
        line = f"{indent}{prefix}{cast(expr, dtype, expr.outputs)}"
        if len(line) <= LINE_LIMIT:
            return line
        inner = indent + INDENT
        return (f"{indent}{prefix}[\n{inner}{cast('t', dtype)}\n"
                f"{inner}for t in {expr}\n{indent}]")
    if dtype is not None:
        return call("keras.ops.cast", [expr, literal(dtype)], {}, indent, prefix)
    if expr.callee is None:
        return f"{indent}{prefix}{expr}"
    return call(expr.callee, expr.parts, {}, indent, prefix)


def statement(spec: LayerSpec, name: str, indent: str, prefix: str, suffix: str,
              dtype: str | None = None) -> str:
    """`indent + prefix + named_op(expression, name)`: the operation gets the node's name
    (keras.ops functions take none); it has no layer to list on its own.

    `dtype` (a model output under mixed precision, where output layers compute in
    float32) casts the result, and names the cast `<name>_<dtype>` (an automatic name
    could be a node's): `named_op(keras.ops.cast(named_op(keras.ops.mean(x, axis=1),
    'mean'), 'float32'), 'mean_float32')`; each of a split's outputs has its own cast,
    named `<name>_<dtype>_<i>`.
    """
    if not isinstance(suffix, Expression):
        raise CodegenError(f"Node {name!r} ({spec.kind}) is an operation, not a layer: it "
                           "cannot be an item of a Sequential model. Use the functional style")
    text = f"{NAMER}({suffix}, {literal(name)})"
    if dtype is None:
        return named(indent, prefix, suffix, literal(name))
    cast_as = literal(cast_name(name, dtype))
    if suffix.outputs == 1:
        return named(indent, prefix, cast(text, dtype), cast_as)
    return (f"{indent}{prefix}[{NAMER}({cast('t', dtype)}, {cast_as} + '_' + str(i))\n"
            f"{indent}{INDENT}for i, t in enumerate({text})]")


def named(indent: str, prefix: str, call: str, name: str) -> str:
    """`prefix + named_op(call, name)`, on three lines when one would pass the limit."""
    line = f"{indent}{prefix}{NAMER}({call}, {name})"
    if len(line) <= LINE_LIMIT:
        return line
    inner = indent + INDENT
    return f"{indent}{prefix}{NAMER}(\n{inner}{call},\n{inner}{name},\n{indent})"


def cast_name(name: str, dtype: str) -> str:
    """The name of the cast after output operation `name` (`mean_float32`), as the runtime
    gives it; an expression for a block helper's `name + '_mean'`."""
    suffix = f"_{dtype}"
    return Code(f"{name} + {literal(suffix)}") if isinstance(name, Code) else name + suffix


def cast(text: str, dtype: str | None, outputs: int = 1) -> str:
    """`text`, cast to `dtype` when one is given (each tensor of a list of `outputs`)."""
    if dtype is None:
        return text
    if outputs > 1:
        return f"[keras.ops.cast(t, {literal(dtype)}) for t in {text}]"
    return f"keras.ops.cast({text}, {literal(dtype)})"
