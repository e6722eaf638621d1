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

from collections.abc import Mapping, Sequence
from typing import Any

from kerascanvas.graph import nested, userblocks
from kerascanvas.graph.spec import LAYER_SPECS

from . import userblocks as block_code
from .emit import INDENT, call_suffix, constructor, pack, targets
from .errors import CodegenError
from .literals import Code, call, literal
from .naming import RESERVED, Namer

KIND = userblocks.KIND


def helper_source(blocks: Mapping[str, Any], name: str, helpers: Mapping[str, str],
                  input_shapes: Sequence | None) -> str:
    """The `def make_<block>(...)` of a nested-model block.

    `input_shapes` (an instance's inferred input shapes) stand in for Input shapes the
    definition does not record.
    """
    definition = blocks[name]
    meta = nested.model_of(definition)
    local = Namer(RESERVED | frozenset(helpers.values()) | {"name"})
    spec = userblocks.bound_spec(blocks, name)
    exposed = {p.name: p.default for p in spec.params[1:] if p.name != "trainable"}
    for key in exposed:
        local.take(key)
    signature = ", ".join([*(f"{k}={literal(v)}" for k, v in exposed.items()),
                           f"name={literal(name)}"])
    lines = [f"def {helpers[name]}({signature}):",
             f'{INDENT}"""{block_code.doc_line(definition, name)}"""']
    inputs = [_input_line(meta, port, name, input_shapes) for port in
              range(len(definition["inputs"]))]
    values = userblocks.inner_params(definition, exposed)
    refs = {(ref["node"], ref["param"]): Code(key)
            for key, ref in definition.get("params", {}).items()}
    if meta["class"] == nested.SEQUENTIAL:
        lines += _sequential_body(blocks, definition, inputs[0], values, refs, helpers)
    else:
        lines += _functional_body(blocks, definition, inputs, values, refs, helpers, local)
    return "\n".join(lines) + "\n"


def _input_line(meta, port: int, block: str, input_shapes) -> str:
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
        "name + " + literal("_input" if len(entries) <= 1 else f"_input_{port}"))
    return call("keras.Input", [], kwargs)


def _sequential_body(blocks, definition, source: str, values, refs, helpers) -> list[str]:
    nodes = {n["id"]: n for n in definition["nodes"]}
    pad = INDENT * 2
    lines = [f"{INDENT}return keras.Sequential([", f"{pad}{source},"]
    for nid in nested.chain_order(definition):
        lines.append(_make(blocks, nodes[nid], values[nid], refs, helpers, pad, "", ","))
    return [*lines, f"{INDENT}], name=name)"]


def _functional_body(blocks, definition, inputs, values, refs, helpers, local) -> list[str]:
    entries = nested.model_of(definition).get("inputs") or []
    names = [local.take((entries[i].get("name") if i < len(entries) else None) or f"x{i}")
             for i in range(len(inputs))]
    lines = [f"{INDENT}{var} = {text}" for var, text in zip(names, inputs, strict=True)]
    outputs: dict[str, list[str]] = {}
    for node, sources in block_code.wired(definition, names, outputs):
        count = _outputs(node, values[node["id"]])
        outputs[node["id"]] = [local.take(node["name"]), *(
            local.take(f"{node['name']}_out{i}") for i in range(1, count))]
        lines += _layer_lines(blocks, node, values[node["id"]], refs, helpers, sources,
                              outputs[node["id"]], local)
    out = definition["output"]
    result = outputs[out["node"]][out.get("port", 0)]
    lines.append(call("keras.Model", [], {"inputs": Code(pack(names)), "outputs": Code(result),
                                          "name": Code("name")}, INDENT, "return "))
    return lines


def _outputs(node, values) -> int:
    if node["kind"] == KIND:
        return 1
    spec = LAYER_SPECS[node["kind"]]
    return spec.outputs(spec.resolve(values))


def _layer_lines(blocks, node, values, refs, helpers, sources, outs, local) -> list[str]:
    """The statements of one inner node of a functional nested model."""
    kwargs = _kwargs(blocks, node, refs)
    if node["kind"] == KIND:
        block = node["params"]["block"]
        if nested.is_model_block(blocks, block):
            return instance_lines(helpers[block], kwargs, node["name"], sources, outs,
                                  INDENT, local)
        kwargs.pop("trainable", None)  # a plain block: its helper names its layers
        return [call(helpers[block], sources, {**kwargs, "name": node["name"]}, INDENT,
                     targets(outs))]
    spec = LAYER_SPECS[node["kind"]]
    resolved = spec.resolve(values)
    return [constructor(spec, kwargs, node["name"], INDENT, targets(outs),
                        call_suffix(spec, sources, resolved), resolved)]


def _make(blocks, node, values, refs, helpers, indent, prefix, suffix) -> str:
    """The expression making one inner node's layer (a helper call for a block)."""
    kwargs = _kwargs(blocks, node, refs)
    if node["kind"] == KIND:
        block = node["params"]["block"]
        kwargs.pop("trainable", None)
        if not nested.is_model_block(blocks, block):
            raise CodegenError(f"Block layer {node['name']!r} is a block that is not a nested "
                               "model; it cannot be one layer of a Sequential model")
        return call(helpers[block], [], {**kwargs, "name": node["name"]}, indent, prefix,
                    suffix)
    spec = LAYER_SPECS[node["kind"]]
    return constructor(spec, kwargs, node["name"], indent, prefix, suffix,
                       spec.resolve(values))


def _kwargs(blocks, node, refs) -> dict[str, Any]:
    kwargs = dict(block_code.inner_kwargs(blocks, node, refs))
    kwargs.pop("block", None)
    return kwargs


def instance_lines(helper: str, kwargs: Mapping[str, Any], name: str, sources: Sequence[str],
                   outputs: Sequence[str], indent: str, namer: Namer) -> list[str]:
    """`out = make_x(name=...)(inputs)`; a frozen model is made, frozen, then called."""
    kwargs = dict(kwargs)
    frozen = kwargs.pop("trainable", True) is False
    arg = pack(list(sources))
    if not frozen:
        return [call(helper, [], {**kwargs, "name": name}, indent, targets(outputs),
                     f"({arg})")]
    var = namer.take(f"{name}_model")
    return [call(helper, [], {**kwargs, "name": name}, indent, f"{var} = "),
            f"{indent}{var}.trainable = False",
            f"{indent}{targets(outputs)}{var}({arg})"]


def construct_lines(helper: str, kwargs: Mapping[str, Any], name: str, indent: str,
                    target: str) -> list[str]:
    """`target = make_x(name=...)` (and `target.trainable = False`): a model called at
    several places, made once."""
    kwargs = dict(kwargs)
    frozen = kwargs.pop("trainable", True) is False
    lines = [call(helper, [], {**kwargs, "name": name}, indent, f"{target} = ")]
    return lines + ([f"{indent}{target}.trainable = False"] if frozen else [])
