"""Python source for values and calls. Every string goes through `repr`.

>>> literal((3, 3)), literal((1,)), literal("it's"), literal(1e-05), literal(1 / 255)
('(3, 3)', '(1,)', '"it\\'s"', '1e-05', '1 / 255')
>>> call("layers.Dense", [], {"units": 10, "name": "out"})
"layers.Dense(units=10, name='out')"
"""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from kerascanvas.graph.number_text import reciprocal

from .errors import CodegenError

LINE_LIMIT = 99
INDENT = "    "


class Code(str):
    """Source text the writers made themselves (identifiers, expressions), written as is."""


def literal(value: Any) -> str:
    """Source text that evaluates to `value` (None, bool, int, float, str, tuple, list, dict)."""
    if isinstance(value, Code):
        return str(value)
    if value is None or isinstance(value, bool | int | str):
        return repr(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CodegenError(f"Expected a finite number, received {value!r}")
        n = reciprocal(value)  # Rescaling(scale=1 / 255), as people write it
        return repr(value) if n is None else f"1 / {n}"
    if isinstance(value, tuple):
        items = [literal(v) for v in value]
        return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
    if isinstance(value, list):
        return f"[{', '.join(literal(v) for v in value)}]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items()) + "}"
    raise CodegenError(f"Cannot write a value of type {type(value).__name__}: {value!r}")


def pretty(value: Any, indent: str = "") -> str:
    """`literal(value)`, with dicts, lists and tuples that would run past the line limit
    written one item per line (continuation lines indented from `indent`)."""
    one_line = literal(value)
    if len(indent) + len(one_line) <= LINE_LIMIT or not isinstance(value, dict | list | tuple):
        return one_line
    inner = indent + INDENT
    if isinstance(value, dict):
        items = [f"{inner}{literal(k)}: {pretty(v, inner)},\n" for k, v in value.items()]
        return "{\n" + "".join(items) + indent + "}"
    items = [f"{inner}{pretty(v, inner)},\n" for v in value]
    opening, closing = ("(", ")") if isinstance(value, tuple) else ("[", "]")
    return opening + "\n" + "".join(items) + indent + closing


def keyword_name(name: str) -> str:
    """`name` if it can be a keyword argument, else CodegenError.

    ASCII only: Python folds other identifiers by NFKC, so a full-width `ｎａｍｅ`
    would be `name` and could repeat a keyword.
    """
    if (not isinstance(name, str) or not name.isascii() or not name.isidentifier()
            or keyword.iskeyword(name)):
        raise CodegenError(f"Expected an ASCII Python identifier as argument name, "
                           f"received {name!r}")
    return name


def keyword_arguments(kwargs: Mapping[str, Any]) -> list[str]:
    """`key=literal` pairs; CodegenError for a name that is no keyword (see `keyword_name`)."""
    return [f"{keyword_name(k)}={literal(v)}" for k, v in kwargs.items()]


def arguments(args: Sequence[str], kwargs: Mapping[str, Any]) -> list[str]:
    """Positional source snippets followed by `key=literal` pairs."""
    return [*args, *keyword_arguments(kwargs)]


def call(func: str, args: Sequence[str], kwargs: Mapping[str, Any], indent: str = "",
         prefix: str = "", suffix: str = "") -> str:
    """`prefix + func(args, k=v) + suffix`, wrapped the way black wraps a long call.

    `args` are source snippets (variable names); `kwargs` values are written with `literal`.
    The result has no trailing newline; continuation lines are indented from `indent`.
    """
    parts = arguments(args, kwargs)
    joined = ", ".join(parts)
    line = f"{indent}{prefix}{func}({joined}){suffix}"
    if len(line) <= LINE_LIMIT or not parts:
        return line
    if len(indent) + len(INDENT) + len(joined) <= LINE_LIMIT:
        return f"{indent}{prefix}{func}(\n{indent}{INDENT}{joined}\n{indent}){suffix}"
    inner = indent + INDENT
    body = "".join(f"{inner}{_keyword_wrapped(part, inner)},\n" for part in parts)
    return f"{indent}{prefix}{func}(\n{body}{indent}){suffix}"


# `key=module.Class(args)`: a keyword whose value is one call (an initializer, a regularizer).
_KEYWORD_CALL = re.compile(r"(\w+=[\w.]+\()(.*)\)", re.DOTALL)


