"""The canvas adapter: the document drawn with NodeGraphQt items, gestures turned into commands.

The document is the truth (see DESIGN.md). NodeGraphQt's viewer draws, pans,
zooms, selects and wires; its own handlers for wiring and moving are unplugged,
each gesture becomes one command on the `UndoStack`, and the items follow the
document's events. When the document refuses a gesture (a cycle, a port already
taken), the pipes are redrawn from the document and the reason goes to
`status_message`. The items follow the document's events (`sync`).
"""

from __future__ import annotations

from NodeGraphQt import NodeGraph
from NodeGraphQt.constants import LayoutDirectionEnum
from NodeGraphQt.qgraphics.pipe import PipeItem
from PySide6 import QtCore, QtGui

from ...graph import commands as cmd
from ...graph.document import Edge
from ...graph.errors import KerasCanvasError
from ...graph.layout import VIEW_ASPECT
from ...graph.project import Project
from . import nudge
from .labels import shown
from .nodes import LayerNodeItem, highlight_wires
from .pipe_curve import united
from .render import NodeRenderer
from .sync import DocumentSync
from .view import CanvasViewer

PALETTE_MIME = "application/x-kerascanvas-kind"


FOLLOW_MARGIN = 40.0  # screen pixels kept free beyond a node the view moves to show

