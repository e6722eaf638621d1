"""The checks a study passes before it starts, run in a process of their own.

`problems` (preflight) reads the training data and validates the search space;
then a few of the models the search will sample are built with Keras: the lows
of every range together, the highs together, and random draws from the space
(`sampled_values`). A CustomLayer's trusted code runs in these builds, and with
synthetic data its shapes are computed for the data's sizes, so the checks run
where a trial runs: in a process started from the trials' fork server
(`child.context`), never in the window's process (`start_check`). The data, the
model builds and the user's code all stay out of the process that asks.

The child sends plain dicts on its queue:

    {"kind": "progress", "text": "building the highs (hidden.units=64)"}
    {"kind": "done", "problems": ["search.params[0] (hidden.units): ...", ...]}

`follow_check` waits for those messages (the CLI in its main thread, where Ctrl+C
ends the wait and kills the process; the window in a thread of its own).
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Mapping
from typing import Any

from kerascanvas.graph.document import Document
from kerascanvas.graph.project import Project
from kerascanvas.graph.search import search_params, with_values
from kerascanvas.graph.search_objects import choice_label
from kerascanvas.runtime.keras_env import plain_text

RANDOM_BUILDS = 2  # random draws built after the lows and the highs
SEED = 0


def sampled_values(doc: Document, draws: int = RANDOM_BUILDS,
                   seed: int = SEED) -> list[tuple[str, dict]]:
    """(label, values) of the models to try: the lows together, the highs together, then
    `draws` random samples of the space (conditions hold as in a trial). A sample whose
    graph values equal an earlier one's is left out (training settings build no model).

    >>> from kerascanvas.graph.document import Document
    >>> doc = Document(); dense = doc.add_node("Dense", "d", params={"units": 4})
    >>> doc.search = {"params": [{"node": dense.id, "param": "units", "type": "int",
    ...                           "low": 2, "high": 8, "step": 2}]}
    >>> [(label, v[(dense.id, "units")]) for label, v in sampled_values(doc, draws=0)]
    [('the lows', 2), ('the highs', 8)]
    """
    import optuna

    from .space import suggest

    entries = search_params(doc)
    samples = [(label, suggest(optuna.trial.FixedTrial(
        {e.key(doc): _end(e, end) for e in entries}), doc))
        for label, end in (("the lows", 0), ("the highs", -1))]
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    samples += [(f"random draw {i + 1}", suggest(study.ask(), doc)) for i in range(draws)]
    seen, kept = set(), []
    for label, values in samples:
        graph = tuple(sorted((k, repr(v)) for k, v in values.items() if k[0] != "training"))
        if graph not in seen:
            seen.add(graph)
            kept.append((label, values))
    return kept


def _end(entry, index: int):
    if entry.type == "choice":
        return choice_label(entry.choices[index])
    value = (entry.low, entry.high)[index]
    return int(value) if entry.type == "int" else float(value)


def describe_values(doc: Document, values: Mapping[tuple[str, str], Any]) -> str:
    """`hidden.units=64, training.optimizer.learning_rate=0.01`."""
    keys = {e.target: e.key(doc) for e in search_params(doc)}
    return ", ".join(f"{keys.get(t, '.'.join(t))}={choice_label(v)!r}"
                     for t, v in values.items())


def build_problem(doc: Document, label: str, values: Mapping) -> str | None:
    """Why the model of `doc` with `values` put in cannot be built, or None. Runs the
    trusted custom code of `doc` in this process: call it in a check process only."""
    from kerascanvas.graph.validate import analyze

    from ..build import BuildError, build_model
    from ..custom_code import carry_context

    trial = with_values(doc, values)
    carry_context(doc, trial)
    where = f"trial build of {label} ({describe_values(doc, values)})"
    errors = analyze(trial).blocking
    if errors:
        node = trial.nodes.get(errors[0].node)
        return f"{where}: the graph is invalid: " \
               f"{f'{node.name}: ' if node else ''}{plain_text(errors[0].message)}"
    try:
        build_model(trial)
    except BuildError as exc:
        return f"{where}: {exc}"
    except Exception as exc:  # noqa: BLE001  Keras (or the user's layer) may raise anything
        first = (str(exc).strip().splitlines() or [""])[0]
        return f"{where}: Keras refused the model: {type(exc).__name__}: {first}"
    return None


def run_checks(document: dict, overrides: Mapping[str, Any], trusted, say) -> list[str]:
    """Every reason the study cannot start (see the module doc); `say(text)` hears each
    step. Runs the project's trusted custom code: in a check process only."""
    from ..train import TrainingRefused
    from ..worker_child import _trust_custom_code
    from .preflight import problems

    project = Project.from_dict(document)
    doc = project.doc
    say("checking the custom code's trust")
    try:
        _trust_custom_code(doc, set(trusted))
    except TrainingRefused as exc:
        return [str(exc)]
    say("validating the search space and reading the training data")
    found = problems(doc, overrides)
    if found:
        return found
    samples = sampled_values(doc)
    for i, (label, values) in enumerate(samples):
        say(f"building model {i + 1} of {len(samples)}: {label} "
            f"({describe_values(doc, values)})")
        problem = build_problem(doc, label, values)
        if problem:
            return [problem]
    return []


def check_main(payload: dict, events) -> None:
    """The check process: run the checks, put progress and the problems on `events`."""
    from ..worker_child import _lower_priority

    _lower_priority()
    try:
        found = run_checks(payload["document"], payload.get("overrides") or {},
                           payload.get("trusted_code") or (),
                           lambda text: events.put({"kind": "progress", "text": text}))
    except Exception as exc:  # noqa: BLE001  the window must hear of any failure
        found = [f"the checks failed: {type(exc).__name__}: {exc}"]
    events.put({"kind": "done", "problems": list(found)})
    events.close()
    events.join_thread()


def start_check(payload: Mapping[str, Any]):
    """(process, events queue) of the started check process. The first start waits for
    the trials' fork server to import keras: call it off the GUI thread."""
    from .child import context

    ctx = context()
    events = ctx.Queue()
    process = ctx.Process(target=check_main, args=(dict(payload), events), daemon=True,
                          name="kerascanvas-search-check")
    process.start()
    return process, events


def follow_check(process, events, say: Callable[[str], None],
                 cancelled: Callable[[], bool] = lambda: False) -> list[str] | None:
    """The problems the started check process finds ([] when the checks pass), `say`
    hearing each step; None when `cancelled()` turns true first. The process is killed
    when this returns or is interrupted (Ctrl+C) before it ended."""
    try:
        while not cancelled():
            try:
                message = events.get(timeout=0.1)
            except queue.Empty:
                if not process.is_alive():
                    return _last_word(process, events)
                continue
            if message["kind"] == "done":
                return message["problems"]
            say(message["text"])
        return None
    finally:
        if process.is_alive():
            process.kill()
        process.join(5)


def _last_word(process, events) -> list[str]:
    """What an ended check process put on its queue before it ended, or why it said
    nothing."""
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        try:
            message = events.get(timeout=0.1)
        except queue.Empty:
            continue
        if message["kind"] == "done":
            return message["problems"]
    return [f"the check process ended unexpectedly (exit code {process.exitcode})"]
