"""Bounds a project file must respect, checked once when it is read.

A project file is data from anywhere, so before any other code walks it the
loader checks, in one pass without recursion:

- nesting at most `MAX_NESTING` levels deep (deeper values overflow recursive
  code and give generated code Python cannot parse);
- integers within 64 bits and floats finite (`parse_number`, used while parsing);
- strings that are valid Unicode (a lone surrogate cannot be written as UTF-8).

>>> check_values({"a": [1, "x"]})
>>> check_values({"a": ["\\ud800"]})
Traceback (most recent call last):
...
kerascanvas.graph.errors.ProjectFileError: field a[0]: a string holds a lone surrogate \
('\\ud800'), which is not valid Unicode
"""

from __future__ import annotations

import math
from typing import Any

from .errors import ProjectFileError

MAX_NESTING = 64
MAX_INT = 2**63 - 1
MAX_INT_DIGITS = 19


def field_name(path) -> str:
    """`("nodes", 2, "kind")` -> `nodes[2].kind`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def parse_int(text: str) -> int:
    """`json.loads(parse_int=...)`: refuse integers beyond 64 bits before converting them."""
    digits = text.lstrip("-")
    if len(digits) > MAX_INT_DIGITS or abs(int(text)) > MAX_INT:
        shown = text if len(text) <= 30 else f"{text[:12]}...({len(digits)} digits)"
        raise ProjectFileError(f"an integer must fit in 64 bits (at most {MAX_INT}). "
                               f"Received: {shown}")
    return int(text)


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """`json.loads(object_pairs_hook=...)`: refuse an object that gives a key twice.

    JSON allows it and Python keeps the last value, so an edited or merged file would
    silently lose the other one; which of them was meant is for the user to say.
    """
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            shown = key if len(key) <= 40 else f"{key[:40]}..."
            raise ProjectFileError(f"an object gives the key {shown!r} twice (values "
                                   f"{_short(out[key])} and {_short(value)}); keep one of them")
        out[key] = value
    return out


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


def parse_float(text: str) -> float:
    """`json.loads(parse_float=...)`: refuse numbers that overflow to infinity (1e400)."""
    value = float(text)
    if not math.isfinite(value):
        shown = text if len(text) <= 30 else f"{text[:12]}..."
        raise ProjectFileError(f"a number must be finite. Received: {shown}")
    return value


def _string_problem(text: str) -> str | None:
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = text[exc.start:exc.end]
        return f"a string holds a lone surrogate ({bad!r}), which is not valid Unicode"
    return None


def _first_problem(data: Any, max_nesting: int, with_paths: bool):
    """(path, message) of the first bad value, or None. Without `with_paths` the path is
    left empty: the fast pass over a good file builds no paths, a second pass finds it."""
    stack: list[tuple[Any, Any]] = [((), data)] if with_paths else [(0, data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            problem = _string_problem(value)
            if problem:
                return where, problem
            continue
        if not isinstance(value, dict | list):
            continue
        depth = len(where) if with_paths else where
        if depth >= max_nesting:
            return where, f"values are nested more than {max_nesting} levels deep"
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, child in items:
            if isinstance(key, str) and not key.isascii() and _string_problem(key):
                return where, _string_problem(key)
            stack.append(((*where, key) if with_paths else depth + 1, child))
    return None


def check_values(data: Any, max_nesting: int = MAX_NESTING) -> None:
    """Raise `ProjectFileError` naming the field of the first value deeper than
    `max_nesting` levels, or of the first string that is not valid Unicode."""
    if _first_problem(data, max_nesting, with_paths=False) is None:
        return
    path, message = _first_problem(data, max_nesting, with_paths=True)
    raise ProjectFileError(message, field=field_name(path))
