"""Canvas items: a layer node painted in one pass, and its ports.

NodeGraphQt's own node (`BaseNode` + `NodeItem`) builds a model object, a rich
text item, an icon pixmap and a label per port for every node, and costs about
2 ms each: a 500-node project took seconds to open. Our node item derives from
`AbstractNodeItem` (so the viewer still selects, moves and wires it) and paints
its name, kind, parameter count and shape itself (`node_paint`). Its ports are NodeGraphQt
`PortItem`s, so the viewer's wiring gestures work unchanged.

A node shows its name and "Kind · N params"; the tensor shape it produces is
written on each wire leaving it (see `pipes`), and in the node only for outputs
that have no wire.

Below `DETAIL_SCALE` (a zoomed-out view) texts and ports are not drawn: a node
is a coloured box and a pipe a thin line, which keeps panning a 1000-node view
fluid.
"""

from __future__ import annotations

import weakref

from NodeGraphQt.constants import (
    ITEM_CACHE_MODE,
    Z_VAL_NODE,
    LayoutDirectionEnum,
)
from NodeGraphQt.qgraphics.node_abstract import AbstractNodeItem
from PySide6 import QtCore, QtGui, QtWidgets

from .node_paint import paint_node
from .node_style import node_size, port_x, text_rects, title_line
from .ports import IN, OUT, LayerPortItem, PipeBatch

NODE_TYPE = "kerascanvas.LayerNode"
NODE_FLAGS = (QtWidgets.QGraphicsItem.ItemIsSelectable | QtWidgets.QGraphicsItem.ItemIsMovable
              | QtWidgets.QGraphicsItem.ItemSendsGeometryChanges)
# What NodeGraphQt's AbstractNodeItem holds, for its viewer's code that reads it.
NODE_PROPERTIES = {"id": None, "name": "", "color": (13, 18, 23, 255),
                   "border_color": (46, 57, 66, 255), "text_color": (255, 255, 255, 180),
                   "type_": NODE_TYPE, "selected": False, "disabled": False, "visible": False,
                   "layout_direction": LayoutDirectionEnum.VERTICAL.value}

_MOVED = QtWidgets.QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged
_MOVING = QtWidgets.QGraphicsItem.GraphicsItemChange.ItemPositionChange
_SCENE = QtWidgets.QGraphicsItem.GraphicsItemChange.ItemSceneChange

