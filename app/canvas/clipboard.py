"""Copy and paste of a selection as project-file JSON (so it works between windows)."""

from __future__ import annotations

import json

from ...graph import commands as cmd
from ...graph import projectfile
from ...graph.document import Document, Edge
from ...graph.errors import KerasCanvasError, ProjectFileError
from ...graph.placement import beside, bounding_box, free_shift

CLIPBOARD_MIME = "application/x-kerascanvas-project+json"
PASTE_OFFSET = (40.0, 40.0)


def selection_json(doc: Document, node_ids) -> str:
    """The selected nodes, the edges between them and their positions, as a project file."""
    keep = set(node_ids)
    part = Document()
    for nid, node in doc.nodes.items():
        if nid in keep:
            part.add_node(node.kind, node.name, node.params, node_id=nid)
            pos = doc.position(nid)
            if pos is not None:
                part.set_position(nid, pos)
    for e in doc.edges:
        if e.src in keep and e.dst in keep:
            part.connect(e)
    part.outputs = [o for o in doc.outputs if doc.output_ref(o)[0] in keep]
    return projectfile.dumps(part)


def paste_json(doc: Document, stack: cmd.UndoStack, text: str,
               at: tuple[float, float] | None = None) -> list[str]:
    """Add the nodes of a copied selection with fresh ids and names; returns the new ids.

    Positions keep their arrangement: shifted so the group's corner lands on `at` (the
    cursor), or beside the originals when `at` is None, and further across the graph
    when that would cover a node. One undoable step.

    Raises:
        ProjectFileError: the text is not a copied selection.
    """
    part = projectfile.loads(text)
    shift = _shift(doc, part, at)
    new_ids: dict[str, str] = {}
    with stack.macro("Paste"):
        for nid, node in part.nodes.items():
            pos = part.position(nid)
            pos = None if pos is None else (pos[0] + shift[0], pos[1] + shift[1])
            added = stack.push(cmd.AddNode(doc, node.kind, doc.next_name(node.name),
                                           params=node.params, pos=pos))
            new_ids[nid] = added.id
        for e in part.edges:
            stack.push(cmd.Connect(doc, Edge(new_ids[e.src], e.src_port,
                                             new_ids[e.dst], e.dst_port)))
    return list(new_ids.values())


def _shift(doc: Document, part: Document, at) -> tuple[float, float]:
    """At the cursor (the group's corner on `at`), else beside the originals; either way
    moved on across the graph until it covers no node."""
    group = {n: p for n in part.nodes if (p := part.position(n)) is not None}
    if not group:
        return PASTE_OFFSET
    if at is None:
        return beside(doc, group)
    corner = bounding_box(group)
    return free_shift(doc, group, (at[0] - corner[0], at[1] - corner[1]))


def delete_nodes(doc: Document, stack: cmd.UndoStack, node_ids) -> None:
    """Remove nodes with their edges as one undoable step."""
    ids = [n for n in node_ids if n in doc.nodes]
    if ids:
        stack.push(cmd.RemoveNodes(doc, ids))


def parse_clipboard(text: str) -> str | None:
    """The text if it looks like a copied selection, else None (pasting plain text is a no-op)."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return text if isinstance(data, dict) and data.get("format") == projectfile.FORMAT else None


__all__ = ["CLIPBOARD_MIME", "KerasCanvasError", "ProjectFileError", "delete_nodes",
           "parse_clipboard", "paste_json", "selection_json"]
