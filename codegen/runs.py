"""Repeated runs of layers, written once as a function (the functional style).

A run is steps written one after another and joined by the chain variable (`chains`):
the first reads one tensor, each next one reads `x` alone, and all are plain layers of
one input and one output. Runs whose layers are of the same kinds, with the same
arguments, named one prefix plus the same suffixes, form a family (DenseNet121's 58
conv blocks); the family becomes one function and each run one call::

    def conv_block(x, prefix):
        \"\"\"58 runs of these layers; each layer's name is prefix + its suffix.\"\"\"
        x = layers.BatchNormalization(axis=3, epsilon=1.001e-05, name=prefix + '_0_bn')(x)
        ...
        return layers.Conv2D(filters=32, kernel_size=(3, 3), ..., name=prefix + '_2_conv')(x)

    x = conv_block(conv2_block1_concat, 'conv2_block2')

Every layer keeps its name and arguments, and a run's inner tensors were read by the
next layer only, so the model is the same.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from kerascanvas.graph.layers.operations import is_operation
from kerascanvas.graph.spec import GENERIC

from . import custom, shared
from .emit import INDENT, call_suffix, constructor, inner_layers, targets
from .literals import Code, call, literal
from .naming import RESERVED, Namer
from .plan import Plan, Step

MIN_LAYERS = 2  # a run of fewer layers stays as it is
MAX_VARYING = 3  # a family's runs differ in at most this many argument values


@dataclass(frozen=True)
class Run:
    """Consecutive steps written as one call of `function`, their names `prefix` + '_' +
    the family's suffixes."""

    steps: tuple[Step, ...]
    prefix: str
    function: str = ""
    arguments: tuple[tuple[str, Any], ...] = ()  # the family's varying values, by argument

    def call_line(self, indent: str) -> str:
        """`x = conv_block(source, 'conv3_block1', filters=128)`."""
        return call(self.function, [self.steps[0].inputs[0], literal(self.prefix)],
                    dict(self.arguments), indent, targets(self.steps[-1].outputs))


def find_runs(plan: Plan) -> tuple[list[str], dict[int, Run]]:
    """(the functions' sources, the index in `plan.steps` of each run's first step ->
    its run) for the families of two or more runs alike."""
    sources, starts = [], {}
    index = {id(step): i for i, step in enumerate(plan.steps)}
    for members in _families(_runs(plan)):
        function = plan.namer.take(_function_name(members[0].prefix))
        varying = _varying(members)
        names = _argument_names(members[0], varying)
        sources.append(_source(function, members[0], len(members), dict(zip(varying, names,
                                                                             strict=True))))
        for run in members:
            values = tuple((name, run.steps[at].kwargs[key])
                           for (at, key), name in zip(varying, names, strict=True))
            starts[index[id(run.steps[0])]] = Run(run.steps, run.prefix, function, values)
    return sources, starts


def _families(runs: list[Run]) -> list[list[Run]]:
    """Runs alike but for at most MAX_VARYING argument values; where more differ, those
    with the very same values."""
    families = []
    for members in _grouped(runs, lambda run: _key(run, False)):
        if len(_varying(members)) <= MAX_VARYING:
            families.append(members)
        else:
            families += _grouped(members, lambda run: _key(run, True))
    return [members for members in families if len(members) >= 2]


def _grouped(runs: list[Run], key) -> list[list[Run]]:
    groups: dict[str, list[Run]] = {}
    for run in runs:
        groups.setdefault(key(run), []).append(run)
    return list(groups.values())


def _varying(members: list[Run]) -> list[tuple[int, str]]:
    """(layer position, argument) of the values that differ among the runs `members`."""
    first = members[0].steps
    return [(at, key) for at, step in enumerate(first)
            for key in step.spec.constructor_kwargs(step.kwargs)
            if any(literal(run.steps[at].kwargs[key]) != literal(step.kwargs[key])
                   for run in members[1:])]


