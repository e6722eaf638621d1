"""A seeded, structure-aware mutator of project files, and the property every file must hold.

`mutated_documents(seed, count)` yields project texts made from the example projects
by a few random edits each: a value replaced by a hostile one (deep nesting, a float
where a port belongs, a lone surrogate, a 5,000-digit integer, a Python keyword, a
full-width name, a quote or NUL inside a string, a huge count), a key renamed, an
entry deleted or duplicated, a type swapped. The same seed always gives the same
documents, so a failure names its seed and index and can be replayed.

`check_document(text)` is the property: loading refuses only with `ProjectFileError`;
analysis, the summary and the JSON report never raise and encode as UTF-8; and when the
document is valid, every code style that accepts it gives source that compiles.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kerascanvas.codegen import STYLES, CodegenError, generate
from kerascanvas.graph.errors import ProjectFileError
from kerascanvas.graph.projectfile import loads
from kerascanvas.graph.summary import format_summary
from kerascanvas.graph.validate import analyze
from kerascanvas.runtime.cli.validate import to_json

# The examples, plus one with a user block, a two-output KerasLayer and two heads.
EXAMPLES = [*sorted((Path(__file__).parents[2] / "resources" / "examples").glob("*.json")),
            Path(__file__).with_name("seed_blocks.json")]
BIG_INT = "7" * 5000  # spliced into the text: json.dumps cannot write it
_BIG_MARK = "__big_int__"

HOSTILE_STRINGS = ["\ud800", "class", "__import__", "None", "ｎａｍｅ", 'doc"', "a\x00b",
                   "", " ", "x/y", "relu", "same", "l1_l2", "Dense", "n1", "name", "lambda",
                   "'''", '"""', "\\", "é", "x" * 300, "0abc", "input", "keras", "layers"]
HOSTILE_NUMBERS = [0, 0.0, 1.5, -1, -0.0, 1e308, 2**31, 2**63, 10**12, 10**18, 3, 64, True]


NESTING = (30, 120, 250, 400, 600)


def _nested_text(depth: int) -> str:
    """A value nested `depth` deep, as text: built in Python, it would hit the recursion limit
    of the mutator's own copies."""
    opening = "".join('{"k": ' if i % 3 else "[" for i in range(depth))
    closing = "".join("}" if i % 3 else "]" for i in reversed(range(depth)))
    return f"{opening}1{closing}"


def _nested(rng: random.Random) -> Any:
    return f"__nested_{rng.choice(NESTING)}__"


def hostile_value(rng: random.Random) -> Any:
    """One value a hostile file might hold where any other value was."""
    pick = rng.random()
    if pick < 0.06:
        return _nested(rng)
    if pick < 0.45:
        return rng.choice(HOSTILE_STRINGS)
    if pick < 0.82:
        return rng.choice(HOSTILE_NUMBERS)
    if pick < 0.84:
        return _BIG_MARK
    return rng.choice([None, [], {}, [1, 2], {"a": 1}, [[3, 3]], {"node": "n1", "port": 0}])


def _paths(value: Any, prefix: tuple = ()) -> Iterator[tuple[tuple, Any]]:
    stack = [(prefix, value)]
    while stack:
        path, item = stack.pop()
        yield path, item
        if len(path) > 40:
            continue
        children = item.items() if isinstance(item, dict) else (
            enumerate(item) if isinstance(item, list) else ())
        stack.extend(((*path, key), child) for key, child in children)


def _swap_type(value: Any) -> Any:
    if isinstance(value, list):
        return {str(i): v for i, v in enumerate(value)}
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, bool | int | float):
        return str(value)
    if isinstance(value, str):
        return [value]
    return 0


_OPEN_FIELDS = ("nodes", "blocks", "training")


def edit(data: Any, path: tuple, action: str, replacement: Any = None) -> Any:
    """A copy of `data` whose value at `path` is deleted, duplicated (in a list), renamed to
    the key `replacement` (in a dict), or replaced by `replacement`."""
    if not path:
        return replacement
    data = copy.deepcopy(data)
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    if action == "delete":
        del parent[key]
    elif action == "duplicate" and isinstance(parent, list):
        parent.insert(key, copy.deepcopy(parent[key]))
    elif action == "rename" and isinstance(parent, dict):
        parent[replacement] = parent.pop(key)
    else:
        parent[key] = replacement
    return data


def mutate(data: Any, rng: random.Random) -> Any:
    """`data` after one random edit (a new object; `data` is not changed)."""
    paths = sorted(_paths(data), key=lambda p: repr(p[0]))
    # Most edits go to values the schema leaves open (params, blocks, training), so that
    # many mutants load and reach analysis and code generation.
    deep = [p for p in paths if len(p[0]) > 2 and p[0][0] in _OPEN_FIELDS]
    path, value = rng.choice(deep if deep and rng.random() < 0.7 else paths)
    action = rng.choice(["replace", "replace", "replace", "swap", "delete", "duplicate",
                         "rename"])
    if not path and action != "replace":
        return data
    replacement = (rng.choice(HOSTILE_STRINGS) if action == "rename" else
                   _swap_type(value) if action == "swap" else hostile_value(rng))
    return edit(data, path, action, replacement)


def _seeds() -> list[Any]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in EXAMPLES]


def mutated_documents(seed: int, count: int) -> Iterator[str]:
    """`count` project texts, each an example with 1 to 4 random edits."""
    rng = random.Random(seed)
    seeds = _seeds()
    for _ in range(count):
        data = rng.choice(seeds)
        for _ in range(rng.randint(1, 4)):
            data = mutate(data, rng)
        text = json.dumps(data, ensure_ascii=True, sort_keys=True)
        text = text.replace(json.dumps(_BIG_MARK), BIG_INT)
        for depth in NESTING:
            text = text.replace(f'"__nested_{depth}__"', _nested_text(depth))
        yield text


def check_document(text: str) -> str:
    """Run the property on one text; returns "refused", "invalid" or "valid" (raises on a bug)."""
    try:
        doc = loads(text)
    except ProjectFileError as exc:
        str(exc).encode("utf-8")
        return "refused"
    analysis = analyze(doc)
    format_summary(doc, analysis).encode("utf-8")
    json.dumps(to_json(doc, analysis), ensure_ascii=False).encode("utf-8")
    for issue in analysis.issues:
        issue.message.encode("utf-8")
    if not analysis.valid:
        return "invalid"
    for style in STYLES:
        for script in (False, True):
            try:
                source = generate(doc, style=style, script=script, analysis=analysis)
            except CodegenError as exc:
                str(exc).encode("utf-8")
                continue
            compile(source, f"<{style}{' script' if script else ''}>", "exec")
    return "valid"
