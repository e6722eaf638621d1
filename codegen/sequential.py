"""The Sequential writer, for graphs that are one chain from one Input to one output."""

from __future__ import annotations

from kerascanvas.graph.layers.operations import is_operation
from kerascanvas.graph.nested import is_model_block
from kerascanvas.graph.spec import GENERIC, SHARED_CALL
from kerascanvas.graph.userblocks import returns_list

from . import application, nested, userblocks
from .emit import INDENT, Module, constructor
from .errors import CodegenError
from .functional import block_helper_sources, build_source, precision_blocks, user_helper_sources
from .literals import literal
from .plan import Plan
from .precision import body_indent
from .structure import refuse_keyed


def chain_problem(plan: Plan) -> str | None:
    """Why the plan is not a single chain of single-input, single-output layers, or None."""
    if len(plan.inputs) != 1:
        return f"a Sequential model has one Input; this graph has {len(plan.inputs)}"
    if len(plan.outputs) != 1:
        return f"a Sequential model has one output; this graph has {len(plan.outputs)}"
    previous = plan.steps[0]
    for step in plan.steps[1:]:
        where = f"node {step.name!r} ({step.spec.kind})"
        if step.spec.is_composite and not _single_model(plan, step):
            return f"{where} is a block of several layers, not one layer a Sequential model lists"
        if is_operation(step.spec):
            return f"{where} is an operation (a keras.ops call), not a layer"
        if step.spec.kind == SHARED_CALL:
            return (f"{where} calls the layer of another node again (shared weights), "
                    "which a Sequential model cannot express")
        if step.spec.keyword_port_names(step.params):
            return (f"{where} takes tensors on its {step.spec.keyword_ports.param} ports, "
                    "and a Sequential layer receives only the previous layer's output: "
                    "use the functional or subclass style")
        if len(step.inputs) != 1:
            return f"{where} takes {len(step.inputs)} inputs, a Sequential layer takes 1"
        if step.spec.kind == GENERIC and step.params.get("call") is not None:
            return f"{where} is called with extra arguments"
        if len(step.outputs) != 1:
            return f"{where} has {len(step.outputs)} outputs, a Sequential layer has 1"
        if step.inputs[0] != previous.outputs[0]:
            return (f"{where} is fed by a layer other than the one before it "
                    f"({previous.name!r}), so the graph branches")
        previous = step
    return None


def sequential_problem(plan: Plan) -> str | None:
    """Why `plan` cannot be written as a keras.Sequential, or None (what `write` refuses)."""
    if plan.input_keys or plan.output_keys:
        return "the model takes or returns a dict, and a keras.Sequential takes one tensor"
    return chain_problem(plan)


def _single_model(plan: Plan, step) -> bool:
    """A step that is one model object: a keras.applications base or a nested model
    giving one tensor (a nested Sequential such as an augmentation stage)."""
    if step.spec.kind == application.KIND:
        return True
    block = step.params.get("block") if step.spec.kind == userblocks.KIND else None
    return (block is not None and is_model_block(plan.blocks, block)
            and not returns_list(plan.blocks[block]))


def _made_first(plan: Plan, step, indent: str) -> tuple[str, list[str]]:
    """(variable, lines) for a model step made (and frozen) before the Sequential."""
    if step.spec.kind == application.KIND:
        var = plan.namer.take(f"{step.name}_base")
        return var, application.construct_lines(var, step, indent)
    helpers = plan.helpers
    kwargs = {k: v for k, v in step.kwargs.items() if k != "block"}
    var = plan.namer.take(f"{step.name}_model")
    return var, nested.construct_lines(helpers[step.params["block"]], kwargs, step.name,
                                       indent, var)


def write(plan: Plan, model_name: str) -> Module:
    """`build_model()` returning `keras.Sequential([keras.Input(...), layers...], name=...)`."""
    refuse_keyed(plan.input_keys, plan.output_keys, "sequential",
                 "a keras.Sequential takes one tensor and returns one")
    problem = chain_problem(plan)
    if problem:
        raise CodegenError(f"The sequential style does not apply: {problem}. "
                           "Use the functional style instead")
    base = body_indent(plan.policy)
    items = base + INDENT * 2
    lines, entries = [], []
    for step in plan.steps:
        if step.spec.is_composite:  # a model: made (and frozen) first, then listed
            var, made = _made_first(plan, step, base)
            lines += made
            entries.append(f"{items}{var},")
        else:
            entries.append(constructor(step.spec, step.kwargs, step.name, items, suffix=",",
                                       params=step.params))
    lines += [f"{base}return keras.Sequential(", f"{base}{INDENT}[", *entries]
    lines += [f"{base}{INDENT}],", f"{base}{INDENT}name={literal(model_name)},", f"{base})"]
    return Module(blocks=[*precision_blocks(plan), *block_helper_sources(plan, own=False),
                          *user_helper_sources(plan),
                          build_source(plan, lines)])