class LayerNodeItem(AbstractNodeItem):
    """One layer or block: a category stripe, three lines of text and a status border.

    `id` is the document's node id. Lines: name, "Kind · N params", and the output
    shape(s) when `show_shape` (an output without a wire to carry its label).
    """

    # scene -> how many node items it holds (has a drag moved them all?)
    in_scene: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
    # scene -> its node items (as dict keys, in the order they came), without a scene query
    members: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def __init__(self, node_id: str, name: str, stripe=(158, 158, 158)):
        # AbstractNodeItem.__init__ with its properties from a template, and one call for
        # the flags (each flag call is a change our Python itemChange hears): the node
        # items of a pasted ResNet50 were a large share of the paste.
        QtWidgets.QGraphicsItem.__init__(self)
        self.setFlags(NODE_FLAGS)  # moves reach itemChange
        self.setCacheMode(ITEM_CACHE_MODE)
        self.setZValue(Z_VAL_NODE)
        self.setAcceptHoverEvents(True)
        self._properties = dict(NODE_PROPERTIES, id=node_id, name=name.strip())
        self._width = self._height = 0.0
        self.stripe = QtGui.QColor(*stripe)
        self.header = QtGui.QColor(*stripe, 70)
        self.subtitle = ""
        self.shape_text = ""
        self.show_shape = True
        self.status = None  # None, "error" or "warning"
        self.output_ports: frozenset[int] = frozenset()  # those that are model outputs
        self.tip = ""
        self.inputs: list[LayerPortItem] = []
        self.outputs: list[LayerPortItem] = []
        self._detail = True
        self._rect = QtCore.QRectF()
        self.port_layout = 0  # counts the times its ports were placed on it (`align_ports`)
        self.resize()

    # ---- content ------------------------------------------------------
    def set_texts(self, name: str, subtitle: str, shape: str, show_shape: bool = True) -> None:
        """Set the lines; resizes (and moves the ports) only when the size changes."""
        if (name, subtitle, shape, show_shape) == (self.name, self.subtitle, self.shape_text,
                                                   self.show_shape):
            return
        self._properties["name"] = name
        self.subtitle, self.shape_text, self.show_shape = subtitle, shape, show_shape
        self.resize()

    def lines(self) -> list[tuple[str, str]]:
        """(font key, text) of each line drawn: name, kind and count, and the shape."""
        lines = [title_line(self.name), ("small", self.subtitle)]
        return lines + [("mono", self.shape_text)] if self.show_shape else lines

    def set_ports(self, inputs: list[str], outputs: int) -> None:
        """Make the ports match: input names in order, then `outputs` output ports."""
        for port in self.inputs[len(inputs):] + self.outputs[outputs:]:
            for pipe in list(port.connected_pipes):
                pipe.delete()
            port.setParentItem(None)
            if port.scene() is not None:
                port.scene().removeItem(port)
        del self.inputs[len(inputs):], self.outputs[outputs:]
        for port, name in zip(self.inputs, inputs, strict=False):
            port.name = name
        self.inputs += [self._new_port(n, IN) for n in inputs[len(self.inputs):]]
        self.outputs += [self._new_port(f"out_{i}", OUT)
                         for i in range(len(self.outputs), outputs)]
        self.set_output_ports(self.output_ports)
        self.align_ports()

    def set_output_ports(self, ports) -> None:
        """Mark the output ports that are model outputs (by index)."""
        ring = bool(self.output_ports)
        self.output_ports = frozenset(ports)
        for index, port in enumerate(self.outputs):
            port.set_model_output(index in self.output_ports)
        if ring != bool(self.output_ports):
            self.resize()  # room for the ring under the text, or none

    def _new_port(self, name: str, port_type: str) -> LayerPortItem:
        port = LayerPortItem(self, name, port_type)
        port.setOpacity(1.0 if self._detail else 0.0)
        return port

    def resize(self) -> None:
        ports = max(len(self.inputs), len(self.outputs), 1)
        width, height = node_size(self.lines(), ports, ring=bool(self.output_ports))
        if (width, height) != (self._width, self._height):
            was = self.sceneBoundingRect()
            self.prepareGeometryChange()
            self._width, self._height = width, height
            self._rect = QtCore.QRectF(0.0, 0.0, width, height)
            self.align_ports()
            if PipeBatch.resized is not None and self.scene() is not None:
                PipeBatch.resized(self, was)  # the wires it now meets, or left, go around
        self.update()

    def align_ports(self) -> None:
        self.port_layout += 1  # a wire drawn before is not shifted with the node (`pipes`)
        for ports, y in ((self.inputs, 0.0), (self.outputs, self._height)):
            for i, port in enumerate(ports):
                rect = port.boundingRect()
                x = port_x(self._width, len(ports), i)
                port.setPos(x - rect.width() / 2, y - rect.height() / 2)
        self.redraw_pipes()

    def redraw_pipes(self) -> None:
        """Redraw the pipes of every port (after the node or its ports moved); in a batch,
        hand them to it (each node of a dragged selection does this at every mouse step)."""
        batch = PipeBatch.pipes
        for ports in (self.inputs, self.outputs):
            for port in ports:
                if port._pipes:
                    port.redraw_connected_pipes() if batch is None else batch.update(port._pipes)

    def note_moved(self, was: QtCore.QPointF) -> None:
        """The item was moved from `was` without a call to `itemChange` (a drag moves its
        nodes so, see `dragging`): its pipes follow, as after a move it was told of."""
        moved = PipeBatch.moved
        if moved is not None and self not in moved:
            moved[self] = was
        self.redraw_pipes()

    def set_detail(self, detail: bool) -> None:
        """Show or hide the ports (zoomed out they are too small to use)."""
        if detail != self._detail:
            self._detail = detail
            for port in self.inputs + self.outputs:
                port.setOpacity(1.0 if detail else 0.0)

    def draw_node(self):
        self.resize()

    # ---- Qt overrides ---------------------------------------------------
    def boundingRect(self):  # noqa: N802 (Qt override)
        return self._rect

    def itemChange(self, change, value):  # noqa: N802 (Qt override)
        # In place of the ports' own (see LayerPortItem): a moved node redraws its pipes.
        if change == _MOVED:
            self.redraw_pipes()
        elif change == _MOVING and PipeBatch.moved is not None and self not in PipeBatch.moved:
            # An item not yet in the scene is placed, not moved: it appears where it is put
            # (from the origin, a paste's 177 new nodes made every other wire route again).
            PipeBatch.moved[self] = self.pos() if self.scene() is not None else value
        elif change == _SCENE:
            counts, members, scene = LayerNodeItem.in_scene, LayerNodeItem.members, self.scene()
            if scene is not None:
                counts[scene] = counts.get(scene, 1) - 1
                members.get(scene, {}).pop(self, None)
            if value is not None:
                counts[value] = counts.get(value, 0) + 1
                members.setdefault(value, {})[self] = None
        return super().itemChange(change, value)

    def hoverEnterEvent(self, event):  # noqa: N802 (Qt override)
        # Set on hover only: setToolTip on every redraw was a large share of a load.
        if self.toolTip() != self.tip:
            self.setToolTip(self.tip)
        super().hoverEnterEvent(event)

    def mouseDoubleClickEvent(self, event):  # noqa: N802 (Qt override)
        viewer = self.viewer()
        if viewer is not None and event.button() == QtCore.Qt.LeftButton:
            viewer.node_double_clicked.emit(self.id)
        super().mouseDoubleClickEvent(event)

    def paint(self, painter, option, widget):
        paint_node(self, painter, option)

    def text_rects(self) -> list[QtCore.QRectF]:
        """Where the lines are drawn, in the node's coordinates."""
        return text_rects(self.lines(), self._width)

    def highlight_pipes(self) -> None:
        """Highlight the pipes of a selected node (plain again once neither end is selected)."""
        highlight_wires([self])


def highlight_wires(items) -> None:
    """The wires of the node `items` in the selection's colour where an end is selected,
    plain where neither is. Each wire is looked at once (a paste that changed the selection
    from 177 nodes to 177 others visited every wire twice, from both ends), and restyled
    only when its look changes: a reset also places its arrow again (531 passes and 384
    resets took 0.4 s of that paste), and a plain look keeps the arrow where it is."""
    pipes = {pipe for item in items for port in item.inputs + item.outputs
             for pipe in port.connected_pipes}
    for pipe in pipes:
        wanted = any(port is not None and port.node.isSelected()
                     for port in (pipe.input_port, pipe.output_port))
        if pipe._active or pipe._highlight != wanted:  # hovered, or the other look
            pipe.highlight() if wanted else _plain(pipe)


def _plain(pipe) -> None:
    """NodeGraphQt's `reset` of a wire's look, without placing its arrow again: the wire
    has not moved, and the styling colours the arrow too (an undo of a delete of all of
    a ResNet50 placed 384 arrows again where they were)."""
    pipe._active = pipe._highlight = False
    pipe.set_pipe_styling(color=pipe.color, width=2, style=pipe.style)
