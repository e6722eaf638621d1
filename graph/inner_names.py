"""Names torch cannot build inside a node: a '.' in the name of a layer with weights that a
block definition holds (at any depth), or that a wrapper holds (Bidirectional's `layer`,
Pipeline's `layers`, an RNN's `cell` or stack of `cells`). Pure.

torch registers a layer's weights under a path of the names of the layers holding them,
and refuses a '.' there: plain Keras on torch fails to build
`TimeDistributed(Dense(3, name="a.b"))`, `Pipeline([Dense(3, name="a.b")])` or a nested
model holding `Dense(3, name="a.b")` (KeyError: parameter name can't contain "."), as it
fails `Dense(3, name="a.b")` itself (`rules.name_issues`); `Pipeline([ReLU(name="a.b")])`
builds. Each issue is pinned to the node that holds the layer and names it; its fix
(`rename_inner`) renames that layer '_' for '.' where it is defined, in one undo step.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from typing import Any

from . import commands as cmd
from .document import Document, Node
from .errors import DocumentError, KerasCanvasError
from .inference import ERROR, Issue, NodeResult
from .layers import shared
from .layers.recurrent_cells import cell_spec
from .layers.wrapper_rules import chain
from .names import torch_name_problem, torch_safe_name
from .nested import is_model_block
from .spec import APPLICATION, USER_BLOCK, LayerSpec, get_spec
from .userblock_spec import inner_records

INNER_NAME_FIX = "rename_inner_torch_safe"
CODE = "torch_inner_name"
_FINDERS = {"layer": get_spec, "layers": get_spec, "cell": cell_spec, "cells": cell_spec}

Path = tuple  # keys and indices from a node's params (or a definition) to a named layer


def holds_inner_names(spec: LayerSpec) -> bool:
    """Whether nodes of `spec` can hold layers named by the user: blocks and wrappers."""
    return spec.kind == USER_BLOCK or any(p.type in _FINDERS for p in spec.params)


def inner_name_issues(doc: Document, node: Node, result: NodeResult | None) -> list[Issue]:
    """The issues of the layers `node` holds whose names torch refuses, one per layer."""
    if result is None or not result.ok or result.params is None or not _has_dotted_name(
            doc.blocks if node.kind == USER_BLOCK else result.params):
        return []  # the common case: no layer named with a '.', nothing counted or traced
    try:
        found = list(_dotted(doc, node.kind, result.params, result.input_shapes,
                             result.count))
    except (KerasCanvasError, KeyError, IndexError, TypeError):
        return []  # inference reports why the node cannot be traced
    return [_issue(node, block, path, name, kind) for block, path, name, kind in found]


def _has_dotted_name(value: Any) -> bool:
    """Whether a "name" holding a '.' is anywhere in `value` (params, definitions)."""
    if isinstance(value, Mapping):
        name = value.get("name")
        return (isinstance(name, str) and "." in name) or any(
            _has_dotted_name(v) for v in value.values() if isinstance(v, Mapping | list))
    if isinstance(value, list):
        return any(_has_dotted_name(v) for v in value if isinstance(v, Mapping | list))
    return False


def _issue(node: Node, block: str | None, path: Path, name: str, kind: str) -> Issue:
    where = f"block {block}" if block else f"its {_where(path)}"
    message = (f"{node.name!r} ({node.kind}): the layer {name!r} ({kind}) in {where}: "
               f"{torch_name_problem(name)}")
    data = {"block": block, "path": json.dumps(path), "field": None if block else path[0]}
    return Issue(node.id, None, ERROR, message, CODE, (INNER_NAME_FIX,), data)


def _where(path: Path) -> str:
    """`layers[1]`, `cell.cells[0]`: where a wrapper's inner layer sits among its params."""
    text = str(path[0])
    for key in path[1:]:
        text += f"[{key}]" if isinstance(key, int) else "" if key == "params" else f".{key}"
    return text


def _dotted(doc: Document, kind: str, resolved: Mapping[str, Any], inputs,
            count) -> Iterator[tuple[str | None, Path, str, str]]:
    """(definition or None, path, name, kind) of each weighted layer held with a '.'."""
    if kind == USER_BLOCK:
        yield from _in_block(doc, resolved, inputs)
        return
    yield from ((None, path, name, inner_kind)
                for path, name, inner_kind in _in_wrapper(get_spec(kind), resolved, inputs,
                                                          count))


