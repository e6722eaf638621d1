"""The canvas' QGraphicsView: NodeGraphQt's viewer with level-of-detail switching and a fit.

Zoomed out below `nodes.DETAIL_SCALE`, ports and pipe arrows are made fully
transparent (Qt then skips them without calling their Python `boundingRect` or
`paint`), so a frame of a 1000-node graph paints about a third of the items.
Opacity is used rather than visibility because NodeGraphQt hides a pipe whose
port is invisible.
"""

from __future__ import annotations

from NodeGraphQt.widgets.viewer import NodeViewer
from PySide6 import QtCore, QtGui, QtWidgets

from ..keys import Keys
from .dragging import DraggedNodes
from .node_style import DETAIL_SCALE
from .nodes import LayerNodeItem
from .nudge import nudge_delta
from .pipes import LABEL_SCALE, LayerPipeItem, batched_pipes, connect_ports
from .view_range import PAN_ROOM, ViewRange  # noqa: F401 - PAN_ROOM importable here as before
from .view_selection import SelectionFollow
from .wire_drop import drop_port, nearest_ports_first, refused_drop
from .wire_pick import WirePick

_ALT, _CTRL, _SHIFT = (QtCore.Qt.AltModifier, QtCore.Qt.ControlModifier,
                       QtCore.Qt.ShiftModifier)
CANCEL_WIRE = Keys("Cancel the Wire Being Dragged (canvas)", ("Esc",))
_MODIFIER_HINTS = {  # (Alt, Ctrl, Shift) held: what a click or a box does
    (False, True, False): "\n    CTRL:\n    Toggle Nodes in Selection",
    (False, False, True): "\n    SHIFT:\n    Add Nodes to Selection",
}


