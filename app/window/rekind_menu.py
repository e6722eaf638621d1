"""The node menu's entries that change what a node is (`graph.rekind`): Change To ›
(GRU for an LSTM), Wrap In › (Bidirectional), and Unwrap; and a wrapper dragged from
the palette onto a layer it can hold wraps that layer. Each is one undoable step; the
node keeps its name, wires and output slots, and stays selected."""

from __future__ import annotations

from PySide6 import QtCore

from ...graph import rekind
from ..canvas.nodes import LayerNodeItem


def add_rekind_actions(window, menu, ids: list[str]) -> None:
    """The entries for the one selected node, where it has any; then a separator."""
    if len(ids) != 1 or ids[0] not in window.doc.nodes:
        return
    node_id, doc = ids[0], window.doc
    results = window.analysis.results
    added = False
    for title, kinds, fn in (("Change &To", rekind.kind_choices(doc, node_id, results),
                              rekind.change_kind),
                             ("&Wrap In", rekind.wrap_choices(doc, node_id, results),
                              rekind.wrap)):
        if not kinds:
            continue
        sub = menu.addMenu(title)
        sub.setObjectName(title.replace("&", "").lower().replace(" ", "_"))
        for kind in kinds:
            action = sub.addAction(kind)
            action.triggered.connect(
                lambda _=False, fn=fn, kind=kind: _apply(window, fn, node_id, kind))
        added = True
    if rekind.can_unwrap(doc, node_id):
        inner = doc.nodes[node_id].params["layer"]["kind"]
        action = menu.addAction(f"&Unwrap ({inner})")
        action.triggered.connect(lambda: _apply(window, rekind.unwrap, node_id))
        added = True
    if added:
        menu.addSeparator()


def _apply(window, fn, node_id: str, *args) -> None:
    """Run the change on the window's document and keep the node selected."""
    window._guarded(fn, window.doc, node_id, *args, window.stack)
    if node_id in window.doc.nodes:
        window.canvas.select([node_id])


def wrap_on_drop(window, kind: str, scene_pos: tuple[float, float]) -> bool:
    """Wrap the node under a palette drop in `kind`, when `kind` is a wrapper that can
    hold it there; False (nothing done) otherwise, and the drop adds a node as usual."""
    if kind not in rekind.WRAP_KINDS:
        return False
    node_id = _node_at_scene(window.canvas, scene_pos)
    if node_id is None or kind not in rekind.wrap_choices(window.doc, node_id,
                                                          window.analysis.results):
        return False
    _apply(window, rekind.wrap, node_id, kind)
    return True


def _node_at_scene(canvas, scene_pos) -> str | None:
    for item in canvas.viewer.scene().items(QtCore.QPointF(*scene_pos)):
        while item is not None and not isinstance(item, LayerNodeItem):
            item = item.parentItem()
        if item is not None and item.id in canvas.views:
            return item.id
    return None
