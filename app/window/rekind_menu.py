"""The node menu's entries that change what a node is (`graph.rekind`): Change To ›
(GRU for an LSTM), Wrap In › (Bidirectional), and Unwrap. Each entry is one undoable
step; the node keeps its name, wires and output slots, and stays selected."""

from __future__ import annotations

from ...graph import rekind


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
