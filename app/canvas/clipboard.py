"""Copy and paste of a selection as project-file JSON (so it works between windows)."""

from __future__ import annotations

import json
from collections.abc import Mapping

from ...graph import commands as cmd
from ...graph import projectfile
from ...graph.document import Document, Edge
from ...graph.errors import KerasCanvasError, ProjectFileError
from ...graph.placement import NODE_SIZE, Measure, Size, beside, bounding_box, free_shift

CLIPBOARD_MIME = "application/x-kerascanvas-project+json"


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
               at: tuple[float, float] | None = None, measure: Measure | None = None,
               sizes: Mapping[str, Size] | None = None,
               origins: dict[str, str] | None = None) -> list[str]:
    """Add the nodes of a copied selection with fresh ids and names; returns the new ids,
    and fills `origins`, when given, with each new id -> the id of the node it copies.

    Positions keep their arrangement: shifted so the group's corner lands on `at` (the
    cursor), or beside the originals when `at` is None, and further across the graph
    when that would cover a node. Nodes are taken at `sizes` (as drawn; a copy at its
    original's), and once the copies are wired, at the sizes `measure` gives them: where
    those call for another place, the copies move there in the same undoable step.

    Raises:
        ProjectFileError: the text is not a copied selection.
    """
    part = projectfile.loads(text)
    sizes = _roomy(sizes or {})
    # keyed apart from the document's ids: a copy from another window may reuse them
    group = {COPY + n: p for n in part.nodes if (p := part.position(n)) is not None}
    guessed = {**sizes, **{COPY + n: sizes[n] for n in part.nodes if n in sizes}}
    shift = _shift(doc, group, at, guessed) if group else (0.0, 0.0)
    new_ids: dict[str, str] = {}
    with stack.macro("Paste"):
        for nid, node in part.nodes.items():
            pos = part.position(nid)
            pos = None if pos is None else (pos[0] + shift[0], pos[1] + shift[1])
            added = stack.push(cmd.AddNode(doc, node.kind, doc.next_name(node.name),
                                           params=node.params, pos=pos))
            new_ids[nid] = added.id
            if origins is not None:
                origins[added.id] = nid
        # No pasted wire can close a cycle, so none is checked (a walk from each one's end,
        # 192 on a ResNet50): every pasted wire joins two pasted nodes, which are new and
        # have no other wires, so a cycle through one would lie within the pasted part,
        # and `loads` refused a part with a cycle.
        for e in part.edges:
            stack.push(cmd.Connect(doc, Edge(new_ids[e.src], e.src_port,
                                             new_ids[e.dst], e.dst_port), check_cycle=False))
        if group and measure:
            pasted = {new_ids[n[len(COPY):]]: p for n, p in group.items()}
            measured = _roomy(measure(list(new_ids.values())))
            _place_measured(doc, stack, pasted, at, shift, {**sizes, **measured})
    return list(new_ids.values())


COPY = "\0copy:"


def _roomy(sizes: Mapping[str, Size]) -> dict[str, Size]:
    """Sizes no smaller than `NODE_SIZE`: a copy keeps at least the room beside its
    originals it always had (the skip wires a column's side routes run there), and more
    where a node is drawn larger, so that nothing is covered."""
    return {n: (max(w, NODE_SIZE[0]), max(h, NODE_SIZE[1])) for n, (w, h) in sizes.items()}


def _place_measured(doc, stack, group, at, shift, sizes) -> None:
    """Move the pasted `group` (new id -> copied position) where its measured `sizes` put
    it, if that is not where it was shifted to."""
    again = _shift(doc, group, at, sizes)
    if max(abs(again[0] - shift[0]), abs(again[1] - shift[1])) > 0.5:
        stack.push(cmd.Move(doc, {n: (p[0] + again[0], p[1] + again[1])
                                  for n, p in group.items()}))


def _shift(doc: Document, group, at, sizes) -> tuple[float, float]:
    """At the cursor (the group's corner on `at`), else beside where it was copied from;
    either way moved on across the graph until it covers no node."""
    if at is None:
        return beside(doc, group, sizes)
    corner = bounding_box(group, sizes)
    return free_shift(doc, group, (at[0] - corner[0], at[1] - corner[1]), sizes)


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
