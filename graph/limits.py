"""Bounds a project file must respect, checked once when it is read.

A project file is data from anywhere, so before any other code walks it the
loader checks, in one pass without recursion:

- nesting at most `MAX_NESTING` levels deep (deeper values overflow recursive
  code and give generated code Python cannot parse);
- integers within 64 bits, floats finite, no NaN or Infinity and no key given twice in
  one object (the parse hooks below; each leaves a `Refused` value in place of what it
  refused, so that the walk names its field: parsing knows no paths);
- strings that are valid Unicode (a lone surrogate cannot be written as UTF-8).

`parse_json` does both. Every refusal names the field, and the node that holds it:

>>> parse_json('{"nodes": [{"id": "n2", "name": "hidden", "params": {"units": 1e400}}]}')
Traceback (most recent call last):
...
kerascanvas.graph.errors.ProjectFileError: field nodes[0].params.units: node 'hidden' \
(id 'n2'): a number must be finite. Received: 1e400

>>> check_values({"a": [1, "x"]})
>>> check_values({"a": ["\\ud800"]})
Traceback (most recent call last):
...
kerascanvas.graph.errors.ProjectFileError: field a[0]: a string holds a lone surrogate \
('\\ud800'), which is not valid Unicode
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from .errors import ProjectFileError

MAX_NESTING = 64
MAX_INT = 2**63 - 1
MAX_INT_DIGITS = 19
FIELD_PARTS = 12  # a deeper field is shown by its first parts and a count of the rest


class Refused:
    """A value a parse hook refused, left in its place for `check_values` to report with
    its field."""

    __slots__ = ("message",)

    def __init__(self, message: str):
        self.message = message


def field_name(path) -> str:
    """`("nodes", 2, "kind")` -> `nodes[2].kind`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def short_field_name(path) -> str:
    """`field_name`, shortened past `FIELD_PARTS` parts (a value nested 64 levels deep)."""
    if len(path) <= FIELD_PARTS:
        return field_name(path)
    return f"{field_name(path[:FIELD_PARTS])}...({len(path) - FIELD_PARTS} levels more)"


def node_context(data: Any, path) -> str:
    """`node 'hidden' (id 'n2')` for a field inside a node of `data` (the innermost, for a
    node inside a block's contents), else ''."""
    found, value = "", data
    for i, part in enumerate(path):
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            break
        if i and path[i - 1] == "nodes" and isinstance(value, dict):
            found = node_label(value)
    return found


def node_label(raw: dict) -> str:
    """`node 'hidden' (id 'n2')` from a node as the file holds it, whatever it holds."""
    name, nid = raw.get("name"), raw.get("id")
    parts = [f"node {_short(name)}" if isinstance(name, str) else "node",
             f"(id {_short(nid)})" if isinstance(nid, str) else ""]
    return " ".join(p for p in parts if p)


def parse_int(text: str) -> int:
    """`json.loads(parse_int=...)`: refuse integers beyond 64 bits before converting them."""
    digits = text.lstrip("-")
    if len(digits) > MAX_INT_DIGITS or abs(int(text)) > MAX_INT:
        shown = text if len(text) <= 30 else f"{text[:12]}...({len(digits)} digits)"
        return Refused(f"an integer must fit in 64 bits (at most {MAX_INT}). "
                       f"Received: {shown}")
    return int(text)


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any] | Refused:
    """`json.loads(object_pairs_hook=...)`: refuse an object that gives a key twice.

    JSON allows it and Python keeps the last value, so an edited or merged file would
    silently lose the other one; which of them was meant is for the user to say.
    """
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            shown = key if len(key) <= 40 else f"{key[:40]}..."
            return Refused(f"an object gives the key {shown!r} twice (values "
                           f"{_short(out[key])} and {_short(value)}); keep one of them")
        out[key] = value
    return out


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


def parse_float(text: str) -> float | Refused:
    """`json.loads(parse_float=...)`: refuse numbers that overflow to infinity (1e400)."""
    value = float(text)
    if not math.isfinite(value):
        shown = text if len(text) <= 30 else f"{text[:12]}..."
        return Refused(f"a number must be finite. Received: {shown}")
    return value


def parse_constant(name: str) -> Refused:
    """`json.loads(parse_constant=...)`: NaN, Infinity and -Infinity are not JSON."""
    return Refused(f"a number must be finite, and {name} is not valid JSON. Received: {name}")


def parse_json(text: str | bytes, max_nesting: int = MAX_NESTING) -> Any:
    """Parse JSON text within the bounds above; a `ProjectFileError` names the field of the
    first value out of them (or the line and column, where the text itself is not JSON)."""
    try:
        data = json.loads(text, parse_constant=parse_constant, parse_int=parse_int,
                          parse_float=parse_float, object_pairs_hook=unique_keys)
    except json.JSONDecodeError as exc:
        # Some of json's messages end in " at" ("Unterminated string starting at").
        where = exc.msg.removesuffix(" at")
        raise ProjectFileError(f"not valid JSON: {where} at line {exc.lineno}, "
                               f"column {exc.colno}") from None
    except RecursionError:
        raise ProjectFileError(f"values are nested more than {max_nesting} levels deep"
                               f"{deep_place(text, max_nesting)}") from None
    check_values(data, max_nesting)
    return data


_BRACKETS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def deep_place(text: str | bytes, max_nesting: int) -> str:
    """` at line L, column C`: where the text opens its value `max_nesting` + 1 deep."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    depth = 0
    for match in _BRACKETS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > max_nesting:
                line = text.count("\n", 0, match.start()) + 1
                column = match.start() - text.rfind("\n", 0, match.start())
                return f" (the value at line {line}, column {column})"
        elif token in "]}":
            depth -= 1
    return ""


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
        if isinstance(value, Refused):
            return where, value.message
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
    `max_nesting` levels, of the first string that is not valid Unicode, or of the first
    value a parse hook refused; the message names the node that holds the field."""
    if _first_problem(data, max_nesting, with_paths=False) is None:
        return
    path, message = _first_problem(data, max_nesting, with_paths=True)
    node = node_context(data, path)
    raise ProjectFileError(f"{node}: {message}" if node else message,
                           field=short_field_name(path))
