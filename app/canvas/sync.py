"""The canvas items kept equal to the document: its events add, remove, wire and move them.

Node items carry the document's node id, so no id mapping is kept. A load
(`rebuild`) makes every item before any is placed in the scene, fills in the
analysis once, lays the nodes out if the file has no positions, and only then
adds the items and their pipes: nothing is drawn or moved twice. A bulk edit (a
paste, a delete of many) holds its wiring until it is complete (`_Edit`).
"""

from __future__ import annotations

from PySide6 import QtCore

from ...graph import events as ev
from ...graph.document import Edge
from ...graph.layout import layered_layout
from ...graph.layout_labels import label_widths
from ...graph.userblocks import spec_for_display
from .node_style import CATEGORY_COLORS
from .nodes import LayerNodeItem
from .pipes import batched_pipes, connect_ports, draw_as_copies, reroute_near
from .render import wanted_ports
from .retired import RetiredItems, bring_back_wires, wires
from .view import apply_detail


class DocumentSync:
    """Mixed into `Canvas`: its node items and pipes follow the document's events."""

    def _follow(self, events) -> None:
        """Items follow the document's edits; texts and marks follow the analysis."""
        self._moving = None  # pipes wait here while a burst of moves lands
        self._bulk: _Edit | None = None  # during a bulk edit: what waits for its end
        self._selection_stale = False  # selected nodes were deleted: tell, once
        self._retired = RetiredItems()  # the items the last edit removed, for its undo
        self._edits = 0
        events.node_added.connect(self._on_node_added)
        events.node_removed.connect(self._on_node_removed)
        events.edge_added.connect(self._on_edge_changed)
        events.edge_removed.connect(self._on_edge_changed)
        events.param_changed.connect(self._on_param_changed)
        events.node_moved.connect(self._on_node_moved)
        events.reset.connect(self._on_reset)
        events.analysis_changed.connect(self._on_analysis_changed)
        events.bulk_started.connect(self._on_bulk_started)
        events.bulk_finished.connect(self._on_bulk_finished)

    def _on_analysis_changed(self, event: ev.Event) -> None:
        self.renderer.schedule()

    def _on_bulk_started(self, event: ev.BulkStarted) -> None:
        """Hold the wiring of one edit's nodes until it is complete: a paste of n nodes then
        syncs their pipes in one pass, each drawn once, not n passes over all edges."""
        self._edits += 1
        self._bulk = _Edit()
        self.viewer.hold_selection()  # deleted selected nodes: the wires follow once

    def _on_bulk_finished(self, event: ev.BulkFinished) -> None:
        bulk, self._bulk = self._bulk, None
        if bulk is not None:
            try:
                self._retired.settle(bulk.loose)
                for node_id in bulk.revived:  # their ports as the edit left their nodes
                    self._sync_ports(node_id, wire=False)
                bring_back_wires([self.views[n] for n in bulk.revived if n in self.views],
                                 self._wanted_pipe, self.viewer.detail, self.viewer.labels)
                self.sync_pipes(bulk.touched)
                if bulk.added:  # sized by their texts before their pipes are drawn, not after
                    self.renderer.render()
            finally:
                bulk.pipes.__exit__(None, None, None)
                self.viewer.release_selection()

    def pasted(self, origins: dict[str, str]) -> None:
        """The nodes of `origins` (a new id -> the id it is a copy of) were pasted: in the
        batch of pipes under way, their wires are drawn as their originals' shifted, where
        routing them would give that shape (`pipes.draw_as_copies`)."""
        views = self.views
        draw_as_copies({views[new]: views[old] for new, old in origins.items()
                        if new in views and old in views})

    def _wanted_pipe(self, pipe) -> bool:
        edge = self._edge_of(pipe.output_port, pipe.input_port)
        return edge in self.doc.graph_index().ins.get(edge.dst, ())

    def _on_node_added(self, event: ev.NodeAdded) -> None:
        item = self._revive(event.node)
        if item is None:
            item = self._make_item(event.node)
        elif self._bulk is not None:
            self._bulk.revived.append(event.node)
        pos = self.doc.position(event.node) or self.scene_center()
        self._place(item, pos)
        reroute_near(item, item.scene())  # it may stand in the way of wires
        self.sync_pipes({event.node})
        if self._bulk is not None:
            self._bulk.added.append(event.node)

    def _on_node_removed(self, event: ev.NodeRemoved) -> None:
        item = self.views.pop(event.node, None)
        if item is not None:
            if item.isSelected() and not self._selection_stale:
                # Qt says nothing when a selected item leaves the scene: the properties
                # kept offering the deleted nodes. Once for a burst of deletes.
                self._selection_stale = True
                QtCore.QTimer.singleShot(0, self._emit_selection)
            scene = item.scene()
            if self._bulk is None:
                self._edits += 1
                self._drop_item(item)
            else:  # its wires wait for the edit's end: those to other removed items stay
                self._bulk.loose.update(wires(item))
                if scene is not None:
                    scene.removeItem(item)
            if scene is not None:  # wires that went around it may run straight now
                reroute_near(item, scene)
            self._retired.keep(self._edits, event.node, item, event.removed.kind,
                               self.renderer.shown(event.node))
        self.renderer.forget(event.node)

    def _revive(self, node_id: str) -> LayerNodeItem | None:
        """The kept item of `node_id` (see `retired`), its ports as the node's now; in a
        bulk edit as its node's at the edit's end. A redo of a paste adds each merge node
        before its wires: its ports were cut to those of an unwired node, then grown back,
        and each resize routed its wires again (48 wires of a pasted ResNet50)."""
        kept = self._retired.take(node_id, self.doc.nodes[node_id].kind)
        if kept is None:
            return None
        item, shown = kept
        self.views[node_id] = item
        self.renderer.remember(node_id, shown)  # its texts are drawn: compared, not redone
        if self._bulk is None:
            self._sync_ports(node_id, wire=False)
        return item

    def _emit_selection(self) -> None:
        self._selection_stale = False
        self.selection_changed.emit(self.selected_ids())

    def _on_edge_changed(self, event: ev.EdgeAdded | ev.EdgeRemoved) -> None:
        self.sync_pipes({event.edge.src, event.edge.dst})

    def _on_param_changed(self, event: ev.ParamChanged) -> None:
        self._sync_ports(event.node)

    def _on_node_moved(self, event: ev.NodeMoved) -> None:
        item, pos = self.views.get(event.node), event.pos
        if item is not None and pos is not None and (item.x(), item.y()) != tuple(pos):
            if self._moving is None:  # the first move of a burst: redraw pipes after it
                self._moving = batched_pipes()
                self._moving.__enter__()
                QtCore.QTimer.singleShot(0, self.flush_pipes)
            item.setPos(pos[0], pos[1])

    def flush_pipes(self) -> None:
        """Redraw the pipes of the nodes moved since the last flush."""
        moving, self._moving = self._moving, None
        if moving is not None:
            moving.__exit__(None, None, None)

    def _on_reset(self, event: ev.Reset) -> None:
        had = bool(self.viewer.selected_nodes())
        self.rebuild()
        if had:  # the selected items went with the old document, unreported by Qt's scene
            self.selection_changed.emit(self.selected_ids())

    def rebuild(self) -> None:
        """Drop every item and draw the whole document again (after a load).

        Nodes without a stored position are laid out in layers when no node has
        one (a file written by hand or by a script), else placed at the view centre.
        """
        for item in self.views.values():
            self._drop_item(item)
        self.views.clear()
        self._retired.clear()
        self.renderer.forget_all()
        for node_id in self.doc.nodes:
            self._make_item(node_id)
        self.renderer.render()  # sizes depend on the texts, and the layout on the sizes
        stored = {n: self.doc.position(n) for n in self.doc.nodes}
        if self.views and not any(stored.values()):
            stored = layered_layout(self.doc, "TB", self.node_sizes(), aspect=self.view_aspect(),
                                    labels=label_widths(self.doc))
        centre = self.scene_center()
        for node_id, item in self.views.items():
            self._place(item, stored.get(node_id) or centre)
        with batched_pipes():
            for e in self.doc.edges:
                self._connect(e)
        self.renderer.schedule()  # the new pipes get their shape labels

    def _make_item(self, node_id: str) -> LayerNodeItem:
        node = self.doc.nodes[node_id]
        item = LayerNodeItem(node_id, node.name,
                             CATEGORY_COLORS.get(node.spec.category, (158, 158, 158)))
        item.set_ports(*self._wanted_ports(node_id))
        self.views[node_id] = item
        return item

    def _place(self, item: LayerNodeItem, pos) -> None:
        item.setPos(float(pos[0]), float(pos[1]))
        self.viewer.scene().addItem(item)
        if not self.viewer.detail:
            apply_detail(item, False)

    def _drop_item(self, item: LayerNodeItem) -> None:
        for port in item.inputs + item.outputs:
            for pipe in list(port.connected_pipes):
                pipe.delete()
        if item.scene() is not None:
            item.scene().removeItem(item)

    def _wanted_ports(self, node_id: str) -> tuple[list[str], int]:
        return wanted_ports(self.doc, node_id)

    def _sync_ports(self, node_id: str, wire: bool = True) -> None:
        """Add or remove ports so the item matches the kind and its wiring."""
        item = self.views.get(node_id)
        if item is None:
            return
        inputs, outputs = self._wanted_ports(node_id)
        if [p.name for p in item.inputs] == inputs and len(item.outputs) == outputs:
            return
        item.set_ports(inputs, outputs)
        item.resize()
        if wire:
            self.sync_pipes({node_id} | set(self.doc.successors(node_id)), ports=False)
        self.renderer.forget(node_id)

    def sync_pipes(self, node_ids, ports: bool = True) -> None:
        """Make the pipes into the given nodes (and out of them) equal the document's edges.

        Inside a bulk edit the nodes are only noted, and synced together at its end."""
        if self._bulk is not None:
            self._bulk.touched.update(node_ids)
            return
        node_ids = {n for n in node_ids if n in self.views}
        if ports:
            for nid in node_ids:
                if spec_for_display(self.doc, self.doc.nodes[nid]).is_merge:
                    self._sync_ports(nid, wire=False)
        index = self.doc.graph_index()
        targets = node_ids | {e.dst for nid in node_ids for e in index.outs.get(nid, ())}
        for nid in targets:
            self._sync_inputs(nid, {e.dst_port: e for e in index.ins.get(nid, ())})

    def _sync_inputs(self, node_id: str, wanted: dict[int, Edge]) -> None:
        item = self.views.get(node_id)
        if item is None:
            return
        for index, port in enumerate(item.inputs):
            target = self._source_port(wanted.get(index))
            shown = port.connected_ports
            if target is not None and len(shown) == 1 and shown[0] is target:
                continue
            for pipe in list(port.connected_pipes):
                pipe.delete()
            if target is not None:
                connect_ports(target, port, self.viewer.detail, self.viewer.labels)

    def _source_port(self, edge: Edge | None):
        if edge is None or edge.src not in self.views:
            return None
        outs = self.views[edge.src].outputs
        return outs[edge.src_port] if edge.src_port < len(outs) else None

    def _connect(self, edge: Edge) -> None:
        src, dst = self._source_port(edge), self.views.get(edge.dst)
        if src is not None and dst is not None and edge.dst_port < len(dst.inputs):
            connect_ports(src, dst.inputs[edge.dst_port], self.viewer.detail,
                          self.viewer.labels)


class _Edit:
    """What the canvas holds back during one edit (`bulk_started` .. `bulk_finished`): a
    paste of n nodes then syncs their pipes in one pass, each drawn once."""

    def __init__(self) -> None:
        self.pipes = batched_pipes()
        self.pipes.__enter__()
        self.touched: set[str] = set()  # nodes whose wires to sync
        self.added: list[str] = []  # nodes that came
        self.revived: list[str] = []  # of them, those whose kept items came back
        self.loose: set = set()  # the wires of the items removed
