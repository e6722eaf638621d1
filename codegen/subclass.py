"""The subclassed-Model writer: layers made in `__init__`, wired in `call()`.

Blocks cannot be helper calls here (a helper makes new layers on every call), so the
plan holds the model with each block written out as its layers (`codegen.inline`): a
built-in block's sublayers, a user block's inner layers (`<instance>_<inner>`, as the
functional style's helpers name them), each one attribute. A nested-model block is one
attribute: the model its helper makes, called in `call()`.
"""

from __future__ import annotations

from kerascanvas.graph.layers.operations import is_operation
from kerascanvas.graph.nested import is_model_block
from kerascanvas.graph.spec import GENERIC, USER_BLOCK
from kerascanvas.graph.userblocks import returns_list

from . import application, generic, nested, operations, shared
from .emit import INDENT, Module, call_suffix, constructor, flat_call, pack, targets
from .errors import CodegenError
from .functional import (
    block_helper_sources,
    build_source,
    output_name_lines,
    precision_blocks,
    user_helper_sources,
)
from .inline import written_out
from .literals import call, literal
from .naming import MODEL_ATTRIBUTES, RESERVED, Namer
from .plan import Plan, Step
from .precision import FLOAT32, body_indent
from .structure import pack_keyed

CLASS_NAME = "CanvasModel"


class _Writer:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.attrs = Namer(RESERVED | MODEL_ATTRIBUTES)
        self.init: list[str] = []
        self.body: list[str] = []
        self.shared_attrs: dict[str, str] = {}  # shared layer variable -> attribute
        self.training = False  # a layer call records training=: call() takes training

    def layer(self, spec, kwargs, name: str, sources, outputs, params=None) -> None:
        if is_operation(spec):  # a keras.ops call in call(), no attribute
            self.body.append(operations.assignment(
                call_suffix(spec, sources, params), INDENT * 2, targets(outputs),
                kwargs.get(operations.OUTPUT_DTYPE)))
            return
        attr = self.attrs.take(name)
        self.init.append(constructor(spec, kwargs, name, INDENT * 2, f"self.{attr} = ",
                                     params=params))
        self.training |= spec.kind == GENERIC and generic.recorded_training(params or {})
        head, tail = flat_call(spec, params, f"{INDENT * 2}{', '.join(outputs)} = ",
                               call_suffix(spec, sources, params, "training"))
        self.body.append(f"{head}self.{attr}{tail}")

    def shared_call(self, layer: shared.SharedLayer, step: Step) -> None:
        """One attribute per shared layer, called in call() at each use."""
        if layer.var not in self.shared_attrs:
            attr = self.attrs.take(layer.name)
            self.shared_attrs[layer.var] = attr
            self.init.append(shared.construct_line(layer, INDENT * 2, f"self.{attr}"))
        callee = f"self.{self.shared_attrs[layer.var]}"
        self.body.append(shared.call_line(layer, step, INDENT * 2, callee, eager=True))

    def nested_model(self, step: Step) -> None:
        """A nested-model block: the model made in __init__ by its helper, called in call()."""
        helpers = self.plan.helpers
        attr = self.attrs.take(step.name)
        kwargs = {k: v for k, v in step.kwargs.items() if k != "block"}
        self.init += nested.construct_lines(helpers[step.params["block"]], kwargs, step.name,
                                            INDENT * 2, f"self.{attr}")
        called = f"self.{attr}({pack(list(step.inputs))})"
        listed = returns_list(self.plan.blocks[step.params["block"]])
        if listed:  # see shared.call_line
            called = f"keras.tree.flatten({called})"
        self.body.append(f"{INDENT * 2}{targets(step.outputs, listed)}{called}")

    def step(self, step: Step) -> None:
        if step.spec.min_inputs == 0:
            return
        layer = shared.owner_of(self.plan.shared, step)
        if layer is not None:
            self.shared_call(layer, step)
            return
        if step.spec.kind == application.KIND:
            attr = self.attrs.take(step.name)
            self.init += application.construct_lines(f"self.{attr}", step, INDENT * 2)
            self.body.append(f"{INDENT * 2}{step.outputs[0]} = self.{attr}({step.inputs[0]})")
            return
        if step.spec.kind == USER_BLOCK and is_model_block(self.plan.blocks,
                                                           step.params["block"]):
            self.nested_model(step)
            return
        if written_out(self.plan.blocks, step.node):
            raise CodegenError(f"Node {step.name!r} is a block: the subclass style writes "
                               "from a plan with its blocks written out as layers "
                               "(make_plan(..., inline_blocks=True))")
        self.layer(step.spec, step.kwargs, step.name, step.inputs, step.outputs, step.params)


