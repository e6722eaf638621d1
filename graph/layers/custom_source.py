"""A CustomLayer's source text, read without running it: whether it defines its
class, whether it can run yet (attached, parsing, trusted), the name Keras registers
it under, and its imports split off for generated code.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from typing import Any

from .. import pysource
from .custom_context import TRUST_HINT, code_digest, current

DEFAULT_PACKAGE = "Custom"  # Keras' own default package for registered classes

ATTACH_HINT = ("attach its class (Attach source... on this issue, or Edit code... in the "
               "properties; on the command line, kerascanvas attach-code PROJECT FILE.py)")
ATTACH_FIX = "attach_source"
TRUST_FIX = "review_trust"  # the window shows the code, then trusts it if the user agrees



def registered_name(params: Mapping[str, Any]) -> str:
    """The name Keras registers the class under: `package>class_name`."""
    return f"{params.get('package') or DEFAULT_PACKAGE}>{params.get('class_name')}"


def missing_source_message(name: str, params: Mapping[str, Any]) -> str:
    """The issue of a node without source (an imported layer whose class was not given).

    >>> missing_source_message("z", {"class_name": "Sampling", "package": "vae"})[:61]
    "custom layer 'z' (registered name vae>Sampling) has no source"
    """
    return (f"custom layer {name!r} (registered name {registered_name(params)}) has no "
            f"source: {ATTACH_HINT}")


def source_problem(class_name: str, source: str) -> str | None:
    """Why `source` does not define class `class_name` at its top level, or None.

    Only parses; nothing is executed.

    >>> source_problem("A", "class A(Layer):\\n    pass")
    >>> source_problem("A", "def A(): pass")
    "the source defines no top-level class 'A' (found: none)"
    """
    if not source.strip():
        return f"class {class_name} has no source: {ATTACH_HINT}"
    try:
        tree = pysource.parse(source)
    except SyntaxError as exc:
        return f"the source does not parse: line {exc.lineno}: {exc.msg}"
    classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
    if class_name not in classes:
        found = ", ".join(classes) or "none"
        return f"the source defines no top-level class {class_name!r} (found: {found})"
    return None


NO_SOURCE = "custom_no_source"
CODE_ISSUES = frozenset({NO_SOURCE, "custom_source", "custom_untrusted"})


def code_problem(doc, params: Mapping[str, Any],
                 name: str | None = None) -> tuple[str, str] | None:
    """(issue code, message) when the node's code cannot run yet, else None.

    A node without any source gets `NO_SOURCE`, whose message names the node `name`
    and the registered name, and which the fix `ATTACH_FIX` answers.
    """
    if not params["source"].strip():
        return NO_SOURCE, missing_source_message(name or params["class_name"], params)
    problem = source_problem(params["class_name"], params["source"])
    if problem:
        return "custom_source", problem
    if code_digest(params) not in current(doc).trusted:
        return "custom_untrusted", (
            f"custom code not trusted: class {params['class_name']} "
            f"(sha256 {code_digest(params)[:12]}) does not run until you trust this "
            f"project's code; {TRUST_HINT}")
    return None


def split_source(source: str) -> tuple[list[str], str]:
    """(top-level import lines, the rest) of a source, for embedding in generated code."""
    tree = pysource.parse(source)
    lines = source.splitlines()
    imports, skip = [], set()
    for stmt in tree.body:
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            imports.append("\n".join(lines[stmt.lineno - 1:stmt.end_lineno]).strip())
            skip.update(range(stmt.lineno - 1, stmt.end_lineno))
    rest = "\n".join(line for i, line in enumerate(lines) if i not in skip).strip("\n")
    return imports, rest + "\n"
