"""User-defined blocks: a sub-graph saved once in `doc.blocks`, placed as instance nodes.

A definition is plain JSON in the project file's "blocks" section::

    "blocks": {"conv_bn": {
        "nodes":  [{"id": "n2", "kind": "Conv2D", "name": "conv", "params": {...}}, ...],
        "edges":  [{"src": "n2", "src_port": 0, "dst": "n3", "dst_port": 0}, ...],
        "inputs": [[{"node": "n2", "port": 0}]],      # per block input: inner ports it feeds
        "output": {"node": "n4", "port": 0},          # the inner output that leaves the block
                                # (or "outputs": [{...}, ...], one per instance output port)
        "params": {"filters": {"node": "n2", "param": "filters", "default": 32}},
        "doc": "Conv, batch norm, ReLU"}}

An instance is a node of kind "UserBlock" with params {"block": "conv_bn", "filters": 64}
(exposed params left out take the definition's default). Instances share the
definition, so editing it (`userblock_commands.SetBlockDefinition`) changes every instance.

The table entry "UserBlock" cannot know a document's definitions, so inference
asks `bound_spec(doc.blocks, name)` (`graph.userblock_spec`) for a LayerSpec made from
the definition: its params are "block" plus the exposed params (typed like the inner
params they set), and its shape and count rules run the inner nodes' own rules in order
(`graph.userblock_trace`). Runtime and codegen inline instances the same way: inner
layers are named f"{instance}_{inner}" (`flatten`, `graph.userblock_inline`), nested
blocks give f"{outer}_{inner}_{leaf}". Their public names are importable here too.

Shared layers (SharedCall nodes calling an inner node) and keras.applications bases may
sit inside nested-model blocks; `graph.blockcheck` holds the checks of a definition.

Making a block from a selection, editing definitions and the block library are
undoable commands in `graph.userblock_commands`.
"""

from __future__ import annotations

import copy

from .blockcheck import (  # noqa: F401 - the checks' public names, kept importable here
    BlockDefinitionError,
    call_order,
    check_definition,
    output_refs,
    returns_list,
    with_outputs,
)
from .document import Document
from .spec import USER_BLOCK, LayerSpec
from .userblock_inline import flatten, model_document  # noqa: F401 - public here too
from .userblock_spec import (  # noqa: F401 - public here too
    UnboundSpec,
    bind_in,
    blocks_key,
    bound_spec,
)
from .userblock_trace import InnerNode, inner_nodes, inner_params  # noqa: F401 - public here too

KIND = USER_BLOCK


def definition_of(doc: Document, name: str) -> dict:
    """A deep copy of a definition (editors change the copy, then `SetBlockDefinition`)."""
    return copy.deepcopy(doc.blocks[name])


def instances(doc: Document, name: str) -> list[str]:
    """Ids of the document's nodes that are instances of block `name`."""
    return [n.id for n in doc.nodes.values()
            if n.kind == KIND and n.params.get("block") == name]


def bind(doc: Document, node) -> LayerSpec:
    """The spec inference uses for `node`: bound to a definition for UserBlock nodes, to
    the owner's rules for SharedCall nodes."""
    return bind_in(doc.blocks, doc.nodes, node)


def spec_for_display(doc: Document, node) -> LayerSpec:
    """`bind`, or the plain table entry when the definition or owner is missing or broken
    (views still need ports and editors for a node whose definition fails validation)."""
    try:
        return bind(doc, node)
    except Exception:  # noqa: BLE001 - the issue itself is reported by validation
        return node.spec