def _keyword_wrapped(part: str, indent: str) -> str:
    """`part` as it stands on its own line at `indent`; a keyword too long for that line
    whose value is one call gets that call's arguments on a line of their own, as black
    writes it: `kernel_initializer=keras.initializers.VarianceScaling(` ... `)`."""
    match = _KEYWORD_CALL.fullmatch(part)
    if len(indent) + len(part) + 1 <= LINE_LIMIT or match is None or "\n" in part:
        return part
    head, args = match.groups()
    if len(indent) + len(INDENT) + len(args) > LINE_LIMIT:
        return part
    return f"{head}\n{indent}{INDENT}{args}\n{indent})"


# A list or dict of variable names (`[a, b]`, `{'y': a, 'z': b}`), as io and merges pass
# tensors, or of lists of names (a stack of cells' `initial_state=[[h0, c0], s1]`): the
# items are found again by `_ITEM`, since neither names nor these keys hold a comma.
_ITEM = r"(?:'[^',\\]*': )?(?:[A-Za-z_]\w*|\[[A-Za-z_]\w*(?:, [A-Za-z_]\w*)*\])"
_NAMES = re.compile(r"([\[{])(" + _ITEM + r"(?:, " + _ITEM + r")+)([\]}])")


def wrap_name_lists(source: str) -> str:
    """`source` with each line past the limit whose last list (or dict) of variable names
    holds it up written one name per line, as black writes it; else, for a line that is
    one call (`y = self.dense(x)`), its arguments on a line of their own.

    >>> print(wrap_name_lists("    return [" + ", ".join(["a_long_name"] * 8) + "]"))
    ... # doctest: +NORMALIZE_WHITESPACE
        return [
            a_long_name,
            a_long_name,
            a_long_name,
            a_long_name,
            a_long_name,
            a_long_name,
            a_long_name,
            a_long_name,
        ]
    """
    return "\n".join(_parenthesized(line, _names_wrapped(line)) for line in source.split("\n"))


_TARGETS = re.compile(r"[A-Za-z_][\w\[\]., ]*")  # what an assignment's left side holds


def _parenthesized(line: str, code: str) -> str:
    """`code` (`line` wrapped), an assignment whose first line still runs past the limit,
    with its right-hand side in parentheses, one level in, as black writes it: `x = (` /
    `self.attr(...)` / `)`. Long layer names make both sides long: `stage_0_block_0_conv_1 =
    self.stage_0_block_0_conv_1(` in a subclass's call(). Only where `line` is a whole
    statement (its brackets closed, no string to mislead the count)."""
    first, *rest = code.split("\n")
    indent = first[:len(first) - len(first.lstrip())]
    lhs, equals, rhs = first.lstrip().partition(" = ")
    if len(first) <= LINE_LIMIT or not equals or not _TARGETS.fullmatch(lhs) \
            or "'" in line or '"' in line \
            or sum(line.count(c) for c in "([{") != sum(line.count(c) for c in ")]}"):
        return code
    return "\n".join([f"{indent}{lhs} = (", f"{indent}{INDENT}{rhs}",
                      *(f"{INDENT}{line}" for line in rest), f"{indent})"])


def _names_wrapped(line: str) -> str:
    if len(line) <= LINE_LIMIT:
        return line
    found = [m for m in _NAMES.finditer(line) if "{[".index(m.group(1)) == "}]".index(m.group(3))
             and _outside_strings(line[:m.start()])]
    if not found:
        return _call_wrapped(line)
    match = found[-1]
    indent = line[:len(line) - len(line.lstrip())]
    items = "".join(f"{indent}{INDENT}{item},\n" for item in re.findall(_ITEM, match.group(2)))
    return (f"{line[:match.start()]}{match.group(1)}\n{items}{indent}{match.group(3)}"
            f"{line[match.end():]}")


def _outside_strings(before: str) -> bool:
    """Whether the text after `before` is code: no string or comment is open there."""
    return before.count("'") % 2 == 0 and before.count('"') % 2 == 0 and "#" not in before


_CALL = re.compile(r"(\s*)((?:[\w, ]+ = )?[\w.]+)\((.+)\)")


def _call_wrapped(line: str) -> str:
    """`y = f(args)` as `y = f(\\n    args\\n)` where args fit a line of their own and hold
    no string (whose brackets could mislead the balance check)."""
    match = _CALL.fullmatch(line)
    if match is None:
        return line
    indent, head, args = match.groups()
    depth = 0
    for char in args:
        depth += (char in "([{") - (char in ")]}")
        if depth < 0:
            return line
    if depth or "'" in args or '"' in args or len(indent + INDENT + args) > LINE_LIMIT:
        return line
    return f"{indent}{head}(\n{indent}{INDENT}{args}\n{indent})"