def _call_signature(plan: Plan, training: bool = False) -> list[str]:
    """`def call(self, x)` and the unpacking of its inputs; `training=None` after them when
    a layer call recorded a training value of its own (see `generic.call_arguments`)."""
    names = [s.outputs[0] for s in plan.inputs]
    more = ", training=None" if training else ""
    if plan.input_keys is not None:  # the model takes a dict
        return [f"{INDENT}def call(self, inputs{more}):",
                *(f"{INDENT * 2}{var} = inputs[{literal(key)}]"
                  for key, var in plan.input_keys.items())]
    if len(names) == 1:
        return [f"{INDENT}def call(self, {names[0]}{more}):"]
    return [f"{INDENT}def call(self, inputs{more}):",
            f"{INDENT * 2}{', '.join(names)} = inputs"]


def _build_method(plan: Plan) -> list[str]:
    """`build()` runs call() on symbolic inputs, so each layer builds on its own input shape.

    Calling the model itself on symbolic inputs would trace call() as a whole with made-up
    sizes for unknown dimensions, which breaks broadcasting merges and stateful layers.
    """
    pad = INDENT * 2
    inputs = [constructor(s.spec, s.kwargs, s.name) for s in plan.inputs]
    if plan.input_keys is not None:
        made = {s.outputs[0]: text for s, text in zip(plan.inputs, inputs, strict=True)}
        inputs = [f"{literal(key)}: {made[var]}" for key, var in plan.input_keys.items()]
    lines = [f"{INDENT}def build(self, input_shape=None):",
             f"{pad}# Symbolic inputs build each layer on its own input shape, as in a",
             f"{pad}# Functional model (tracing the whole model would guess unknown sizes)."]
    if len(inputs) == 1 and plan.input_keys is None:
        return [*lines, call("self.call", inputs, {}, pad)]
    brackets = "[]" if plan.input_keys is None else "{}"
    return [*lines, f"{pad}inputs = {brackets[0]}", *(f"{pad}{INDENT}{i}," for i in inputs),
            f"{pad}{brackets[1]}", f"{pad}self.call(inputs)"]


def _no_input_cast(plan: Plan) -> list[str]:
    """Under mixed precision, `autocast=False`: a subclassed model casts its floating inputs
    to the policy's compute dtype (float16) before call(), where a Functional model leaves
    them to each layer (Keras turns its input conversion off), so the float32 output layers
    fed by an Input saw float16-rounded values (outputs 5e-4 to 1e-3 from the build's)."""
    if plan.policy == FLOAT32:
        return []
    pad = INDENT * 2
    return [f"{pad}# Each layer casts its own inputs, as in a Functional model: the model",
            f"{pad}# itself would round them all to the policy's float16 first.",
            f'{pad}kwargs.setdefault("autocast", False)']


def class_source(plan: Plan) -> str:
    """The keras.Model subclass: layers in __init__, build() on the inputs, call()."""
    writer = _Writer(plan)
    for step in plan.steps:
        writer.step(step)
    lines = [f"class {CLASS_NAME}(keras.Model):",
             f'{INDENT}"""The graph as a subclassed model: layers in __init__, wired in call()."""',
             "",
             f"{INDENT}def __init__(self, **kwargs):",
             *_no_input_cast(plan),
             f"{INDENT * 2}super().__init__(**kwargs)",
             *writer.init, "", *_build_method(plan), "", *_call_signature(plan, writer.training),
             *writer.body,
             f"{INDENT * 2}return {pack_keyed(plan.outputs, plan.output_keys)}"]
    return "\n".join(lines) + "\n"


def build_function(plan: Plan, model_name: str) -> str:
    """`build_model()`: an instance whose layers are built, so count_params works."""
    # Layers take the dtype policy when made (__init__), variables when built: both in scope.
    indent = body_indent(plan.policy)
    if "." not in model_name:
        body = [call(CLASS_NAME, [], {"name": model_name}, indent, "model = "),
                f"{indent}model.build()"]
    else:  # the variables build() makes are named under the model's name
        body = [f"{indent}# Built under Keras' default name, then named: torch refuses '.' "
                "in the names", f"{indent}# of the variables build() makes under the "
                "model's name.", f"{indent}model = {CLASS_NAME}()", f"{indent}model.build()",
                f"{indent}model.name = {literal(model_name)}"]
    body += output_name_lines(plan.port_names, indent, True) if plan.port_names else \
        [f"{indent}return model"]
    return build_source(plan, body, "The model, uncompiled, built on the input shapes.")


def write(plan: Plan, model_name: str) -> Module:
    """The model class, then `build_model()`."""
    return Module(blocks=[*precision_blocks(plan), *block_helper_sources(plan, own=False),
                          *model_helper_sources(plan),
                          class_source(plan), build_function(plan, model_name)])


def model_helper_sources(plan: Plan) -> list[str]:
    """The helpers of the nested-model blocks in use (the plan holds no other blocks),
    with those of the blocks inside them."""
    return user_helper_sources(plan)
