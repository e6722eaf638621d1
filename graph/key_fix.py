"""An attention layer's `key` left unwired below its attention-mask port, and the fix
that wires the value's tensor there. Pure.

MultiHeadAttention and GroupQueryAttention take query, value, key, then the attention
mask (`graph.layers.attention_mask`): ports are passed in order, so with the mask wired
the key must be wired too. Keras' own key, when none is given, is the value, so wiring
the value's tensor to the key computes what the user meant.
"""

from __future__ import annotations

from .document import Document, Edge
from .errors import DocumentError

FIX = "wire_key_from_value"
LABEL = "Wire the value's tensor to key (Keras' default key)"
KINDS = frozenset({"MultiHeadAttention", "GroupQueryAttention"})
VALUE, KEY = 1, 2


def applies(kind: str, port: int, connected) -> bool:
    """Whether the missing `port` of a `kind` node is the key, with the value wired."""
    return kind in KINDS and port == KEY and VALUE in connected


def wire_key_from_value(doc: Document, issue, stack) -> list[str]:
    """Wire the tensor on the issue's node's value port to its key port (one undoable
    step on the `graph.commands.UndoStack` `stack`)."""
    from . import commands as cmd

    value = [e for e in doc.in_edges(issue.node) if e.dst_port == VALUE]
    if not value or any(e.dst_port == KEY for e in doc.in_edges(issue.node)):
        raise DocumentError("The value is not wired, or the key is wired already")
    stack.push(cmd.Connect(doc, Edge(value[0].src, value[0].src_port, issue.node, KEY)))
    return [issue.node]
