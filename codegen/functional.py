"""The Functional-API writer: `build_model()` wires one tensor variable per node output."""

from __future__ import annotations

from . import application, shared, userblocks
from .blocks import helper_call, helper_sources
from .emit import INDENT, Module, call_suffix, constructor, pack, targets
from .literals import Code, call
from .plan import Plan, Step


def step_line(step: Step, indent: str = INDENT, plan: Plan | None = None) -> str:
    """The statement that creates the node's layer and applies it to its inputs."""
    prefix = targets(step.outputs)
    if step.spec.kind == application.KIND:
        base = plan.namer.take(f"{step.name}_base") if plan else f"{step.outputs[0]}_base"
        return application.functional_lines(step, base, indent)
    if step.spec.kind == userblocks.KIND:
        helpers = userblocks.helper_names(plan.blocks, plan.user_blocks)
        return userblocks.instance_call(step, helpers, indent, prefix)
    if step.spec.is_block:
        return helper_call(step.spec.kind, step.inputs[0], step.kwargs, step.name, indent, prefix)
    suffix = "" if step.spec.min_inputs == 0 else call_suffix(step.spec, step.inputs, step.params)
    return constructor(step.spec, step.kwargs, step.name, indent, prefix, suffix, step.params)


def build_function(plan: Plan, model_name: str) -> str:
    """`def build_model(): ... return keras.Model(inputs=..., outputs=..., name=...)`."""
    lines = ["def build_model():", f'{INDENT}"""The model, uncompiled."""']
    created: set[str] = set()
    for step in plan.steps:
        layer = shared.owner_of(plan.shared, step)
        if layer is None:
            lines.append(step_line(step, INDENT, plan))
        else:  # one layer object, called at each of its uses
            lines += shared.functional_lines(layer, step, INDENT, created)
    inputs = pack([s.outputs[0] for s in plan.inputs])
    outputs = pack(plan.outputs)
    lines.append(call("keras.Model", [], {"inputs": Code(inputs), "outputs": Code(outputs),
                                         "name": model_name}, INDENT, "return "))
    return "\n".join(lines) + "\n"


def write(plan: Plan, model_name: str) -> Module:
    """Helpers for the block kinds used, then `build_model()`."""
    return Module(blocks=[*helper_sources(plan.block_kinds), *user_helper_sources(plan),
                          build_function(plan, model_name)])


def user_helper_sources(plan: Plan) -> list[str]:
    """One helper function per user block in use (inner blocks first)."""
    helpers = userblocks.helper_names(plan.blocks, plan.user_blocks)
    return [userblocks.helper_source(plan.blocks, name, helpers) for name in helpers]