def _argument_names(run: Run, varying: list[tuple[int, str]]) -> list[str]:
    """`filters` when one layer's filters vary; when several layers' do, named after the
    layers' suffixes: `expand_filters` and `project_filters`, `filters_1_conv`."""
    keys = [key for _, key in varying]
    namer = Namer(RESERVED | {"x", "prefix"})
    names = []
    for at, key in varying:
        words = _suffix(run, run.steps[at]).strip("_")
        if keys.count(key) == 1 or not words:
            names.append(namer.take(key))
        else:
            names.append(namer.take(f"{words}_{key}" if words[0].isalpha() else f"{key}_{words}"))
    return names




def _runs(plan: Plan) -> list[Run]:
    runs, current, chain = [], [], plan.namer.chain_taken
    for step in plan.steps:
        joined = bool(current) and step.inputs == (current[-1].outputs[0],) \
            and current[-1].outputs[0] == chain
        if _plain(plan, step) and joined:
            current.append(step)
            continue
        runs.append(current)
        current = [step] if _plain(plan, step) else []
    runs.append(current)
    return [Run(tuple(steps), prefix) for steps in runs if len(steps) >= MIN_LAYERS
            for prefix in [_prefix([s.name for s in steps])] if prefix]


def _plain(plan: Plan, step: Step) -> bool:
    """A layer of keras.layers with one input and one output, no shared or nested one."""
    spec = step.spec
    return (spec.keras_module == "keras.layers" and not spec.is_composite
            and spec.kind not in (GENERIC, custom.KIND) and not is_operation(spec)
            and not spec.is_merge and spec.min_inputs == 1
            and len(step.inputs) == 1 and len(step.outputs) == 1
            and not spec.keyword_port_names(step.params)
            and shared.owner_of(plan.shared, step) is None
            and inner_layers(spec, dict(step.kwargs), "") == step.kwargs)


def _prefix(names: list[str]) -> str:
    """The longest prefix, cut at a '_', that every name extends with '_' and more."""
    common = names[0]
    for name in names[1:]:
        while not name.startswith(common):
            common = common[:-1]
    cut = common.rfind("_")
    while cut > 0:
        if all(len(n) > cut + 1 and n[cut] == "_" for n in names):
            return common[:cut]
        cut = common.rfind("_", 0, cut)
    return ""


def _key(run: Run, values: bool) -> str:
    """What runs of one family share: kinds, arguments (with their `values`), calls and
    name suffixes."""
    return json.dumps([[s.spec.kind, literal(s.kwargs) if values else list(s.kwargs),
                        _suffix(run, s), call_suffix(s.spec, ["x"], s.params)]
                       for s in run.steps])


def _suffix(run: Run, step: Step) -> str:
    return step.name[len(run.prefix):]  # with its leading '_'


def _function_name(prefix: str) -> str:
    """`conv2_block1` -> `conv_block`: the prefix without its numbers."""
    words = [w for w in re.sub(r"[0-9]+", "", prefix).split("_") if w]
    name = "_".join(words).lower()
    return name if name.isascii() and name.isidentifier() else "layer_run"


def _source(function: str, run: Run, count: int, arguments: dict[tuple[int, str], str]) -> str:
    """The `def` of a family: its first run's layers, named from the prefix, the varying
    values (`arguments`: by layer position and argument) passed in."""
    signature = ", ".join(["x", "prefix", *arguments.values()])
    lines = [f"def {function}({signature}):",
             f'{INDENT}"""{count} runs of these layers; each layer\'s name is prefix + its '
             'suffix."""']
    for at, step in enumerate(run.steps):
        name = Code(f"prefix + {literal(_suffix(run, step))}")
        kwargs = {k: Code(arguments[(at, k)]) if (at, k) in arguments else v
                  for k, v in step.kwargs.items()}
        last = at == len(run.steps) - 1
        lines.append(constructor(step.spec, kwargs, name, INDENT, "return " if last else "x = ",
                                 call_suffix(step.spec, ["x"], step.params), step.params))
    return "\n".join(lines) + "\n"