class CanvasViewer(SelectionFollow, WirePick, ViewRange, NodeViewer):
    """A `NodeViewer` that switches node detail when the zoom crosses `DETAIL_SCALE`; what it
    shows, and how a pan scrolls, is `ViewRange`'s (`view_range`); a click on a wire,
    `WirePick`'s (`wire_pick`); what a click selects and the wires that follow the
    selection, `SelectionFollow`'s (`view_selection`)."""

    wiring_ended = QtCore.Signal(str)  # the node a wire was dragged from
    drop_refused = QtCore.Signal(str)  # why a wire dropped on a node connected nothing

    view_changed = QtCore.Signal()  # after a pan, a zoom or a resize

    nudged = QtCore.Signal(float, float)  # an arrow key on a selection: move it by (dx, dy)

    def __init__(self, parent=None, undo_stack=None):
        super().__init__(parent, undo_stack=undo_stack)
        self.detail = True
        self.labels = True
        self.empty_hint = ""  # drawn over an empty canvas: how to begin
        # The scene's background fills the viewport: with this, a scroll moves the drawn
        # pixels (Qt scrolls only opaque widgets) and paints just the strip uncovered.
        self.viewport().setAttribute(QtCore.Qt.WA_OpaquePaintEvent)
        self._dragged = DraggedNodes()  # the nodes a drag moves, quietly (`dragging`)
        self.scene().selectionChanged.connect(self._on_scene_selection_changed)

    # ---- modifier keys ----------------------------------------------------
    # NodeGraphQt tracks Ctrl/Shift/Alt from key presses and releases seen by the view. A
    # shortcut that moves the focus (Ctrl+F, Ctrl+S, a dialog) sends the release to another
    # widget, and the view then acted as if Ctrl were held: clicks deselected and port drags
    # did nothing. Every mouse event carries the true modifier state: take it from there,
    # and forget the keys when the focus leaves.
    def _take_modifiers(self, event) -> None:
        mods = event.modifiers() & (_ALT | _CTRL | _SHIFT)
        both = mods == (_ALT | _SHIFT)
        self.ALT_state = mods == _ALT or both
        self.CTRL_state = mods == _CTRL
        self.SHIFT_state = mods == _SHIFT or both

    def mousePressEvent(self, event):  # noqa: N802 (Qt override)
        self._dragged.end()  # a drag whose release never came is over
        self._take_modifiers(event)
        self._press_at = event.position().toPoint()
        wiring = self._LIVE_PIPE.isVisible()
        kept = self.scene().selectedItems()
        super().mousePressEvent(event)
        if not wiring and self._LIVE_PIPE.isVisible():
            self._keep_selection(kept)
        elif event.button() == QtCore.Qt.LeftButton and (self.CTRL_state or self.SHIFT_state):
            self._modifier_click(event, kept)
        if event.button() == QtCore.Qt.MiddleButton:  # NodeGraphQt: no pan from a node
            self.MMB_state = True

    def mouseMoveEvent(self, event):  # noqa: N802 (Qt override)
        self._take_modifiers(event)
        if not event.buttons() & QtCore.Qt.LeftButton:
            super().mouseMoveEvent(event)
            return
        if self._rubber_band.isActive and self.CTRL_state:  # a band with Ctrl adds, as Shift
            self.CTRL_state, self.SHIFT_state = False, True
        # Dragging a selection: each port that moves asked for its wires at once, so a
        # wire between two moved nodes was routed twice per step, each time querying the
        # scene for the nodes in its way (0.7 s a step for all of a ResNet50). Batched, each
        # wire is routed once per step, against the nodes looked up once.
        # The dragged nodes are moved by Qt without telling Python of each move (`dragging`).
        with batched_pipes():
            positions = self._dragged.before(self.scene())
            super().mouseMoveEvent(event)
            self._dragged.after(positions)

    def mouseReleaseEvent(self, event):  # noqa: N802 (Qt override)
        self._dragged.end()
        self._take_modifiers(event)
        start = self._start_port if self._LIVE_PIPE.isVisible() else None
        wire = self._wire_clicked(event)
        before = set(self.selected_nodes())
        super().mouseReleaseEvent(event)
        self._report_late_selection(before)
        if start is not None:
            # NodeGraphQt drops a wired port's pipe when a drag starts from it and, when the
            # drag ends on that same port (a click near it), draws nothing back and leaves
            # the dragged pipe up: end it, and the canvas redraws the node's pipes from the
            # document.
            if self._LIVE_PIPE.isVisible():
                self.end_live_connection()
            self.wiring_ended.emit(start.node.id)
            if wire is not None:
                self._select_wire(wire)
            elif self._is_click(event) and not event.modifiers() & (_CTRL | _SHIFT | _ALT):
                self._click_select(start.node)

    def sceneMousePressEvent(self, event):  # noqa: N802 (NodeGraphQt's scene hook)
        # NodeGraphQt starts a wire drag from a port with any button: a right click on a
        # port (for its menu) left a live wire lying over the port, and the menu then found
        # the wire there, not the port. Only the left button wires (or ends a live wire).
        if event.button() != QtCore.Qt.LeftButton and not self._LIVE_PIPE.isVisible():
            return
        self._note_wire_press(event)
        super().sceneMousePressEvent(event)

    # ---- a click on a port is a click on its node ----------------------------
    # A port's circle straddles the node's edge, so its lower half lies over the title.
    # A press there starts a wire drag; released where it began (a click, not a drag), it
    # selects the node, as a click on the rest of the title does.
    def _is_click(self, event) -> bool:
        press = getattr(self, "_press_at", None)
        moved = event.position().toPoint() - press if press is not None else None
        return moved is not None and \
            moved.manhattanLength() < QtWidgets.QApplication.startDragDistance()

    def keyPressEvent(self, event):  # noqa: N802 (Qt override)
        if CANCEL_WIRE.pressed(event) and self.cancel_wiring():
            return
        delta = nudge_delta(event)
        if delta is not None and self.selected_nodes() and not self._LIVE_PIPE.isVisible():
            self.nudged.emit(*delta)  # `nudge`; with nothing selected the view scrolls
            return
        super().keyPressEvent(event)  # NodeGraphQt's hint beside the cursor told its own rule
        hint = _MODIFIER_HINTS.get((self.ALT_state, self.CTRL_state, self.SHIFT_state))
        if hint and self._cursor_text.isVisible():
            self._cursor_text.setPlainText(hint)

    # ---- what a press picks ------------------------------------------------
    def _items_near(self, pos, item_type=None, width=20, height=20):
        """The items in a `width` x `height` area centred on `pos` (NodeGraphQt's own area
        lies above and left of the cursor, so a click a few pixels under an input port, on
        the node's title, picked the port and pulled its wire off), the ports among them
        nearest first: NodeGraphQt takes the first item, and where two nodes sit close, one
        above the other, a press on the upper one's output port found the lower one's input
        port, whose pick area reaches over it, and dragged the wire from there."""
        area = QtCore.QRectF(pos.x() - width / 2, pos.y() - height / 2, width, height)
        # The hint beside the cursor while Ctrl or Shift is down is no item: pressed on, it
        # kept a box selection from starting.
        skip = (self._LIVE_PIPE, self._SLICER_PIPE, self._cursor_text)
        found = [item for item in self.scene().items(area) if item not in skip
                 and (item_type is None or isinstance(item, item_type))]
        return nearest_ports_first(found, pos)

    def apply_live_connection(self, event):
        """The end of a wire drag: on the port the drop aims at (`wire_drop`), or where
        none is near, NodeGraphQt's own (which restores a wire pulled off a port)."""
        start = self._start_port if self._LIVE_PIPE.isVisible() else None
        port = None if start is None else drop_port(self.scene(), start, event.scenePos(),
                                                     self.transform().m11())
        if port is None:
            refused = None if start is None else refused_drop(self.scene(), start,
                                                              event.scenePos())
            super().apply_live_connection(event)
            if refused:
                self.drop_refused.emit(refused)
        else:
            self.connect_drop(start, port)

    def connect_drop(self, start, end) -> None:
        """Connect the wire dragged from `start` to `end` (a port of the other kind on
        another node) as one edit: a wire pulled off a port (`_detached_port`) is taken off
        with it, one already plugged into a single-wire input is replaced, and a drop that
        would close a cycle or repeat an existing wire puts the pulled-off wire back."""
        detached, self._detached_port = self._detached_port, None
        start.hovered = False
        out, inp = (start, end) if start.port_type == "out" else (end, start)
        repeat = out in inp.connected_ports and inp is not detached
        if end is detached or repeat or (self.acyclic and not self.acyclic_check(start, end)):
            if detached is not None:
                self.establish_connection(start, detached)
            self.end_live_connection()
            return
        removed = [(start, detached)] if detached is not None else []
        if not end.multi_connection and end.connected_ports:
            removed.append((end, end.connected_ports[0]))
        self.end_live_connection()
        self.connection_changed.emit(removed, [(start, end)])

    def establish_connection(self, start_port, end_port):
        """NodeGraphQt's redraw of a pipe it put back (a wire drag dropped where it began):
        our pipe, so it keeps its shape label and routing."""
        out, inp = ((start_port, end_port) if start_port.port_type == "out"
                    else (end_port, start_port))
        connect_ports(out, inp, self.detail, self.labels)

    def focusOutEvent(self, event):  # noqa: N802 (Qt override)
        self.clear_key_state()
        self._cursor_text.setVisible(False)
        super().focusOutEvent(event)

    def node_items(self) -> list[LayerNodeItem]:
        return [i for i in self.scene().items() if isinstance(i, LayerNodeItem)]

    def pipe_items(self) -> list[LayerPipeItem]:
        return [i for i in self.scene().items() if isinstance(i, LayerPipeItem)]

    def paintEvent(self, event):  # noqa: N802 (Qt override)
        scale = self.transform().m11()
        detail = scale >= DETAIL_SCALE
        if detail != self.detail:
            self.detail = detail
            for item in self.node_items():
                apply_detail(item, detail)
        labels = scale >= LABEL_SCALE
        if labels != self.labels:
            self.labels = labels
            for pipe in self.pipe_items():
                pipe.label.setVisible(labels)
        super().paintEvent(event)

    def set_empty_hint(self, text: str) -> None:
        if text != self.empty_hint:
            self.empty_hint = text
            self.viewport().update()

    def drawForeground(self, painter, rect):  # noqa: N802 (Qt override)
        super().drawForeground(painter, rect)
        if self.empty_hint:
            painter.save()
            painter.resetTransform()
            area = QtCore.QRectF(self.viewport().rect()).adjusted(80, 80, -80, -80)
            painter.setPen(QtGui.QColor(170, 176, 186))
            font = painter.font()
            font.setPointSizeF(12.0)
            painter.setFont(font)
            painter.drawText(area, QtCore.Qt.AlignCenter | QtCore.Qt.TextWordWrap,
                             self.empty_hint)
            painter.restore()



def apply_detail(item: LayerNodeItem, detail: bool) -> None:
    """Show or hide a node's ports and the arrows of the pipes leaving it."""
    item.set_detail(detail)
    for port in item.outputs:
        for pipe in port.connected_pipes:
            pipe._dir_pointer.setOpacity(1.0 if detail else 0.0)
