"""The Functional-API writer: `build_model()` wires one tensor variable per node output."""

from __future__ import annotations

from collections.abc import Mapping

from kerascanvas.graph.nested import is_model_block
from kerascanvas.graph.userblocks import returns_list

from . import application, nested, precision, shared, userblocks
from .blocks import helper_call, helper_sources, kinds_in
from .emit import INDENT, Module, call_suffix, constructor, flat_call, targets
from .literals import LINE_LIMIT, Code, call, literal
from .plan import Plan, Step
from .runs import Run, find_runs
from .structure import pack_keyed


def step_line(step: Step, indent: str = INDENT, plan: Plan | None = None) -> str:
    """The statement that creates the node's layer and applies it to its inputs."""
    prefix = targets(step.outputs)
    if step.spec.kind == application.KIND:
        base = plan.namer.take(f"{step.name}_base") if plan else f"{step.outputs[0]}_base"
        return application.functional_lines(step, base, indent)
    if step.spec.kind == userblocks.KIND:
        helpers = plan.helpers
        if is_model_block(plan.blocks, step.params["block"]):
            kwargs = {k: v for k, v in step.kwargs.items() if k != "block"}
            block = plan.blocks[step.params["block"]]
            return "\n".join(nested.instance_lines(helpers[step.params["block"]], kwargs,
                                                   step.name, step.inputs, step.outputs,
                                                   indent, plan.namer,
                                                   returns_list(block)))
        return userblocks.instance_call(step, helpers, indent, prefix)
    if step.spec.is_block:  # a frozen block's layers are frozen once the model exists
        kwargs = {k: v for k, v in step.kwargs.items() if k != "trainable"}
        return helper_call(step.spec.kind, step.inputs[0], kwargs, step.name, indent, prefix)
    suffix = "" if step.spec.min_inputs == 0 else call_suffix(step.spec, step.inputs, step.params)
    prefix, suffix = flat_call(step.spec, step.params, prefix, suffix)
    return constructor(step.spec, step.kwargs, step.name, indent, prefix, suffix, step.params)


def build_function(plan: Plan, model_name: str, runs: Mapping[int, Run]) -> str:
    """`def build_model(): ... return keras.Model(inputs=..., outputs=..., name=...)`.

    `runs` (`runs.find_runs`) are written as calls. Under mixed precision the statements
    run inside the DTYPE_POLICY scope.
    """
    indent = precision.body_indent(plan.policy)
    body: list[str] = []
    created: set[str] = set()
    written = 0  # the steps before this one are written (a run writes several)
    for i, step in enumerate(plan.steps):
        layer = shared.owner_of(plan.shared, step)
        if i < written:
            continue
        if i in runs:  # a repeated run of layers: one call of its family's function
            body.append(runs[i].call_line(indent))
            written = i + len(runs[i].steps)
        elif layer is None:
            body.append(step_line(step, indent, plan))
        else:  # one layer object, called at each of its uses
            body += shared.functional_lines(layer, step, indent, created)
    inputs = pack_keyed([s.outputs[0] for s in plan.inputs], plan.input_keys)
    outputs = pack_keyed(plan.outputs, plan.output_keys)
    frozen = frozen_block_layers(plan)
    named = plan.port_names is not None
    body.append(call("keras.Model", [], {"inputs": Code(inputs), "outputs": Code(outputs),
                                        "name": model_name}, indent,
                     "model = " if frozen or named else "return "))
    if named:
        body += output_name_lines(plan.port_names, indent, not frozen)
    if frozen:
        body += freeze_lines(frozen, indent)
    return build_source(plan, body)


def output_name_lines(names: list[str], indent: str, last: bool) -> list[str]:
    """Name the outputs, as some are a further port of a layer (Keras would name them all
    after their layer, and log their losses alike)."""
    listed = f"{indent}model.output_names = {literal(names)}"
    if len(listed) > LINE_LIMIT:  # one name per line
        listed = "".join([f"{indent}model.output_names = [\n",
                          *(f"{indent}{INDENT}{literal(n)},\n" for n in names), f"{indent}]"])
    lines = [f"{indent}# a further output port of a layer is named <layer>_<port>, or",
             f"{indent}# <layer>_output_<port> where another layer has that name", listed]
    return lines + ([f"{indent}return model"] if last else [])


def frozen_block_layers(plan: Plan) -> list[str]:
    """Names of the layers of frozen block nodes (their helpers make them trainable)."""
    return [f"{s.name}_{sub.name}" for s in plan.steps
            if s.spec.is_block and not s.params.get("trainable", True)
            for sub in s.spec.expand(s.params, list(s.input_shapes)).layers]


def freeze_lines(names: list[str], indent: str) -> list[str]:
    """`layer.trainable = False` for each named layer of `model`, then `return model`."""
    return [f"{indent}for name in {literal(tuple(names))}:  # the frozen blocks' layers",
            f"{indent}{INDENT}model.get_layer(name).trainable = False",
            f"{indent}return model"]


def build_source(plan: Plan, body: list[str], doc: str = "The model, uncompiled.") -> str:
    """`def build_model():` with its docstring and `body`, scoped to DTYPE_POLICY if mixed."""
    lines = ["def build_model():", f'{INDENT}"""{doc}"""']
    lines += precision.scoped(body) if plan.mixed else body
    return "\n".join(lines) + "\n"


def write(plan: Plan, model_name: str) -> Module:
    """Helpers for the block kinds used, then `build_model()`."""
    run_sources, runs = find_runs(plan)
    return Module(blocks=[*precision_blocks(plan), *block_helper_sources(plan, own=True),
                          *user_helper_sources(plan), *run_sources,
                          build_function(plan, model_name, runs)])


def block_helper_sources(plan: Plan, own: bool) -> list[str]:
    """The helpers of the block kinds the user blocks and nested models call, and with
    `own` those the model's own nodes call (a style writing its blocks as helper calls):
    each defined once, at the module's top level."""
    kinds = list(plan.block_kinds) if own else []
    kinds += [k for k in kinds_in(plan.blocks, list(plan.helpers)) if k not in kinds]
    return helper_sources(kinds, plan.mixed)


def precision_blocks(plan: Plan) -> list[str]:
    """The DTYPE_POLICY constant under mixed precision, else nothing."""
    return [precision.constant_block(plan.policy)] if plan.mixed else []


def user_helper_sources(plan: Plan) -> list[str]:
    """One helper function per user block in use (inner blocks first); a nested-model
    block's helper takes an instance's input shapes where its definition records none."""
    helpers = plan.helpers
    shapes = {}
    for step in reversed(plan.steps):
        if step.spec.kind == userblocks.KIND:
            shapes[step.params["block"]] = step.input_shapes
    return [nested.helper_source(plan.blocks, name, helpers, shapes.get(name), plan.reserved,
                                 plan.mixed)
            if is_model_block(plan.blocks, name)
            else userblocks.helper_source(plan.blocks, name, helpers, plan.reserved, plan.mixed)
            for name in helpers]
