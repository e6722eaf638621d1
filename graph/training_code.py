"""Custom losses and metrics: the training settings' own Python code. Pure; never runs it.

A project's training settings may hold Python source under `custom_code`: import
lines, then functions `name(y_true, y_pred)` and classes (subclasses of
`keras.losses.Loss` or `keras.metrics.Metric`). A loss or a metric is then named by
a top-level definition, as Keras' own are by their identifiers:

    {"custom_code": "import keras\\n\\ndef focal(y_true, y_pred):\\n    ...",
     "loss": {"digit": "focal"},  "metrics": ["accuracy", "top_error"]}

A class may be given options: `{"name": "Focal", "gamma": 2.0}` calls `Focal(gamma=2.0)`.

This module only parses the source (`ast.parse` runs nothing). The code runs in a
runtime, and only once the user trusted the project: its digest joins the
project's trusted code digests (`runtime.trust`), like a CustomLayer's.

>>> defined("def focal(y_true, y_pred):\\n    return y_pred\\n\\nclass L(Loss):\\n    pass")
{'focal': 'function', 'L': 'class'}
"""

from __future__ import annotations

import ast
import functools
import hashlib
from collections.abc import Iterator, Mapping
from typing import Any

from . import pysource
from .script_names import taken

FIELD = "custom_code"
WHERE = f"training.{FIELD}"
UNTRUSTED = "custom_untrusted"


def source(training: Mapping[str, Any] | None) -> str:
    """The custom code of the training settings ('' when there is none)."""
    value = (training or {}).get(FIELD)
    return value if isinstance(value, str) else ""


def parse_problem(text: Any) -> str | None:
    """Why `text` cannot be the custom code, naming the line, or None."""
    if text is None:
        return None
    if not isinstance(text, str):
        return f"expected Python source text. Received: {type(text).__name__}"
    try:
        pysource.parse(text)
    except SyntaxError as exc:
        return f"the code does not parse: line {exc.lineno}: {exc.msg}"
    return None


def defined(text: str) -> dict[str, str]:
    """Top-level definitions of the code: name -> "function" or "class" ({} if it does not
    parse)."""
    return dict(_definitions(text))


@functools.lru_cache(maxsize=32)
def _definitions(text: str) -> tuple[tuple[str, str], ...]:
    # Every analysis checks the training settings: the code is parsed once per text.
    try:
        tree = pysource.parse(text)
    except SyntaxError:
        return ()
    return tuple((stmt.name, "function" if isinstance(stmt, ast.FunctionDef) else "class")
                 for stmt in tree.body if isinstance(stmt, ast.FunctionDef | ast.ClassDef))


def script_clashes(training: Mapping[str, Any] | None) -> list[str]:
    """A message for each function or class of the code named like one of the generated
    script's own top-level names (`script_names`): a training script refuses it."""
    return [f"{WHERE}: the {kind} {name!r} is named like one of the generated training "
            "script's own names; the script (and the code export) refuses it. Rename it"
            for name, kind in defined(source(training)).items() if taken(name)]


def digest(training: Mapping[str, Any] | None) -> str | None:
    """The identity of the custom code (None when there is none): trust is given to it."""
    text = source(training)
    if not text.strip():
        return None
    return hashlib.sha256(f"training code\0{text}".encode()).hexdigest()


def reference_name(value: Any) -> str | None:
    """The name a loss or metric setting refers to: "focal", or {"name": "Focal", ...}."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and isinstance(value.get("name"), str):
        return value["name"]
    return None


def references(settings: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """(field, value) of every loss and metric of resolved settings (keyed by output)."""
    for out, loss in (settings.get("loss") or {}).items():
        yield f"training.loss.{out}", loss
    for out, metrics in (settings.get("metrics") or {}).items():
        for metric in metrics or []:
            yield f"training.metrics.{out}", metric


def option_problem(value: Any, kinds: Mapping[str, str]) -> str | None:
    """Options given to a custom function (which takes none), else None."""
    name = reference_name(value)
    if isinstance(value, Mapping) and kinds.get(name) == "function" and len(value) > 1:
        extra = ", ".join(sorted(k for k in value if k != "name"))
        return (f"{name} is a function of the custom code and takes no options; "
                f"received {extra}. Define a class to take options")
    return None


def check(training: Mapping[str, Any] | None, settings: Mapping[str, Any],
          trusted: frozenset[str] | set[str]) -> list[tuple[str, str, str]]:
    """(field, message, code) for each problem of the custom code and its uses.

    `settings` are the resolved ones; `trusted` the code digests the user trusted.
    """
    raw = (training or {}).get(FIELD)
    problem = parse_problem(raw)
    if problem:
        return [(WHERE, f"{WHERE}: {problem}", "bad_setting")]
    kinds = defined(source(training))
    found = []
    for field, value in references(settings):
        if problem := option_problem(value, kinds):
            found.append((field, f"{field}: {problem}", "bad_setting"))
    code = digest(training)
    if code is not None and code not in trusted:
        names = ", ".join(kinds) or "no definitions"
        found.append((WHERE, f"{WHERE}: custom code not trusted ({names}); it was not run. "
                             "Review it, then trust the project (Edit > Trust Custom Code...) "
                             "or pass --trust-custom-code", UNTRUSTED))
    return found
