"""The `search` section as Optuna suggestions (define-by-run, so conditionals work).

>>> import optuna
>>> from kerascanvas.graph.document import Document
>>> doc = Document(); dense = doc.add_node("Dense", params={"units": 4})
>>> doc.search = {"params": [{"node": dense.id, "param": "units", "type": "int",
...                           "low": 2, "high": 8, "step": 2}]}
>>> trial = optuna.trial.FixedTrial({"dense.units": 6})
>>> suggest(trial, doc)
{('n1', 'units'): 6}
"""

from __future__ import annotations

from typing import Any

from kerascanvas.graph.document import Document
from kerascanvas.graph.search import SearchParam, search_params


def suggest(trial, doc: Document) -> dict[tuple[str, str], Any]:
    """Ask `trial` for a value of every searched parameter whose condition holds.

    Returns:
        target -> value: (node id, param) or ("training", dotted path).
    """
    chosen: dict[tuple[str, str], Any] = {}
    for entry in search_params(doc):
        if entry.when is not None:
            target, allowed = entry.when
            if target not in chosen or chosen[target] not in allowed:
                continue  # the condition does not hold: the current value stays
        chosen[entry.target] = suggest_one(trial, entry.key(doc), entry)
    return chosen


def suggest_one(trial, key: str, entry: SearchParam) -> Any:
    if entry.type == "choice":
        return trial.suggest_categorical(key, list(entry.choices))
    if entry.type == "int":
        return trial.suggest_int(key, int(entry.low), int(entry.high),
                                 step=int(entry.step or 1), log=entry.log)
    return trial.suggest_float(key, float(entry.low), float(entry.high),
                               step=entry.step, log=entry.log)
