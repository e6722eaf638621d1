"""Code for operation nodes: a keras.ops call (or `x[key]`) in the model's code.

`keras.ops.mean(x, axis=1)`, `keras.ops.subtract(1.0, x)`, `x[:, None, 1:3]`: the
arguments come from `graph.layers.operations.call_parts`, as the runtime build's do.
An operation makes no layer object, so it is one expression on its inputs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from kerascanvas.graph.layers.common import data_format
from kerascanvas.graph.layers.op_keys import key_text
from kerascanvas.graph.layers.operations import GET_ITEM, call_parts
from kerascanvas.graph.spec import LayerSpec

from .errors import CodegenError
from .literals import INDENT, LINE_LIMIT, Code, arguments, literal

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


def assignment(expr: Expression, indent: str, prefix: str,
               dtype: str | tuple | None = None) -> str:
    """`indent + prefix + expr` as a subclassed model's call() writes it (no naming
    helper: its operations make no config), cast to `dtype` when one is given (a tuple:
    one per output, None for one left as it is), and wrapped the way `literals.call`
    wraps a layer's call when the line is too long."""
    if isinstance(dtype, tuple):
        dtype, only = _cast_outputs(dtype)
        return _comprehension(indent, prefix, Nested("keras.ops.cast", ("t", literal(dtype))),
                              "i, t", Nested("enumerate", (_nested(expr),)),
                              f" if i in {only} else t")
    if dtype is not None and expr.outputs > 1:
        return _comprehension(indent, prefix, Nested("keras.ops.cast", ("t", literal(dtype))),
                              "t", _nested(expr))
    if dtype is not None:
        return wrapped(Nested("keras.ops.cast", (_nested(expr), literal(dtype))), indent,
                       prefix)
    return wrapped(_nested(expr), indent, prefix)


def statement(spec: LayerSpec, name: str, indent: str, prefix: str, suffix: str,
              dtype: str | tuple | None = None) -> str:
    """`indent + prefix + named_op(expression, name)`: the operation gets the node's name
    (keras.ops functions take none); it has no layer to list on its own.

    `dtype` (a model output under mixed precision, where output layers compute in
    float32) casts the result, and names the cast `<name>_<dtype>` (an automatic name
    could be a node's): `named_op(keras.ops.cast(named_op(keras.ops.mean(x, axis=1),
    'mean'), 'float32'), 'mean_float32')`; each of a split's outputs has its own cast,
    named `<name>_<dtype>_<i>`; a tuple `dtype` (top_k: `("float32", None)`) casts only
    the outputs it gives a dtype. Each is wrapped as black would where a line is too long.
    """
    if not isinstance(suffix, Expression):
        raise CodegenError(f"Node {name!r} ({spec.kind}) is an operation, not a layer: it "
                           "cannot be an item of a Sequential model. Use the functional style")
    made = Nested(NAMER, (_nested(suffix), literal(name)))
    if dtype is None:
        return wrapped(made, indent, prefix)
    dtype, only = _cast_outputs(dtype) if isinstance(dtype, tuple) else (dtype, None)
    cast_as = literal(cast_name(name, dtype))
    if suffix.outputs == 1:
        return wrapped(Nested(NAMER, (Nested("keras.ops.cast", (made, literal(dtype))),
                                      cast_as)), indent, prefix)
    item = Nested(NAMER, (Nested("keras.ops.cast", ("t", literal(dtype))),
                          f"{cast_as} + '_' + str(i)"))
    tail = "" if only is None else f" if i in {only} else t"
    return _comprehension(indent, prefix, item, "i, t", Nested("enumerate", (made,)), tail)


def _cast_outputs(dtypes: tuple) -> tuple[str, tuple[int, ...]]:
    """(the dtype, the outputs cast to it) of a per-output `dtypes` (`("float32", None)`)."""
    only = tuple(i for i, d in enumerate(dtypes) if d is not None)
    return dtypes[only[0]], only


class Nested(NamedTuple):
    """A call whose arguments are source snippets or further calls, for `wrapped`."""

    func: str
    parts: tuple

    def __str__(self) -> str:
        return f"{self.func}({', '.join(map(str, self.parts))})"


def _nested(expr: Expression) -> Nested | str:
    return str(expr) if expr.callee is None else Nested(expr.callee, expr.parts)


def wrapped(code: Nested | str, indent: str, prefix: str = "", suffix: str = "") -> str:
    """`indent + prefix + code + suffix`, each call too long for one line wrapped as black
    does: its arguments on one line of their own, or one per line, each wrapped in turn;
    targets too long to share a line with the call (`a, b, c = `) one per line too.

    >>> print(wrapped(Nested("f", ("x" * 40, Nested("g", ("y" * 40, "z" * 30)))), "", "out = "))
    out = f(
        xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx,
        g(yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy, zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz),
    )
    """
    line = f"{indent}{prefix}{code}{suffix}"
    if len(line) <= LINE_LIMIT:
        return line
    inner = indent + INDENT
    targets = _targets(indent, prefix, f"{getattr(code, 'func', code)}(")
    if targets != indent + prefix:
        return targets + wrapped(code, indent, "", suffix).lstrip()
    if isinstance(code, str):
        return line
    joined = ", ".join(map(str, code.parts))
    if len(inner) + len(joined) <= LINE_LIMIT:
        return f"{indent}{prefix}{code.func}(\n{inner}{joined}\n{indent}){suffix}"
    body = "".join(wrapped(part, inner, "", ",") + "\n" for part in code.parts)
    return f"{indent}{prefix}{code.func}(\n{body}{indent}){suffix}"


def _comprehension(indent: str, prefix: str, item: Nested, names: str,
                   source: Nested, tail: str = "") -> str:
    """`prefix + [item + tail for names in source]` (`tail`: ` if i in (0,) else t`), the
    item and the loop on lines of their own (each wrapped in turn) where one line would
    pass the limit."""
    line = f"{indent}{prefix}[{item}{tail} for {names} in {source}]"
    if len(line) <= LINE_LIMIT:
        return line
    inner = indent + INDENT
    return (f"{_targets(indent, prefix, '[')}[\n{wrapped(item, inner, '', tail)}\n"
            f"{wrapped(source, inner, f'for {names} in ')}\n{indent}]")


def _targets(indent: str, prefix: str, head: str) -> str:
    """`indent + prefix`, or, for several targets too long to share a line with the start
    of their value, `head` (`a, b, c = keras.ops.split(`), the targets one per line in
    parentheses."""
    if not (prefix.endswith(" = ") and "," in prefix
            and len(indent + prefix + head) > LINE_LIMIT):
        return indent + prefix
    inner = indent + INDENT
    names = "".join(f"{inner}{t.strip()},\n" for t in prefix[:-3].split(","))
    return f"{indent}(\n{names}{indent}) = "


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
