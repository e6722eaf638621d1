"""How a study of the project runs: the `run` part of the file's `search` section. Pure.

The Search tab's options and `kerascanvas search`'s defaults (its flags override them)
come from here, so a study runs the same from the window, after a reopen, and from the
command line. Every key is optional; a file without them opens with the defaults:

    {"search": {"params": [...],
                "run": {"trials": 30,          # trials one Start (one command) runs
                        "jobs": 2,             # trials at once on this machine
                        "epochs": 5,           # epochs of every trial (else the project's)
                        "timeout": 600,        # seconds of search, then the trials stop
                        "sampler": {"name": "tpe", "n_startup_trials": 5},
                        "pruner": {"name": "median", "n_warmup_steps": 1},
                        "seed": 0}}}           # trial N draws with seed + N

The sampler and pruner carry Optuna's own keyword arguments beside their `name`, as the
command line's `tpe:n_startup_trials=5` does; Optuna checks those when the study opens.

>>> from kerascanvas.graph.document import Document
>>> doc = Document(); doc.search = {"run": {"trials": 5, "seed": 3}}
>>> settings = run_settings(doc)
>>> settings["trials"], settings["jobs"], settings["seed"], settings["sampler"]
(5, None, 3, {'name': 'tpe'})
"""

from __future__ import annotations

import copy
from typing import Any

from .document import Document

SAMPLERS = ("tpe", "random", "gp", "qmc", "cmaes")
PRUNERS = ("median", "percentile", "hyperband", "successive_halving", "threshold",
           "wilcoxon", "none")
KEYS = ("trials", "jobs", "epochs", "timeout", "sampler", "pruner", "seed")
# What a study runs with when neither the file nor a flag says (jobs: None, the runner's
# own choice: one per GPU on the command line, one in the window).
DEFAULTS: dict[str, Any] = {"trials": 20, "jobs": None, "epochs": None, "timeout": None,
                            "sampler": {"name": "tpe"}, "pruner": {"name": "median"},
                            "seed": None}

_COUNT = {"type": "integer", "minimum": 1, "maximum": 1_000_000}


def _named(names: tuple[str, ...]) -> dict[str, Any]:
    return {"type": "object", "required": ["name"],
            "properties": {"name": {"enum": list(names)}}}


SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,  # a misspelt setting is refused, not ignored
    "properties": {
        "trials": _COUNT, "jobs": {**_COUNT, "maximum": 4096}, "epochs": _COUNT,
        "timeout": {"type": "number", "exclusiveMinimum": 0, "maximum": 1e9},
        "sampler": _named(SAMPLERS), "pruner": _named(PRUNERS),
        "seed": {"type": "integer", "minimum": 0, "maximum": 2**32 - 1},
    },
}


def stored_run(doc: Document) -> dict[str, Any]:
    """The run settings the file holds (only those it sets)."""
    return dict((doc.search or {}).get("run") or {})


def run_settings(doc: Document) -> dict[str, Any]:
    """Every run setting: the file's, else `DEFAULTS` (copies: safe to change)."""
    return copy.deepcopy({**DEFAULTS, **stored_run(doc)})


def with_run_setting(section: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """A copy of the search `section` with run setting `key` set to `value` (None: taken
    out, the default applies; an emptied `run` is taken out too).

    >>> with_run_setting({"params": []}, "trials", 8)
    {'params': [], 'run': {'trials': 8}}
    >>> with_run_setting({'run': {'trials': 8}}, "trials", None)
    {}
    """
    if key not in KEYS:
        raise KeyError(f"no run setting {key!r}; expected one of {', '.join(KEYS)}")
    out = copy.deepcopy(section or {})
    run = dict(out.get("run") or {})
    if value is None:
        run.pop(key, None)
    else:
        run[key] = copy.deepcopy(value)
    if run:
        out["run"] = run
    else:
        out.pop("run", None)
    return out
