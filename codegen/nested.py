"""Nested-model blocks in generated code: one `make_<block>()` function per definition.

A nested-model block (`graph.nested`) is written as a function that builds and returns
the model, named by its `name` argument; its layers keep the inner node names::

    def make_augment(name='augment'):
        return keras.Sequential([
            keras.Input(shape=(32, 32, 3), name='input_layer'),
            layers.RandomFlip(mode='horizontal', name='random_flip'),
        ], name=name)

    augment = make_augment(name='augment')(image)

A frozen instance is made, frozen, then called; a shared one (a siamese tower) is made
once and called at each use (`codegen.shared`). The runtime builds the same models
(`runtime.nested`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from kerascanvas.graph import nested, userblocks
from kerascanvas.graph.spec import APPLICATION, LAYER_SPECS

from . import application
from . import userblocks as block_code
from .emit import INDENT, constructor, pack, targets
from .errors import CodegenError
from .literals import Code, call, literal
from .naming import Namer, argument, arguments

KIND = userblocks.KIND


def helper_source(blocks: Mapping[str, Any], name: str, helpers: Mapping[str, str],
                  input_shapes: Sequence | None,
                  module_names: frozenset[str] = frozenset(), dtype: bool = False) -> str:
    """The `def make_<block>(...)` of a nested-model block.

    `input_shapes` (an instance's inferred input shapes) stand in for Input shapes the
    definition does not record. Its variables keep clear of `module_names` (the module's
    top-level names) and of the helpers. With `dtype` (mixed precision) it takes
    `output_dtype`, as a user block's helper does (`userblocks.helper_source`).
    """
    definition = blocks[name]
    meta = nested.model_of(definition)
    spec = userblocks.bound_spec(blocks, name)
    exposed = {p.name: p.default for p in spec.params[1:] if p.name != "trainable"}
    n_out = len(userblocks.output_refs(definition))
    signature = ", ".join([*(f"{k}={literal(v)}" for k, v in arguments(exposed).items()),
                           f"name={literal(name)}", *(
                               [f"{block_code.OUTPUT_DTYPE}={literal(block_code.no_dtypes(n_out))}"]
                               if dtype else [])])
    dtypes = block_code.leaving_dtypes(definition) if dtype else {}
    lines = [f"def {helpers[name]}({signature}):",
             f'{INDENT}"""{block_code.doc_line(definition, name)}"""']
    count = len(definition["inputs"])
    inputs = [_input_line(meta, port, count, name, input_shapes) for port in range(count)]
    values = userblocks.inner_params(definition, exposed)
    refs = {(ref["node"], ref["param"]): Code(argument(key))
            for key, ref in definition.get("params", {}).items()}
    reserved = module_names | frozenset(helpers.values()) | {"name", *arguments(exposed)} | (
        {block_code.OUTPUT_DTYPE} if dtype else set())
    if meta["class"] == nested.SEQUENTIAL:
        lines += _sequential_body(blocks, name, inputs[0], values, refs, helpers,
                                  input_shapes, reserved, dtypes)
    else:
        lines += _functional_body(blocks, name, inputs, refs, helpers, input_shapes, reserved,
                                  dtypes)
    return "\n".join(lines) + "\n"


def _input_line(meta, port: int, count: int, block: str, input_shapes) -> str:
    """`keras.Input(shape=..., name=...)` of the model's Input on `port`."""
    entries = meta.get("inputs") or []
    entry = entries[port] if port < len(entries) else {}
    shape = entry.get("batch_shape")
    if shape is None:
        if not input_shapes:
            raise CodegenError(f"Block {block!r}: the input shape of its nested model is "
                               "unknown; connect an instance or record it in the definition")
        shape = list(input_shapes[port])
    name = entry.get("name")
    kwargs = {"shape": tuple(shape[1:])} if shape[0] is None else {"batch_shape": tuple(shape)}
    kwargs["name"] = name if name else Code(
        "name + " + literal(nested.input_suffix(port, count)))
    if nested.input_dtype(meta, port) != "float32":
        kwargs["dtype"] = nested.input_dtype(meta, port)
    return call("keras.Input", [], kwargs)


def _sequential_body(blocks, name: str, source: str, values, refs, helpers, input_shapes,
                     reserved: frozenset[str], dtypes) -> list[str]:
    """`return keras.Sequential([...])`; a keras.applications base is made (and frozen)
    before it, then put in the list."""
    definition = blocks[name]
    nodes = {n["id"]: n for n in definition["nodes"]}
    order = nested.chain_order(definition)
    lines, made = [], {}
    if any(nodes[nid]["kind"] == APPLICATION for nid in order):
        plan = _model_plan(blocks, name, helpers, input_shapes, reserved)
        for step in plan.steps:
            if step.spec.kind == APPLICATION:
                made[step.node.id] = plan.namer.take(f"{step.name}_base")
                lines += application.construct_lines(made[step.node.id], step, INDENT)
    pad = INDENT * 2
    lines += [f"{INDENT}return keras.Sequential([", f"{pad}{source},"]
    for nid in order:
        lines.append(f"{pad}{made[nid]}," if nid in made else
                     _make(blocks, nodes[nid], values[nid], refs, helpers, pad, "", ",",
                           block_code.dtype_kwargs(blocks, nodes[nid], dtypes)))
    return [*lines, f"{INDENT}], name=name)"]


def _model_plan(blocks, name: str, helpers, input_shapes, reserved: frozenset[str]):
    """The plan of the nested model as a document of its own (`userblocks.model_document`)."""
    from .plan import make_plan  # it imports this module

    shapes = input_shapes or [e["batch_shape"] for e in nested.model_of(blocks[name])["inputs"]]
    return make_plan(userblocks.model_document(blocks, {"block": name}, name, shapes),
                     reserved=reserved, helpers=helpers)


def _functional_body(blocks, name: str, inputs: list[str], refs, helpers, input_shapes,
                     reserved: frozenset[str], dtypes) -> list[str]:
    """The model's statements, written like `build_model()`'s from a plan of the model as
    a document of its own: shared layers made once, keras.applications bases, layers and
    nested models with several outputs, nested models called again."""
    from . import shared  # these import this module
    from .functional import step_line

    definition = blocks[name]
    plan = _model_plan(blocks, name, helpers, input_shapes, reserved)
    names = [step.outputs[0] for step in plan.inputs]
    lines = [f"{INDENT}{var} = {text}" for var, text in zip(names, inputs, strict=True)]
    created: set[str] = set()
    nodes = {n["id"]: n for n in definition["nodes"]}
    for step in plan.steps[len(names):]:
        if any(node == step.node.id for node, _ in refs):  # exposed: the helper's argument
            step = dataclasses.replace(step, kwargs=block_code.inner_kwargs(
                blocks, nodes[step.node.id], refs))
        if step.node.id in nodes:  # the layers leaving the model take `output_dtype`
            step = dataclasses.replace(step, kwargs={**step.kwargs, **block_code.dtype_kwargs(
                blocks, nodes[step.node.id], dtypes)})
        layer = shared.owner_of(plan.shared, step)
        lines += [step_line(step, INDENT, plan)] if layer is None \
            else shared.functional_lines(layer, step, INDENT, created)
        if step.node.id in nodes and step.outputs:  # an operation leaving: its cast
            lines += block_code.operation_cast(nodes[step.node.id], step.outputs[0], dtypes,
                                               INDENT, prefixed=False)
    outputs = f"[{plan.outputs[0]}]" if userblocks.returns_list(definition) \
        and len(plan.outputs) == 1 else pack(plan.outputs)
    lines.append(call("keras.Model", [], {"inputs": Code(pack(names)),
                                          "outputs": Code(outputs),
                                          "name": Code("name")}, INDENT, "return "))
    return lines


def _make(blocks, node, values, refs, helpers, indent, prefix, suffix, dtype=None) -> str:
    """The expression making one inner node's layer (a helper call for a block); `dtype`:
    its `output_dtype` keyword when it leaves the model (`userblocks.dtype_kwargs`)."""
    kwargs = {**_kwargs(blocks, node, refs), **(dtype or {})}
    if node["kind"] == KIND:
        block = node["params"]["block"]
        kwargs.pop("trainable", None)
        if not nested.is_model_block(blocks, block):
            raise CodegenError(f"Block layer {node['name']!r} is a block that is not a nested "
                               "model; it cannot be one layer of a Sequential model")
        return call(helpers[block], [], {**arguments(kwargs), "name": node["name"]}, indent,
                    prefix, suffix)
    spec = LAYER_SPECS[node["kind"]]
    if spec.is_block:
        raise CodegenError(f"Block layer {node['name']!r} ({spec.kind}) is a block of several "
                           "layers, which a Sequential nested model cannot list; make the "
                           "nested model Functional")
    return constructor(spec, kwargs, node["name"], indent, prefix, suffix,
                       spec.resolve(values))


def _kwargs(blocks, node, refs) -> dict[str, Any]:
    kwargs = dict(block_code.inner_kwargs(blocks, node, refs))
    kwargs.pop("block", None)
    return kwargs


def instance_lines(helper: str, kwargs: Mapping[str, Any], name: str, sources: Sequence[str],
                   outputs: Sequence[str], indent: str, namer: Namer,
                   listed: bool = False) -> list[str]:
    """`out = make_x(name=...)(inputs)`; a frozen model is made, frozen, then called.
    `listed`: the model gives a list of one tensor, unpacked as `[out] = ...`."""
    kwargs = arguments(kwargs)
    frozen = kwargs.pop("trainable", True) is False
    arg = pack(list(sources))
    if not frozen:
        return [call(helper, [], {**kwargs, "name": name}, indent, targets(outputs, listed),
                     f"({arg})")]
    var = namer.take(f"{name}_model")
    return [call(helper, [], {**kwargs, "name": name}, indent, f"{var} = "),
            f"{indent}{var}.trainable = False",
            f"{indent}{targets(outputs, listed)}{var}({arg})"]


def construct_lines(helper: str, kwargs: Mapping[str, Any], name: str, indent: str,
                    target: str) -> list[str]:
    """`target = make_x(name=...)` (and `target.trainable = False`): a model called at
    several places, made once."""
    kwargs = arguments(kwargs)
    frozen = kwargs.pop("trainable", True) is False
    lines = [call(helper, [], {**kwargs, "name": name}, indent, f"{target} = ")]
    return lines + ([f"{indent}{target}.trainable = False"] if frozen else [])
