"""Validation of the `search` section. Pure; never raises.

Each range is checked against its target's own limits (the ParamSpec of a node
parameter, the training rules of a setting), then the graph is validated with
the range's ends, middle and every choice put in, one parameter at a time and
all ends together: a value that would make the graph invalid is reported with
the node, the parameter, the value and the graph's own message.

>>> from kerascanvas.graph.document import Document, Edge
>>> doc = Document()
>>> x = doc.add_node("Input", params={"shape": [8]})
>>> d = doc.add_node("Dense", params={"units": 3})
>>> doc.connect(Edge(x.id, 0, d.id, 0)); doc.set_outputs([d.id])
>>> doc.search = {"params": [{"node": d.id, "param": "units", "type": "int",
...                           "low": 0, "high": 8}]}
>>> print(check_search(doc)[0].message)  # doctest: +ELLIPSIS
search.params[0] (dense.units): the range [0, 8] leaves the parameter's limits: ...
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from .document import Document
from .errors import ParamError
from .inference import ERROR, Issue
from .layers.custom_context import PENDING, context, set_context
from .object_params import is_object
from .search import SearchParam, key_of, search_params, with_values
from .search_objects import argument_limits_problem, argument_target_problem, choice_label
from .validate import analyze

CODE = "search_range"
# ParamSpec types an integer range can set (a kernel size of 3 means (3, 3)).
INT_TYPES = ("int", "ints", "int_or_list")


def check_search(doc: Document) -> list[Issue]:
    """Every problem of `doc.search`, each naming the entry, node and parameter."""
    entries = search_params(doc)
    if not entries:
        return []
    baseline = _error_marks(doc)
    issues: list[Issue] = []
    usable: list[SearchParam] = []
    for index, entry in enumerate(entries):
        found = _entry_problems(doc, entries, index, baseline)
        issues += [_issue(doc, index, entry, text) for text in found]
        if not found:
            usable.append(entry)
    issues += _ends_together(doc, usable, baseline)
    return issues


def _issue(doc: Document, index: int, entry: SearchParam, text: str) -> Issue:
    node = entry.node if entry.node in doc.nodes else None
    return Issue(node, None, ERROR, f"search.params[{index}] ({entry.key(doc)}): {text}", CODE)


def _entry_problems(doc: Document, entries: list[SearchParam], index: int,
                    baseline: set) -> list[str]:
    entry = entries[index]
    checks = (_target_problem, _shape_problem, _limits_problem)
    if entry.argument is not None:  # an argument of the object a parameter holds
        checks = (_node_problem, lambda d, _: argument_target_problem(d, entries, index),
                  _shape_problem, lambda d, _: argument_limits_problem(d, entries, index))
    for check in checks:
        problem = check(doc, entry)
        if problem:
            return [problem]
    problems = [p for p in (_duplicate_problem(doc, entries, index),
                            _when_problem(doc, entries, index)) if p]
    invalid = _invalid_values(doc, entry, baseline)
    return problems + ([invalid] if invalid else [])


def _node_problem(doc: Document, entry: SearchParam) -> str | None:
    """A node entry's node and parameter exist."""
    if entry.training:
        return None
    node = doc.nodes.get(entry.node)
    if node is None:
        return f"there is no node with id {entry.node!r} (was it deleted?)"
    try:
        node.spec.param(entry.param)
    except KeyError:
        names = ", ".join(p.name for p in node.spec.params)
        return f"{node.kind} has no parameter {entry.param!r}. Expected one of: {names}"
    return None


def _target_problem(doc: Document, entry: SearchParam) -> str | None:
    problem = _node_problem(doc, entry)
    if problem or entry.training:
        return problem
    spec = doc.nodes[entry.node].spec.param(entry.param)
    if entry.type == "int" and spec.type not in INT_TYPES:
        return f"an integer range cannot set {entry.param}, a parameter of type {spec.type}"
    if entry.type == "float" and spec.type != "float":
        return f"a float range cannot set {entry.param}, a parameter of type {spec.type}"
    return None


def _shape_problem(doc: Document, entry: SearchParam) -> str | None:
    """The range itself: ends present and ordered, a usable step and log scale."""
    if entry.type == "choice":
        if not entry.choices:
            return "a choice needs at least one value in 'choices'"
        plain = all(c is None or isinstance(c, bool | int | float | str) or is_object(c)
                    for c in entry.choices)
        return None if plain else ("choices must be numbers, text, true/false, null or "
                                   "configured objects ({\"class_name\": ..., \"config\": "
                                   "{...}}; a search records each as one value). Received: "
                                   f"{list(entry.choices)}")
    low, high, step = entry.low, entry.high, entry.step
    if low is None or high is None:
        return f"a {entry.type} range needs 'low' and 'high'. Received: low={low}, high={high}"
    if entry.type == "int" and not all(_whole(v) for v in (low, high, step or 1)):
        return f"an integer range needs integer ends and step. Received: low={low}, " \
               f"high={high}, step={step}"
    if low > high:
        return f"expected low <= high. Received: low={low}, high={high}"
    if step is not None and step <= 0:
        return f"expected a positive step. Received: step={step}"
    if entry.log and low <= 0:
        return f"a log-scale range needs low > 0. Received: low={low}"
    if entry.log and step not in (None, 1):
        return f"a log-scale range cannot have a step. Received: step={step}"
    if step is not None and not _on_grid(high - low, step):
        return f"high - low must be a multiple of step so that both ends can be " \
               f"reached. Received: low={low}, high={high}, step={step}"
    return None


