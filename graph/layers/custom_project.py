"""The custom code of a whole document: its CustomLayer nodes (those inside block
definitions too), class names two nodes define differently, and the digests the
trust store keys a project by.
"""

from __future__ import annotations

import hashlib
from typing import Any

from .custom_blocks import KIND, block_custom_nodes, blocks_holding
from .custom_context import code_digest
from .custom_source import DEFAULT_PACKAGE


def custom_nodes(doc, blocks: bool = True) -> list:
    """The CustomLayer nodes of a document, in document order, then (with `blocks`) those
    inside its block definitions (`BlockNode`s: their code is the project's too)."""
    top = [n for n in doc.nodes.values() if n.kind == KIND]
    return top + block_custom_nodes(doc.blocks) if blocks and doc.blocks else top


def class_conflicts(doc) -> list[tuple[str, str]]:
    """(node id, message) for each CustomLayer whose class name an earlier node defines
    with other code or another package: one name, one class, in Keras' registry too."""
    first: dict[str, Any] = {}
    found = []
    for node in custom_nodes(doc, blocks=False):  # codegen checks those inside blocks
        name = node.params.get("class_name")
        if not isinstance(name, str):  # refused as a parameter, with its own message
            continue
        other = first.setdefault(name, node)
        if other is not node and _definition(other) != _definition(node):
            found.append((node.id, f"{node.name!r} (CustomLayer): class {name} is also "
                          f"defined by {other.name!r} with other code or another package; "
                          "give one of them another class name"))
    return found


def script_name_clashes(doc) -> list[tuple[str, str]]:
    """(node id, message) for each CustomLayer whose class takes a name of the generated
    code's own (`script_names`): the model builds and trains here, but generating code
    refuses it, so it is said as soon as the name is given. One inside a block definition
    is said at each block instance (UserBlock) that holds it, however nested."""
    from ..script_names import taken

    found = [(node.id, f"{node.name!r} (CustomLayer): class_name {name!r} {_TAKEN}")
             for node in custom_nodes(doc, blocks=False)
             if isinstance(name := node.params.get("class_name"), str) and taken(name)]
    for inner in block_custom_nodes(doc.blocks) if doc.blocks else []:
        name = inner.params.get("class_name")
        if not (isinstance(name, str) and taken(name)):
            continue
        holding = blocks_holding(doc.blocks, {inner.block})
        found += [(node.id, f"{node.name!r} (UserBlock {node.params.get('block')!r}): its "
                            f"CustomLayer {inner.name!r}: class_name {name!r} {_TAKEN} in "
                            f"block {inner.block!r}")
                  for node in doc.nodes.values()
                  if node.kind == "UserBlock" and node.params.get("block") in holding]
    return found


_TAKEN = ("is a name the generated code uses itself; code export and training scripts "
          "refuse it. Rename the class")


def _definition(node) -> tuple:
    return (node.params.get("source", ""), node.params.get("package", DEFAULT_PACKAGE))


def code_digests(doc) -> set[str]:
    """The digest of each piece of custom code in `doc`: every CustomLayer's class, and
    the training settings' custom losses and metrics (`graph.training_code`)."""
    from ..training_code import digest

    found = {code_digest(n.params) for n in custom_nodes(doc)}
    training = digest(doc.training)
    return found | {training} if training else found


def has_code(doc) -> bool:
    """Whether `doc` holds custom code to trust: a CustomLayer, or training code."""
    from ..training_code import digest

    return bool(custom_nodes(doc)) or digest(doc.training) is not None


def project_digest(doc) -> str | None:
    """One digest of all the custom code of `doc` (None when it has none).

    The trust store keys a project by its path and this digest.
    """
    digests = sorted(code_digests(doc))
    if not digests:
        return None
    return hashlib.sha256("\n".join(digests).encode("ascii")).hexdigest()