class Canvas(DocumentSync, QtCore.QObject):
    """Keeps the viewer's items equal to a `Document` and routes gestures to commands."""

    status_message = QtCore.Signal(str)
    selection_changed = QtCore.Signal(list)
    node_activated = QtCore.Signal(str)
    drop_requested = QtCore.Signal(object, tuple)

    def __init__(self, project: Project, parent=None):
        super().__init__(parent)
        self.project = project
        self.doc, self.stack = project.doc, project.stack
        # Top to bottom reads like a model summary; it must be set before items exist.
        self.graph = NodeGraph(viewer=CanvasViewer(),
                               layout_direction=LayoutDirectionEnum.VERTICAL.value)
        self.graph.set_acyclic(False)  # the document refuses cycles, with a reason
        self.graph.set_background_color(30, 32, 36)
        self.graph.set_grid_color(40, 43, 48)
        self.views: dict[str, LayerNodeItem] = {}
        self.renderer = NodeRenderer(self)
        self._nudge_burst = object()  # the selection arrow presses move (`nudge.Nudge`)
        self.selection_changed.connect(self._on_selection_changed)
        self._take_over_gestures()
        self._follow(project.events)
        self.rebuild()

    @property
    def widget(self):
        return self.graph.widget

    @property
    def viewer(self) -> CanvasViewer:
        return self.graph.viewer()

    # ---- gestures -> commands ------------------------------------------
    def _take_over_gestures(self):
        viewer, g = self.viewer, self.graph
        for signal, slot in ((viewer.connection_changed, g._on_connection_changed),
                             (viewer.connection_sliced, g._on_connection_sliced),
                             (viewer.moved_nodes, g._on_nodes_moved),
                             (viewer.node_name_changed, g._on_node_name_changed),
                             (viewer.insert_node, g._on_insert_node),
                             (viewer.search_triggered, g._on_search_triggered)):
            signal.disconnect(slot)
        viewer.connection_changed.connect(self._on_viewer_connection_changed)
        viewer.connection_sliced.connect(self._on_viewer_connection_sliced)
        viewer.moved_nodes.connect(self._on_viewer_moved_nodes)
        viewer.node_selection_changed.connect(self._on_viewer_selection_changed)
        viewer.node_double_clicked.connect(self._on_viewer_double_clicked)
        viewer.wiring_ended.connect(self._on_viewer_wiring_ended)
        viewer.drop_refused.connect(self.status_message)
        viewer.nudged.connect(self._on_viewer_nudged)
        g.data_dropped.connect(self._on_graph_data_dropped)

    def _edge_of(self, a, b) -> Edge:
        """The document edge for a pair of port items (either order)."""
        out, inp = (a, b) if a.port_type == "out" else (b, a)
        src, dst = out.node.id, inp.node.id
        return Edge(src, self.views[src].outputs.index(out), dst,
                    self.views[dst].inputs.index(inp))

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

    def _on_viewer_wiring_ended(self, node_id: str) -> None:
        self.sync_pipes({node_id})
        self.renderer.schedule()  # a redrawn pipe gets its shape label back

    def _on_viewer_connection_sliced(self, pairs):
        self._on_viewer_connection_changed(pairs, [])

    def _on_viewer_moved_nodes(self, moved):
        moves = {item.id: tuple(item.xy_pos) for item in moved if item.id in self.views}
        if moves:
            self.stack.push(cmd.Move(self.doc, moves))

    def _on_viewer_nudged(self, dx: float, dy: float) -> None:
        """An arrow key: the selected nodes move by (dx, dy); a burst of presses on one
        selection is one undoable "Move" (`nudge.Nudge`)."""
        positions = {nid: tuple(self.views[nid].xy_pos) for nid in self.selected_ids()
                     if nid in self.views}
        if positions:
            self.stack.push(nudge.Nudge(self.doc, nudge.nudged(positions, (dx, dy)),
                                        self._nudge_burst, nudge.clock()))

    def _on_selection_changed(self, _selected) -> None:
        self._nudge_burst = object()  # the next arrow press starts a new undo step

    def _on_viewer_selection_changed(self, selected=(), deselected=()):
        # Not in itemChange: a Python override there runs for every change of every item.
        highlight_wires(self._items({*selected, *deselected}))
        self.selection_changed.emit(self.selected_ids())

    def _on_viewer_double_clicked(self, node_id):
        if node_id in self.views:
            self.node_activated.emit(node_id)

    def _on_graph_data_dropped(self, mime, pos):
        self.drop_requested.emit(mime, (float(pos.x()), float(pos.y())))

    # ---- selection and view ---------------------------------------------
    def selected_ids(self) -> list[str]:
        chosen = {i.id for i in self.viewer.selected_nodes()}
        return [n for n in self.doc.nodes if n in chosen]

    def selected_edges(self) -> list[Edge]:
        """The document edges of the wires selected (a click on a wire selects it)."""
        return [self._edge_of(p.output_port, p.input_port) for p in self.viewer.selected_wires()]

    def select(self, node_ids, center: bool = False) -> None:
        blocker = QtCore.QSignalBlocker(self.viewer)  # one selection_changed, not one per item
        before = self.selected_ids()
        self.viewer.hold_selection()
        try:
            self.viewer.scene().clearSelection()
            items = self._items(node_ids)
            for item in items:
                item.setSelected(True)
        finally:
            self.viewer.release_selection()
        del blocker
        highlight_wires(self._items({*before, *node_ids}))  # one pass over their wires
        if center:
            self.viewer.center_items(items)
        self.selection_changed.emit(self.selected_ids())

    def _items(self, node_ids) -> list[LayerNodeItem]:
        return [self.views[n] for n in node_ids if n in self.views]

    def cursor_scene_pos(self) -> tuple[float, float] | None:
        """Where the mouse pointer is on the canvas, or None when it is elsewhere."""
        viewport = self.viewer.viewport()
        point = viewport.mapFromGlobal(QtGui.QCursor.pos())
        if not viewport.rect().contains(point):
            return None
        scene = self.viewer.mapToScene(point)
        return (scene.x(), scene.y())

    def edge_at(self, scene_pos, reach: float = 8.0) -> Edge | None:
        """The document edge whose wire passes within `reach` of a scene point, or None."""
        x, y = scene_pos
        area = QtCore.QRectF(x - reach, y - reach, 2 * reach, 2 * reach)
        for item in self.viewer.scene().items(area):
            if isinstance(item, PipeItem) and item.input_port and item.output_port:
                edge = self._edge_of(item.output_port, item.input_port)
                if edge in self.doc.edges:
                    return edge
        return None

    def node_at(self, view_pos) -> str | None:
        """The id of the node drawn at a viewport position (its ports included), or None."""
        item = self.viewer.itemAt(view_pos)
        while item is not None and not isinstance(item, LayerNodeItem):
            item = item.parentItem()
        return item.id if item is not None else None

    def show_nodes(self, node_ids, moving_only: bool = False) -> None:
        """Bring the nodes into view: centred when they fit at this zoom, else zoomed out.
        With `moving_only`, the view moves by as little as shows them (not at all when it
        does already), as one following a chain typed on."""
        items = self._items(node_ids)
        if not items:
            return
        rect = items[0].sceneBoundingRect()
        for item in items[1:]:
            rect = rect.united(item.sceneBoundingRect())
        visible = self.viewer.visible_scene_rect()
        if moving_only and visible.contains(rect):
            return
        if rect.width() <= visible.width() and rect.height() <= visible.height():
            if moving_only:
                self.viewer.bring_into_view(rect, FOLLOW_MARGIN)
            else:
                self.viewer.center_items(items)
        else:
            self.viewer.fit_items(items)

    def fit(self) -> None:
        """Zoom so the whole drawing is in view: the nodes, the wires' bends, their labels."""
        rect = self.drawn_rect()
        if rect is not None:
            self.viewer.fit_rect(rect, margin=0.0)

    def drawn_rect(self, margin: float = 20.0, edge: float = 4.0) -> QtCore.QRectF | None:
        """The scene rectangle round every node with `margin` free round it, and round every
        wire shown and its shape label (one that found a spot: a label hidden zoomed out
        counts, as it shows once fitted) with `edge` free: a wire wrapping to the next
        column bends above and below the nodes, a label beside the last column sticks out."""
        rects = [item.sceneBoundingRect().adjusted(-margin, -margin, margin, margin)
                 for item in self.views.values()]
        for pipe in self.viewer.pipe_items():
            if pipe.isVisible() and pipe.input_port is not None:
                rects.append(pipe.sceneBoundingRect().adjusted(-edge, -edge, edge, edge))
                if shown(pipe):
                    rects.append(pipe.label.sceneBoundingRect().adjusted(-edge, -edge,
                                                                         edge, edge))
        return united(rects)

    def node_sizes(self) -> dict[str, tuple[float, float]]:
        """Node id -> (width, height) as drawn, in scene units."""
        return {n: (i.width, i.height) for n, i in self.views.items()}

    def scene_center(self) -> tuple[float, float]:
        return self.viewer.scene_center()

    def view_aspect(self) -> float:
        """Width / height of the visible canvas, which a fresh layout is made to fill."""
        size = self.viewer.viewport().size()
        return size.width() / size.height() if size.height() > 50 else VIEW_ASPECT

    def positions(self) -> dict[str, tuple[float, float]]:
        """Where each node is drawn (top-left corners)."""
        return {nid: (item.x(), item.y()) for nid, item in self.views.items()}
