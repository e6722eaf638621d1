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
