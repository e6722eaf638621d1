"""The canvas adapter: the document drawn with NodeGraphQt, gestures turned into commands.

The document is the truth (see DESIGN.md). NodeGraphQt's own handlers for wiring,
moving and renaming are unplugged; each gesture becomes one command on the
`UndoStack`, and the view follows the document's events. When the document refuses
a gesture (a cycle, a port already taken), the pipes are redrawn from the document
and the reason goes to `status_message`.
"""

from __future__ import annotations

from NodeGraphQt import NodeGraph
from NodeGraphQt.constants import LayoutDirectionEnum
from PySide6 import QtCore

from ..graph import commands as cmd
from ..graph import events as ev
from ..graph.document import Document, Edge
from ..graph.errors import KerasCanvasError
from .nodes import CATEGORY_COLORS, NODE_TYPE, LayerNode
from .render import NodeRenderer

PALETTE_MIME = "application/x-kerascanvas-kind"


class Canvas(QtCore.QObject):
    """Keeps a NodeGraphQt graph equal to a `Document` and routes gestures to commands."""

    status_message = QtCore.Signal(str)
    selection_changed = QtCore.Signal(list)
    node_activated = QtCore.Signal(str)
    drop_requested = QtCore.Signal(object, tuple)

    def __init__(self, doc: Document, stack: cmd.UndoStack, parent=None):
        super().__init__(parent)
        self.doc, self.stack = doc, stack
        self.graph = NodeGraph()
        # Top to bottom reads like a model summary; it must be set before nodes exist.
        self.graph.set_layout_direction(LayoutDirectionEnum.VERTICAL.value)
        self.graph.register_node(LayerNode)
        self.graph.set_acyclic(False)  # the document refuses cycles, with a reason
        self.graph.set_background_color(30, 32, 36)
        self.graph.set_grid_color(40, 43, 48)
        self.views: dict[str, LayerNode] = {}
        self._doc_ids: dict[str, str] = {}
        self.renderer = NodeRenderer(self)
        self._take_over_gestures()
        doc.events.connect(self._on_doc_event)
        self.rebuild()

    @property
    def widget(self):
        return self.graph.widget

    @property
    def viewer(self):
        return self.graph.viewer()

    # ---- gestures -> commands ------------------------------------------
    def _take_over_gestures(self):
        viewer, g = self.graph.viewer(), self.graph
        viewer.connection_changed.disconnect(g._on_connection_changed)
        viewer.connection_sliced.disconnect(g._on_connection_sliced)
        viewer.moved_nodes.disconnect(g._on_nodes_moved)
        viewer.node_name_changed.disconnect(g._on_node_name_changed)
        viewer.insert_node.disconnect(g._on_insert_node)
        viewer.search_triggered.disconnect(g._on_search_triggered)
        viewer.connection_changed.connect(self._on_viewer_connection_changed)
        viewer.connection_sliced.connect(self._on_viewer_connection_sliced)
        viewer.moved_nodes.connect(self._on_viewer_moved_nodes)
        viewer.node_name_changed.connect(self._on_viewer_name_changed)
        viewer.node_selection_changed.connect(self._on_viewer_selection_changed)
        viewer.node_double_clicked.connect(self._on_viewer_double_clicked)
        g.data_dropped.connect(self._on_graph_data_dropped)

    def _edge_of(self, a, b) -> Edge:
        """The document edge for a pair of port items (either order)."""
        out, inp = (a, b) if a.port_type == "out" else (b, a)
        src, dst = self._doc_ids[out.node.id], self._doc_ids[inp.node.id]
        src_port = [p.view for p in self.views[src].output_ports()].index(out)
        dst_port = [p.view for p in self.views[dst].input_ports()].index(inp)
        return Edge(src, src_port, dst, dst_port)

    def _on_viewer_connection_changed(self, disconnected, connected):
        old = [self._edge_of(a, b) for a, b in disconnected]
        new = [self._edge_of(a, b) for a, b in connected]
        touched = {e.dst for e in old + new} | {e.src for e in old + new}
        try:
            with self.stack.macro("Connect" if new else "Disconnect"):
                for e in old:
                    self.stack.push(cmd.Disconnect(self.doc, e))
                for e in new:
                    self.stack.push(cmd.Connect(self.doc, e))
        except KerasCanvasError as exc:
            self.status_message.emit(f"Connection refused: {exc}")
        self.sync_pipes(touched)

    def _on_viewer_connection_sliced(self, pairs):
        self._on_viewer_connection_changed(pairs, [])

    def _on_viewer_moved_nodes(self, moved):
        moves = {self._doc_ids[item.id]: tuple(item.xy_pos) for item in moved
                 if item.id in self._doc_ids}
        if moves:
            self.stack.push(cmd.Move(self.doc, moves))

    def _on_viewer_name_changed(self, view_id, name):
        node_id = self._doc_ids.get(view_id)
        if node_id is None or self.doc.nodes[node_id].name == name:
            return
        try:
            self.stack.push(cmd.Rename(self.doc, node_id, name))
        except KerasCanvasError as exc:
            self.status_message.emit(f"Rename refused: {exc}")
            self._set_view_name(node_id)

    def _on_viewer_selection_changed(self, *_):
        self.selection_changed.emit(self.selected_ids())

    def _on_viewer_double_clicked(self, view_id):
        if view_id in self._doc_ids:
            self.node_activated.emit(self._doc_ids[view_id])

    def _on_graph_data_dropped(self, mime, pos):
        self.drop_requested.emit(mime, (float(pos.x()), float(pos.y())))

    # ---- selection and view ---------------------------------------------
    def selected_ids(self) -> list[str]:
        ids = [self._doc_ids.get(n.id) for n in self.graph.selected_nodes()]
        order = list(self.doc.nodes)
        return sorted((i for i in ids if i), key=order.index)

    def select(self, node_ids, center: bool = False) -> None:
        self.graph.clear_selection()
        for nid in node_ids:
            if nid in self.views:
                self.views[nid].set_selected(True)
        if center and node_ids:
            self.graph.center_on([self.views[n] for n in node_ids if n in self.views])
        self.selection_changed.emit(self.selected_ids())

    def fit(self) -> None:
        """Zoom so every node is in view (NodeGraphQt's own fit groups items: slow on 500)."""
        items = [v.view for v in self.views.values()]
        if not items:
            return
        rect = items[0].sceneBoundingRect()
        for item in items[1:]:
            rect = rect.united(item.sceneBoundingRect())
        viewer = self.viewer
        margin = 40.0
        viewer._scene_range = rect.adjusted(-margin, -margin, margin, margin)
        viewer._update_scene()
        if viewer.get_zoom() > 0.1:
            viewer.reset_zoom(viewer._scene_range.center())

    def scene_center(self) -> tuple[float, float]:
        viewer = self.viewer
        center = viewer.mapToScene(viewer.viewport().rect().center())
        return (center.x(), center.y())

    # ---- document -> view ------------------------------------------------
    def _on_doc_event(self, event: ev.Event) -> None:
        handler = self._HANDLERS.get(event.type)
        if handler is not None:
            handler(self, event)
        if event.type in ev.SHAPE_EVENTS or event.type == ev.OUTPUTS_CHANGED:
            self.renderer.schedule()

    def _on_node_added(self, event):
        self._create_view(event.node)

    def _on_node_removed(self, event):
        view = self.views.pop(event.node, None)
        if view is not None:
            self._doc_ids.pop(view.id, None)
            self.graph.remove_node(view, push_undo=False)
        self.renderer.forget(event.node)

    def _on_edge_changed(self, event):
        edge = event.data["edge"]
        self.sync_pipes({edge.src, edge.dst})

    def _on_param_changed(self, event):
        self._sync_ports(event.node)

    def _on_renamed(self, event):
        self._set_view_name(event.node)

    def _on_moved(self, event):
        view, pos = self.views.get(event.node), event.data.get("pos")
        if view is not None and pos is not None and tuple(view.view.xy_pos) != tuple(pos):
            view.view.xy_pos = [pos[0], pos[1]]
            view.model.pos = [pos[0], pos[1]]

    def _on_reset(self, event):
        self.rebuild()

    _HANDLERS = {
        ev.NODE_ADDED: _on_node_added,
        ev.NODE_REMOVED: _on_node_removed,
        ev.EDGE_ADDED: _on_edge_changed,
        ev.EDGE_REMOVED: _on_edge_changed,
        ev.PARAM_CHANGED: _on_param_changed,
        ev.NODE_RENAMED: _on_renamed,
        ev.NODE_MOVED: _on_moved,
        ev.RESET: _on_reset,
    }

    def rebuild(self) -> None:
        """Drop every view and draw the whole document again (after a load)."""
        for view in list(self.views.values()):
            self.graph.remove_node(view, push_undo=False)
        self.views.clear()
        self._doc_ids.clear()
        self.renderer.forget_all()
        for node_id in self.doc.nodes:
            self._create_view(node_id, wire=False)
        self.sync_pipes(set(self.doc.nodes))
        self.renderer.schedule()

    def _create_view(self, node_id: str, wire: bool = True) -> None:
        node = self.doc.nodes[node_id]
        pos = self.doc.position(node_id) or self.scene_center()
        view = self.graph.create_node(NODE_TYPE, name=node.name, selected=False,
                                      pos=[pos[0], pos[1]], push_undo=False)
        view.view.stripe = CATEGORY_COLORS.get(node.spec.category, (158, 158, 158))
        self.views[node_id] = view
        self._doc_ids[view.id] = node_id
        self._sync_ports(node_id, wire)

    def _set_view_name(self, node_id: str) -> None:
        view = self.views.get(node_id)
        if view is not None:
            name = self.doc.nodes[node_id].name
            view.model.name = name
            view.view.name = name
            view.view.draw_node()

    def _wanted_ports(self, node_id: str) -> tuple[list[str], int]:
        """Input port labels and the number of output ports the node should show."""
        node = self.doc.nodes[node_id]
        spec = node.spec
        if spec.is_merge:
            used = max((e.dst_port + 1 for e in self.doc.in_edges(node_id)), default=0)
            count = max(used + 1, spec.min_inputs)
        else:
            count = spec.max_inputs
        inputs = [spec.port_name(i) for i in range(count)]
        try:
            outputs = spec.outputs(spec.resolve(node.params))
        except (KerasCanvasError, KeyError, TypeError):
            outputs = 1
        return inputs, outputs

    def _sync_ports(self, node_id: str, wire: bool = True) -> None:
        """Add or remove ports so the view matches the kind (merges keep one free input)."""
        view = self.views.get(node_id)
        if view is None:
            return
        inputs, outputs = self._wanted_ports(node_id)
        have_in = [p.name() for p in view.input_ports()]
        have_out = len(view.output_ports())
        if have_in == inputs and have_out == outputs:
            return
        view.view.frozen = True
        while len(view.input_ports()) > len(inputs):
            port = view.input_ports()[-1]
            port.clear_connections(push_undo=False, emit_signal=False)
            view.delete_input(port)
        for name in inputs[len(view.input_ports()):]:
            view.add_input(name, display_name=len(inputs) > 1)
        while len(view.output_ports()) > outputs:
            port = view.output_ports()[-1]
            port.clear_connections(push_undo=False, emit_signal=False)
            view.delete_output(port)
        for i in range(len(view.output_ports()), outputs):
            view.add_output(f"out_{i}")
        view.view.frozen = False
        view.view.draw_node()
        if wire:
            self.sync_pipes({node_id} | set(self.doc.successors(node_id)), ports=False)
        self.renderer.forget(node_id)

    def sync_pipes(self, node_ids, ports: bool = True) -> None:
        """Make the pipes into the given nodes (and out of them) equal the document's edges."""
        node_ids = {n for n in node_ids if n in self.views}
        if ports:
            for nid in node_ids:
                if self.doc.nodes[nid].spec.is_merge:
                    self._sync_ports(nid)
        into: dict[str, dict[int, Edge]] = {}
        for e in self.doc.edges:
            into.setdefault(e.dst, {})[e.dst_port] = e
        targets = set(node_ids) | {e.dst for e in self.doc.edges if e.src in node_ids}
        for nid in targets:
            self._sync_inputs(nid, into.get(nid, {}))

    def _sync_inputs(self, node_id: str, wanted: dict[int, Edge]) -> None:
        view = self.views.get(node_id)
        if view is None:
            return
        for index, port in enumerate(view.input_ports()):
            edge = wanted.get(index)
            target = None
            if edge is not None and edge.src in self.views:
                outs = self.views[edge.src].output_ports()
                target = outs[edge.src_port] if edge.src_port < len(outs) else None
            shown = port.view.connected_ports
            if target is not None and len(shown) == 1 and shown[0] is target.view:
                continue
            port.clear_connections(push_undo=False, emit_signal=False)
            for pipe in list(port.view.connected_pipes):
                pipe.delete()
            if target is not None:
                port.connect_to(target, push_undo=False, emit_signal=False)