def _whole(value: float) -> bool:
    return isinstance(value, int) or float(value).is_integer()  # an int past 1e308 too


def _on_grid(width: float, step: float) -> bool:
    if _whole(width) and _whole(step):
        return int(width) % int(step) == 0
    ratio = width / step
    if not math.isfinite(ratio):
        return False
    return math.isclose(ratio, round(ratio), abs_tol=1e-9)


def _limits_problem(doc: Document, entry: SearchParam) -> str | None:
    """The range's ends (or every choice) against the target's own limits."""
    if entry.training:
        return _training_problem(doc, entry)
    spec = doc.nodes[entry.node].spec.param(entry.param)
    values = list(entry.choices) if entry.type == "choice" else [entry.low, entry.high]
    for value in values:
        try:
            spec.coerce(int(value) if entry.type == "int" else value)
        except ParamError as exc:
            what = "a choice is" if entry.type == "choice" else \
                f"the range [{entry.low}, {entry.high}] leaves"
            return f"{what} {'outside ' if entry.type == 'choice' else ''}" \
                   f"the parameter's limits: {exc}"
    return None


def _training_problem(doc: Document, entry: SearchParam) -> str | None:
    from .training_schema import SETTINGS, check_training

    head = entry.training.split(".")[0]
    if head not in SETTINGS:
        return (f"the training settings have no {head!r}, so every trial would train "
                f"alike. Settings: {', '.join(SETTINGS)}")
    before = {i.message for i in check_training(doc) if i.severity == ERROR}
    for value in entry.values_to_check():
        trial = _trial(doc, {entry.target: value})
        after = [i.message for i in check_training(trial)
                 if i.severity == ERROR and i.message not in before]
        if after:
            return f"{entry.training}={value!r} is refused: {after[0]}"
    return None


def _duplicate_problem(doc: Document, entries: list[SearchParam], index: int) -> str | None:
    target = entries[index].target
    if any(e.target == target for e in entries[:index]):
        return "this parameter is already searched by an earlier entry"
    return None


def _when_problem(doc: Document, entries: list[SearchParam], index: int) -> str | None:
    when = entries[index].when
    if when is None:
        return None
    earlier = [e for e in entries[:index] if e.target == when[0]]
    if not earlier:
        return f"'when' refers to {key_of(doc, when[0])}, which no earlier entry searches"
    source = earlier[0]
    if source.type == "choice":
        labels = [choice_label(c) for c in source.choices]
        outside = [v for v in when[1] if v not in source.choices and v not in labels]
    else:
        outside = [v for v in when[1] if not source.low <= v <= source.high]
    if outside:
        return f"'when' lists values that {key_of(doc, when[0])} never takes: {outside}"
    return None


# ---- the graph with the searched values put in ----------------------------------------
def _error_marks(doc: Document) -> set[tuple]:
    return {(i.node, i.code) for i in analyze(doc).blocking}


def _trial(doc: Document, values: dict) -> Document:
    """`doc` with `values` put in. Its custom code keeps the document's trust and the
    shapes Keras computed; shapes it would need anew are noted apart, never asked for
    (Keras computes them when the trial runs, whose failure then names them)."""
    trial = with_values(doc, values)
    set_context(trial, dataclasses.replace(context(doc), pending={}))
    return trial


def _new_errors(doc: Document, values: dict, baseline: set) -> list[Issue]:
    return [i for i in analyze(_trial(doc, values)).blocking
            if (i.node, i.code) not in baseline and i.code != PENDING]


def _invalid_values(doc: Document, entry: SearchParam, baseline: set) -> str | None:
    if entry.training:
        return None
    bad: list[tuple[Any, Issue]] = []
    for value in entry.values_to_check():
        value = int(value) if entry.type == "int" else value
        errors = _new_errors(doc, {entry.target: value}, baseline)
        if errors:
            bad.append((value, errors[0]))
    if not bad:
        return None
    values = ", ".join(repr(v) for v, _ in bad)
    return (f"{entry.name}={values} would make the graph invalid for some values of the "
            f"range: {_where(doc, bad[0][1])}{bad[0][1].message}")


def _where(doc: Document, issue: Issue) -> str:
    node = doc.nodes.get(issue.node) if issue.node else None
    return f"{node.name}: " if node is not None else ""


def _ends_together(doc: Document, entries: list[SearchParam], baseline: set) -> list[Issue]:
    """The lows of all ranges together, then the highs: ends that are fine alone can
    still clash (two kernels that together shrink the image below nothing)."""
    ranged = [e for e in entries if e.type != "choice" and not e.training and e.when is None]
    if len(ranged) < 2:
        return []
    issues = []
    for end in ("low", "high"):
        values = {e.target: int(getattr(e, end)) if e.type == "int" else getattr(e, end)
                  for e in ranged}
        errors = _new_errors(doc, values, baseline)
        if errors:
            names = ", ".join(f"{e.key(doc)}={values[e.target]!r}" for e in ranged)
            issues.append(Issue(errors[0].node, None, ERROR,
                                f"search: the {end} ends together ({names}) make the graph "
                                f"invalid: {_where(doc, errors[0])}{errors[0].message}", CODE))
    return issues
