"""Helper functions for the document's own blocks, and the calls of their instances.

Each block definition becomes one function, `def conv_bn(x, filters=32, name=None)`,
whose layers are named `name + '_' + inner node name`, exactly like
`graph.userblocks.flatten` names them for the runtime, so both builds agree.
Exposed params become keyword arguments with the definition's defaults; an
instance passes only the values that differ from them. Nested blocks call the
helper of the inner block.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

from kerascanvas.graph import nested, userblocks
from kerascanvas.graph.layers.custom import KIND as CUSTOM
from kerascanvas.graph.layers.operations import is_operation
from kerascanvas.graph.layers.shared import OWNER_PARAM
from kerascanvas.graph.spec import APPLICATION, GENERIC, LAYER_SPECS, SHARED_CALL

from . import blocks as block_kinds
from .emit import INDENT, call_suffix, constructor, pack, targets
from .errors import CodegenError
from .literals import Code, call, literal
from .naming import RESERVED, Namer, argument, arguments

KIND = userblocks.KIND
# one object called at several places: a plain helper cannot make it once
_NOT_IN_HELPERS = frozenset({SHARED_CALL, APPLICATION})


def helper_names(blocks: Mapping[str, Any], used: list[str],
                 reserved: frozenset[str] = RESERVED) -> dict[str, str]:
    """Block name -> helper function name, for `used` blocks and those nested in them,
    each unique and none `reserved` (the module's other top-level names).

    The order is the order of definition in the module: inner blocks first. A nested-model
    block's helper makes the model: `make_<block>`.
    """
    order: list[str] = []

    def visit(name: str) -> None:
        if name in order:
            return
        if name not in blocks:
            raise CodegenError(f"No block definition named {name!r}")
        for node in blocks[name]["nodes"]:
            if node["kind"] == KIND:
                visit(node["params"].get("block"))
        order.append(name)

    for name in used:
        visit(name)
    namer = Namer(reserved)
    return {name: namer.take(f"make_{name}" if nested.is_model_block(blocks, name) else name)
            for name in order}


def helper_source(blocks: Mapping[str, Any], name: str, helpers: Mapping[str, str],
                  reserved: frozenset[str] = RESERVED, dtype: bool = False) -> str:
    """The `def` of block `name`'s helper; its variables keep clear of `reserved`.

    With `dtype` (mixed precision) it takes `output_dtype`, which the layers that leave
    the block are built with: one dtype, or a tuple of one per block output when it has
    several (`"float32"` where the block computes a model output, None follows the policy).
    """
    definition = blocks[name]
    n_in = len(definition["inputs"])
    args = ["x"] if n_in == 1 else [f"x{i}" for i in range(n_in)]
    spec = userblocks.bound_spec(blocks, name)
    exposed = {p.name: p.default for p in spec.params[1:]}
    own = [*args, *arguments(exposed), "name", *([OUTPUT_DTYPE] if dtype else [])]
    local = Namer(reserved | frozenset(helpers.values()) | frozenset(own))
    n_out = len(userblocks.output_refs(definition))
    signature = ", ".join([*args, *(f"{k}={literal(v)}" for k, v in arguments(exposed).items()),
                           "name=None", *([f"{OUTPUT_DTYPE}={literal(no_dtypes(n_out))}"]
                                          if dtype else [])])
    lines = [f"def {helpers[name]}({signature}):",
             f'{INDENT}"""{doc_line(definition, name)}"""',
             f"{INDENT}name = name or {literal(name)} + "
             f"str(keras.backend.get_uid({literal(name)}))"]
    lines += _body(blocks, definition, args, local, helpers, exposed,
                   leaving_dtypes(definition) if dtype else {})
    return "\n".join(lines) + "\n"


OUTPUT_DTYPE = "output_dtype"


def no_dtypes(count: int):
    """`output_dtype`'s default: None, or (None, ...) for a block of several outputs."""
    return None if count == 1 else (None,) * count


def leaving_dtypes(definition) -> dict[tuple[str, int], Code]:
    """(inner node id, port) -> the `output_dtype` expression its layer is built with, for
    the inner outputs that leave the block (the first block output where one leaves twice)."""
    refs = userblocks.output_refs(definition)
    found: dict[tuple[str, int], Code] = {}
    for i, ref in enumerate(refs):
        found.setdefault((ref["node"], ref.get("port", 0)),
                         Code(OUTPUT_DTYPE if len(refs) == 1 else f"{OUTPUT_DTYPE}[{i}]"))
    return found


def doc_line(definition, name: str) -> str:
    """The doc text made safe inside a triple-quoted docstring: one line, backslashes and
    quotes escaped (a final quote would end the string), no control characters (a NUL
    stops Python from compiling the file)."""
    text = str(definition.get("doc") or f"The user block {name}.")
    text = "".join(c if c.isprintable() else " " for c in text)
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _body(blocks, definition, args, local: Namer, helpers, exposed, dtypes) -> list[str]:
    refs = {(ref["node"], ref["param"]): Code(argument(key))
            for key, ref in definition.get("params", {}).items()}
    # each inner node's values with the exposed defaults applied, as inference sees them
    values = userblocks.inner_params(definition, exposed)
    outputs: dict[str, list[str]] = {}
    lines = []
    layers: dict[str, Any] = {}  # owner id -> its SharedLayer, once made
    chain = chained(blocks, definition, args)
    for node, sources in wired(definition, args, outputs):
        count = _block_outputs(blocks, node)
        outputs[node["id"]] = ["x" if args == ["x"] else local.chain()] \
            if node["id"] in chain else [local.take(node["name"]), *(
                local.take(f"{node['name']}_out{i}") for i in range(1, count))]
        owner = shared_owner(definition, node)
        if owner is not None:  # one layer object, called at each of its sites
            lines += _shared_call(blocks, definition, owner, node, sources, outputs[node["id"]],
                                  (refs, values, dtypes), layers, local)
            continue
        kwargs = {**inner_kwargs(blocks, node, refs), **dtype_kwargs(blocks, node, dtypes)}
        layer_name = Code(f"name + {literal('_' + node['name'])}")
        lines.append(_inner_line(blocks, node, kwargs, layer_name, sources,
                                 outputs[node["id"]], helpers, values[node["id"]]))
        lines += operation_cast(node, outputs[node["id"]][0], dtypes, INDENT)
    results = [outputs[out["node"]][out.get("port", 0)]
               for out in userblocks.output_refs(definition)]
    lines.append(f"{INDENT}return {pack(results)}")
    return lines


def shared_owner(definition, node) -> dict | None:
    """The inner node whose layer `node` calls when the block calls one layer at several
    sites (SharedCall nodes): the owner itself for the owner, None for a node not shared."""
    nodes = {n["id"]: n for n in definition["nodes"]}
    if node["kind"] == SHARED_CALL:
        return nodes.get(node["params"].get(OWNER_PARAM))
    called = any(n["kind"] == SHARED_CALL and n["params"].get(OWNER_PARAM) == node["id"]
                 for n in definition["nodes"])
    return node if called else None


def _shared_call(blocks, definition, owner, node, sources, outs, context, made, local
                 ) -> list[str]:
    """One call of a layer the block calls at several sites: the layer made at its first
    call (`<owner>_layer = layers.Dense(..., name=name + '_<owner>')`), then called with
    this site's own call keywords (`emb_layer(x, reverse=True)`), as the build inlines the
    block: one layer per instance, shared by its sites within the instance."""
    from .shared import SharedLayer, call_line, construct_line  # it imports this module

    refs, values, dtypes = context
    spec = LAYER_SPECS.get(owner["kind"])
    if spec is None or owner["kind"] in (KIND, APPLICATION, GENERIC) or spec.is_block \
            or spec.outputs(spec.resolve(values[owner["id"]])) > 1:
        raise CodegenError(f"Block layer {node['name']!r} calls {owner['name']!r} "
                           f"({owner['kind']}) again, which a plain block helper cannot write "
                           "yet: make the block a nested model, or keep the nodes outside "
                           "blocks")
    lines = []
    layer = made.get(owner["id"])
    if layer is None:
        kwargs = {**inner_kwargs(blocks, owner, refs), **dtype_kwargs(blocks, owner, dtypes)}
        layer = made[owner["id"]] = SharedLayer(
            Code(f"name + {literal('_' + owner['name'])}"), spec, kwargs,
            spec.resolve(values[owner["id"]]), local.take(f"{owner['name']}_layer"))
        lines.append(construct_line(layer, INDENT, layer.var))
    own = values[node["id"]] if node is owner else node.get("params", {})
    use = SimpleNamespace(inputs=list(sources), outputs=outs, params=own)
    return [*lines, call_line(layer, use, INDENT, layer.var)]


def chained(blocks, definition, args: list[str]) -> set[str]:
    """Inner node ids whose tensor the helper names `x`, as `codegen.chains` does in the
    model: one output, read by one wire only, by the next node called, and not returned.
    With one block input, `x` itself, a node takes it only once no later node reads the
    input."""
    order = userblocks.call_order(definition) or []
    readers = {nid: [e["dst"] for e in definition["edges"] if e["src"] == nid] for nid in order}
    returned = {ref["node"] for ref in userblocks.output_refs(definition)}
    fed = {t["node"] for ports in definition["inputs"] for t in ports}
    last_read = max((i for i, nid in enumerate(order) if nid in fed), default=-1) \
        if args == ["x"] else -1
    nodes = {n["id"]: n for n in definition["nodes"]}
    return {nid for i, (nid, after) in enumerate(zip(order, order[1:], strict=False))
            if readers[nid] == [after] and nid not in returned and i >= last_read
            and _block_outputs(blocks, nodes[nid]) == 1}


def wired(definition, args, outputs: dict[str, list[str]]):
    """Yield (inner node, its input variables) in call order, the block inputs being the
    variables `args`. The caller puts each node's output variables in `outputs[node id]`
    before it takes the next node."""
    feeds = {}
    for arg, ports in zip(args, definition["inputs"], strict=True):
        for t in ports:
            feeds[(t["node"], t.get("port", 0))] = arg
    nodes = {n["id"]: n for n in definition["nodes"]}
    for nid in userblocks.call_order(definition):
        for e in definition["edges"]:
            if e["dst"] == nid:
                feeds[(nid, e["dst_port"])] = outputs[e["src"]][e["src_port"]]
        yield nodes[nid], [feeds[k] for k in sorted(k for k in feeds if k[0] == nid)]


def inner_kwargs(blocks, node, refs) -> dict[str, Any]:
    spec = userblocks.bound_spec(blocks, node["params"].get("block")) if node["kind"] == KIND \
        else LAYER_SPECS[node["kind"]]
    kwargs = spec.non_default(node.get("params", {}))
    for p in spec.params:  # exposed params are passed through, in the spec's order
        if (node["id"], p.name) in refs:
            kwargs[p.name] = refs[(node["id"], p.name)]
    return {k: kwargs[k] for k in [p.name for p in spec.params] if k in kwargs}


def _block_outputs(blocks, node) -> int:
    """How many outputs an inner block instance has (an inner layer's extra ports are
    refused in `_inner_line`)."""
    if node["kind"] != KIND:
        return 1
    return len(userblocks.output_refs(blocks[node["params"].get("block")]))


def dtype_kwargs(blocks, node, dtypes: dict[tuple[str, int], Code]) -> dict[str, Any]:
    """The keyword that builds an inner node leaving the block with `output_dtype`: `dtype`
    for a layer or a built-in block's helper, `output_dtype` for an inner block's helper
    (also a nested model's; per port where it has several outputs). Operations take none."""
    if node["kind"] == KIND:
        ports = [dtypes.get((node["id"], p)) for p in range(_block_outputs(blocks, node))]
        if not any(ports):
            return {}
        return {OUTPUT_DTYPE: ports[0] if len(ports) == 1 else
                Code(f"({', '.join(str(p) for p in ports)})")}
    if (node["id"], 0) not in dtypes or is_operation(LAYER_SPECS[node["kind"]]):
        return {}
    return {"dtype": dtypes[(node["id"], 0)]}


def operation_cast(node, var: str, dtypes: dict[tuple[str, int], Code], indent: str,
                   prefixed: bool = True) -> list[str]:
    """Where an inner operation's result leaves the block, the lines that cast it to the
    caller's `output_dtype` (float32 where it is a model output under mixed precision; an
    operation has no layer to build with a dtype), named as the build names the cast
    (`<name>_<dtype>`, `operations.cast_name`; inside a nested model, which keeps the
    inner names, without the `name + ` prefix): `var` itself when the dtype is None."""
    dtype = dtypes.get((node["id"], 0))
    if dtype is None or node["kind"] == KIND or not is_operation(LAYER_SPECS[node["kind"]]):
        return []
    named = f"name + {literal('_' + node['name'] + '_')} + {dtype}" if prefixed \
        else f"{literal(node['name'] + '_')} + {dtype}"
    return [f"{indent}if {dtype} is not None:",
            f"{indent}{INDENT}{var} = named_op(keras.ops.cast({var}, {dtype}), {named})"]


def _inner_line(blocks, node, kwargs, layer_name, sources, outs, helpers, values) -> str:
    if node["kind"] == KIND:
        inner = kwargs.pop("block", node["params"].get("block"))
        return call(helpers[inner], sources, {**arguments(kwargs), "name": layer_name},
                    INDENT, targets(outs))
    if node["kind"] in block_kinds.HELPERS:  # a block kind: its helper, defined once
        return block_kinds.helper_call(node["kind"], sources[0], kwargs, layer_name, INDENT,
                                       targets(outs))
    spec = LAYER_SPECS[node["kind"]]
    if node["kind"] in _NOT_IN_HELPERS:
        raise CodegenError(f"Block layer {node['name']!r} ({spec.kind}) cannot be written in a "
                           "plain block helper, which makes new layers at each use: make the "
                           "block a nested model, or keep the node outside blocks")
    if spec.outputs(spec.resolve(values)) > 1 or spec.kind == GENERIC:
        raise CodegenError(f"Block layer {node['name']!r} ({spec.kind}) cannot be written in a "
                           "block helper yet: layers with several outputs or kept Keras "
                           "configs must stay outside blocks")
    resolved = spec.resolve(values)
    params = resolved if spec.kind == CUSTOM else None  # class written above
    return constructor(spec, kwargs, layer_name, INDENT, targets(outs),
                       call_suffix(spec, sources, resolved), params)


def instance_call(step, helpers: Mapping[str, str], indent: str, prefix: str) -> str:
    """`prefix + conv_bn(x, filters=64, name='blk')` for one instance node (with
    `output_dtype='float32'` where it computes a model output under mixed precision)."""
    kwargs = {k: v for k, v in step.kwargs.items() if k != "block"}
    block = step.params["block"]
    return call(helpers[block], list(step.inputs), {**arguments(kwargs), "name": step.name},
                indent, prefix)
