"""CustomLayer nodes inside block definitions: found in the project's JSON, by block."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

KIND = "CustomLayer"


@dataclass(frozen=True)
class BlockNode:
    """A CustomLayer inside the block definition `block` (named `block.name` in messages)."""

    id: str
    name: str
    params: dict
    block: str
    kind: str = KIND


def block_custom_nodes(blocks: Mapping[str, Any]) -> list[BlockNode]:
    """The CustomLayer nodes of every block definition."""
    found = []
    for block, definition in blocks.items():
        for node in _nodes(definition):
            if node.get("kind") == KIND:
                params = node.get("params")
                found.append(BlockNode(node.get("id", ""), f"{block}.{node.get('name')}",
                                       params if isinstance(params, dict) else {}, block))
    return found


def _nodes(definition: Any) -> list[dict]:
    """A block definition's node entries; nothing for a malformed definition (checked and
    reported where the project is read)."""
    nodes = definition.get("nodes") if isinstance(definition, dict) else None
    return [n for n in nodes if isinstance(n, dict)] if isinstance(nodes, list) else []


def _block_param(node: dict) -> Any:
    params = node.get("params")
    return params.get("block") if isinstance(params, dict) else None


def blocks_with_custom(blocks: Mapping[str, Any]) -> set[str]:
    """Names of the definitions that hold a CustomLayer, directly or in a nested block."""
    return blocks_holding(blocks, {n.block for n in block_custom_nodes(blocks)})


def blocks_holding(blocks: Mapping[str, Any], inner: set[str]) -> set[str]:
    """`inner` and the names of the definitions that use one of them, however nested."""
    found = set(inner)
    grew = True
    while grew:
        uses = {name for name, d in blocks.items() if any(
            n.get("kind") == "UserBlock" and _block_param(n) in found for n in _nodes(d))}
        grew = not uses <= found
        found |= uses
    return found


def custom_users(doc) -> list[str]:
    """Ids of the document's nodes whose analysis reads custom code: CustomLayer nodes, and
    instances of blocks that hold one (to re-analyse when trust or Keras' answers change)."""
    holding = blocks_with_custom(doc.blocks) if doc.blocks else set()
    return [n.id for n in doc.nodes.values() if n.kind == KIND or (
        n.kind == "UserBlock" and n.params.get("block") in holding)]