def _in_block(doc: Document, resolved: Mapping[str, Any], inputs) -> Iterator:
    name = resolved["block"]
    definition = doc.blocks[name]
    index = {n["id"]: i for i, n in enumerate(definition["nodes"])}
    nodes = {n["id"]: n for n in definition["nodes"]}
    for nid, params, ins, count in inner_records(doc.blocks, resolved, list(inputs)):
        node = nodes[nid]
        at = ("nodes", index[nid])
        if _named_as_layer(doc, node) and _weighted(count) \
                and torch_name_problem(node["name"]):
            yield name, at, node["name"], node["kind"]
        if node["kind"] == USER_BLOCK:
            yield from _in_block(doc, params, ins)
        elif node["kind"] != shared.KIND:  # a shared call builds no layer of its own
            for path, inner, inner_kind in _in_wrapper(get_spec(node["kind"]), params, ins,
                                                       count):
                yield name, (*at, "params", *path), inner, inner_kind


def _named_as_layer(doc: Document, node: Mapping[str, Any]) -> bool:
    """A nested model (an application, a model block) is built under Keras' default name,
    then named: its own name may hold a '.' (`rules.name_issues`)."""
    block = node.get("params", {}).get("block")
    return node["kind"] not in (APPLICATION, shared.KIND) and not (
        node["kind"] == USER_BLOCK and is_model_block(doc.blocks, block))


def _weighted(count) -> bool:
    """Whether a layer holds weights: some counted, or a count that is unknown."""
    return count is None or None in count or any(count)


def _in_wrapper(spec: LayerSpec, resolved: Mapping[str, Any], inputs,
                count) -> Iterator[tuple[Path, str, str]]:
    """(path, name, kind) of each inner layer with weights named with a '.'. A wrapper's
    one layer or cell holds all its weights; a Pipeline's layers are counted one by one."""
    for p in spec.params:
        value = resolved.get(p.name)
        if p.type in ("layer", "cell") and isinstance(value, Mapping):
            yield from _named(((p.name,), value), _weighted(count))
        elif p.type == "layers" and isinstance(value, list):
            shapes = chain(resolved, list(inputs))
            for i, (layer, shape) in enumerate(zip(value, shapes, strict=False)):
                inner = get_spec(layer["kind"])
                counted = inner.count(inner.resolve(layer["params"]), [shape])
                yield from _named(((p.name, i), layer), _weighted(counted))
        elif p.type == "cells" and isinstance(value, list):
            for i, cell in enumerate(value):
                yield from _named(((p.name, i), cell), _weighted(count))


def _named(item: tuple[Path, Mapping[str, Any]], weighted: bool) -> Iterator:
    """The item, and the cells of a stack of cells (each holds weights when it does)."""
    path, layer = item
    if weighted and torch_name_problem(layer.get("name")):
        yield path, layer["name"], layer["kind"]
    cells = layer.get("params", {}).get("cells")
    if isinstance(cells, list):
        for i, cell in enumerate(cells):
            yield from _named(((*path, "params", "cells", i), cell), weighted)


# ---- the fix ---------------------------------------------------------------------
def rename_inner(doc: Document, issue, stack: cmd.UndoStack) -> list[str]:
    """Rename the layer the issue names '_' for '.', unique among its siblings: in its block
    definition (every instance follows) or in the wrapper node's param."""
    from .userblock_library import SetBlockDefinition

    node, block = doc.node(issue.node), issue.data.get("block")
    path = tuple(json.loads(issue.data["path"]))
    if block is not None:
        definition = copy.deepcopy(doc.blocks[block])
        _rename_at(definition, path)
        stack.push(SetBlockDefinition(doc, block, definition))
        return [node.id]
    value = copy.deepcopy(node.spec.resolve(node.params)[path[0]])
    _rename_at({path[0]: value}, path)
    stack.push(cmd.SetParam(doc, node.id, path[0], value))
    return [node.id]


def _rename_at(root: Any, path: Path) -> None:
    try:
        parent = root
        for key in path[:-1]:
            parent = parent[key]
        layer = parent[path[-1]]
    except (KeyError, IndexError, TypeError):
        raise DocumentError(f"No layer at {_where(path)} any more") from None
    if torch_name_problem(layer.get("name")) is None:
        raise DocumentError(f"The layer at {_where(path)} has a name torch builds already")
    siblings = parent if isinstance(parent, list) else [layer]
    names = {item.get("name") for item in siblings if isinstance(item, Mapping)}
    layer["name"] = torch_safe_name(layer["name"], names.__contains__)
