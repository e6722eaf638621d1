"""Parsing Python source text, from any thread.

CPython 3.11 before 3.11.8 (and 3.12 before 3.12.2) counts the depth of the step that
turns the parser's tree into `ast` objects in state that every thread shares. A garbage
collection inside that step may hand the interpreter to another thread, and a parse
there leaves the count off: the first parse fails with `SystemError: AST constructor
recursion depth mismatch` although its source is fine (CPython issue 106905, fixed by
PR 113035). `ast.literal_eval` goes through the same step; `compile()` of source text
to code does not.

The product parses from several threads at once (the window's editors, the search
space check, the custom-shape worker), so every parse of the product goes through
`parse`: one lock keeps the product's own parses apart, and a retry covers a parse by
something else in the process (a library, the test runner) that overlapped one of ours.
"""

from __future__ import annotations

import ast
import threading
from typing import Any

ATTEMPTS = 3
_MISMATCH = "AST constructor recursion depth mismatch"
# Reentrant: a collection during a parse may run a finalizer that parses too.
_LOCK = threading.RLock()


def parse(source: str | bytes, filename: str = "<unknown>", mode: str = "exec") -> ast.AST:
    """`ast.parse(source, filename, mode)`, safe to call from several threads at once.

    Raises SyntaxError (and ValueError for a null byte) as `ast.parse` does.

    >>> parse("x = 1").body[0].targets[0].id
    'x'
    """
    for attempt in range(ATTEMPTS):
        try:
            with _LOCK:
                return ast.parse(source, filename=filename, mode=mode)
        except SystemError as exc:
            if _MISMATCH not in str(exc) or attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # the loop returns or raises


def literal(text: str) -> Any:
    """`ast.literal_eval(text)` through `parse`.

    >>> literal(" [1, (2, 'a')]")
    [1, (2, 'a')]
    """
    return ast.literal_eval(parse(text.lstrip(" \t"), mode="eval"))


_ARITHMETIC = {ast.Add: float.__add__, ast.Sub: float.__sub__, ast.Mult: float.__mul__,
               ast.Div: float.__truediv__}


def arithmetic(text: str) -> Any:
    """The number a sum, difference, product or quotient of numbers gives (`1./255`, as
    Keras users write a Rescaling's scale), or a tuple (list) of literals and such numbers
    (`1/3, 1/3`, as a value is shown); nothing else is evaluated.

    Raises:
        ValueError: `text` is not such arithmetic, or divides by zero.

    >>> arithmetic("1./255") == 1 / 255, arithmetic("-(2 + 0.5) * 2"), arithmetic("3, 1/4")
    (True, -5.0, (3, 0.25))
    """
    try:
        return _value(parse(text.strip(), mode="eval").body, 0)
    except (SyntaxError, ZeroDivisionError, OverflowError, RecursionError) as exc:
        raise ValueError(f"not arithmetic of numbers: {text!r} ({exc})") from None


def _value(node: ast.AST, depth: int) -> Any:
    """A literal as `ast.literal_eval` reads it, arithmetic of numbers, or a tuple (list)
    of those."""
    if isinstance(node, ast.Tuple | ast.List) and depth < 20:
        items = [_value(item, depth + 1) for item in node.elts]
        return tuple(items) if isinstance(node, ast.Tuple) else items
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError):
        return _evaluate(node, depth)


def arithmetic_node(node: ast.AST) -> Any:
    """`arithmetic` of a parsed expression (a call's argument, `L2(l2=1/1000)`)."""
    try:
        return _value(node, 0)
    except (ZeroDivisionError, OverflowError, RecursionError) as exc:
        raise ValueError(f"not arithmetic of numbers ({exc})") from None


def _evaluate(node: ast.AST, depth: int) -> float:
    if depth > 20:
        raise ValueError("arithmetic nested too deep")
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _evaluate(node.operand, depth + 1)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
        return _ARITHMETIC[type(node.op)](_evaluate(node.left, depth + 1),
                                          _evaluate(node.right, depth + 1))
    raise ValueError(f"not arithmetic of numbers: {ast.dump(node)[:60]}")

