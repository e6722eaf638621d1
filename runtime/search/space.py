"""The `search` section as Optuna suggestions (define-by-run, so conditionals work).

>>> import optuna
>>> from kerascanvas.graph.document import Document
>>> doc = Document(); dense = doc.add_node("Dense", params={"units": 4})
>>> doc.search = {"params": [{"node": dense.id, "param": "units", "type": "int",
...                           "low": 2, "high": 8, "step": 2}]}
>>> trial = optuna.trial.FixedTrial({"dense.units": 6})
>>> suggest(trial, doc)
{('n1', 'units'): 6}

A choice of objects is recorded as the call that builds each (`"L2(l2=0.0001)"`), an
argument of an object under its own key (`dense.kernel_regularizer.l2`); the values
returned are what the trial puts in (`graph.search.with_values` folds an argument into
its parameter's object).
"""

from __future__ import annotations

from typing import Any

from kerascanvas.graph.document import Document
from kerascanvas.graph.search import SearchParam, search_params
from kerascanvas.graph.search_objects import choice_label


def suggest(trial, doc: Document) -> dict[tuple, Any]:
    """Ask `trial` for a value of every searched parameter whose condition holds.

    Returns:
        target -> value: (node id, param), (node id, param, argument) or
        ("training", dotted path).
    """
    chosen: dict[tuple, Any] = {}
    recorded: dict[tuple, Any] = {}
    for entry in search_params(doc):
        if entry.when is not None:
            target, allowed = entry.when
            if target not in chosen or (chosen[target] not in allowed
                                        and recorded[target] not in allowed):
                continue  # the condition does not hold: the current value stays
        recorded[entry.target] = suggest_one(trial, entry.key(doc), entry)
        chosen[entry.target] = entry.value_of(recorded[entry.target])
    return chosen


def suggest_one(trial, key: str, entry: SearchParam) -> Any:
    """The value `trial` records under `key` (a choice of objects: the call's text)."""
    if entry.type == "choice":
        return trial.suggest_categorical(key, [choice_label(c) for c in entry.choices])
    if entry.type == "int":
        return trial.suggest_int(key, int(entry.low), int(entry.high),
                                 step=int(entry.step or 1), log=entry.log)
    return trial.suggest_float(key, float(entry.low), float(entry.high),
                               step=entry.step, log=entry.log)
