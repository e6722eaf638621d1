"""An overview of the whole graph in a corner of the canvas, with the visible area marked.

The graph is drawn once into a pixmap (again a moment after it changes), so
panning the canvas only repaints the pixmap and a rectangle. It is drawn from
the items' rectangles and wire paths, as the canvas draws them zoomed out (a
box in the node's colour, a line per wire), not by rendering the scene: that
called every item's Python paint and took 0.15 s on a 500-node graph, inside
the opening of a project. A click or a drag
on the overview centres the canvas there. It shows itself once part of the
graph is out of view by more than `SHOW_OVERHANG` pixels, and hides again when
every node is in view (so Fit and auto layout leave its corner free), unless the
user turned it off (View › Minimap, Ctrl+M; the window keeps that in its preferences).

It covers a corner of the canvas: the bottom right, or the bottom left while a selected
node lies under the other (a node nudged or dropped there is not left hidden; it stays in
the corner it went to until a selected node lies under that one). It fades (`FADED`
opacity) while the pointer is on the canvas near it (`HALO` pixels) or drags across it:
the nodes under it show through, and a node or a wire dragged there lands on the canvas
(and stays in sight and in reach, the mouse going to the canvas, until the pointer
leaves). Moved onto the overview otherwise, it is opaque again, to be clicked.
"""

from __future__ import annotations

from NodeGraphQt.constants import PortEnum
from PySide6 import QtCore, QtGui, QtWidgets

from .labels import shown
from .node_style import STATUS_COLORS
from .nodes import LayerNodeItem

SIZE = QtCore.QSize(240, 170)  # on a roomy canvas; a smaller one gets a smaller overview:
MAX_SHARE = 0.3  # of the canvas' width and of its height at most (a 430x195 canvas was hidden)
SMALLEST = 0.45  # of SIZE: smaller than that it is too small to read, and stays hidden
MARGIN = 12
BACKGROUND = QtGui.QColor(24, 26, 30)
PORT_WIRED, PORT_FREE = (QtGui.QColor(*PortEnum.ACTIVE_COLOR.value),
                        QtGui.QColor(*PortEnum.COLOR.value))
PORT_RADIUS = PortEnum.SIZE.value / 3.6  # as NodeGraphQt draws a port's circle
LABEL_SMUDGE = QtGui.QColor(150, 200, 235, 40)  # a shape label, unreadable at this size
LABEL_HEIGHT = 12.0  # about, in scene units
# Screen pixels of graph out of view before the overview shows: a node's edge under the
# view's border is no reason to cover a corner of the canvas. It hides once all is in
# view, so a pan near the border does not make it flicker.
SHOW_OVERHANG = 24.0
HALO = 48  # screen pixels around the overview where the pointer on the canvas fades it
FADED = 0.2  # its opacity meanwhile


class MiniMap(QtWidgets.QWidget):
    """An overview of `viewer`'s nodes; drags here pan the viewer."""

    def __init__(self, viewer, items):
        super().__init__(viewer.viewport())
        self.viewer, self.items = viewer, items  # items(): the node items to show
        self.enabled_by_user = True
        self.setFixedSize(SIZE)
        self._fits = True  # the canvas has room for it
        self._left = False  # in the bottom-left corner (a selected node was under the right)
        # Opaque, as the canvas below it scrolls: Qt moves the canvas' pixels on a pan only
        # while every child over it paints all of itself (a see-through one made each pan
        # step repaint the whole canvas).
        self.setAttribute(QtCore.Qt.WA_OpaquePaintEvent)
        self.setCursor(QtCore.Qt.PointingHandCursor)
        self.setToolTip("Overview: click or drag to move the view (View › Minimap, Ctrl+M)")
        self._pixmap = QtGui.QPixmap()
        self._source = QtCore.QRectF()
        self._timer = QtCore.QTimer(self, singleShot=True, interval=250)
        self._timer.timeout.connect(self._on_graph_changed)
        # Not the scene's `changed` signal: while anything listens to it, Qt repaints a moved
        # item's old place without its children, and a dragged node left a trail of the
        # halves of its free ports that stick out of its box. The window calls
        # `schedule_redraw` on each document event and after each render instead.
        viewer.view_changed.connect(self.follow_view)
        # Off a selected node: once per burst (a select-all changes one item at a time).
        self._selection_timer = QtCore.QTimer(self, singleShot=True, interval=0)
        self._selection_timer.timeout.connect(self.follow_view)
        viewer.scene().selectionChanged.connect(self._selection_timer.start)
        viewer.viewport().installEventFilter(self)  # the pointer near it fades it
        self.hide()

    def schedule_redraw(self, *_args) -> None:
        """Redraw a moment after the graph changed (a burst of changes redraws once)."""
        self._timer.start()

    def _on_graph_changed(self) -> None:
        """A node moved or came in: it may now lie out of view (or all may fit)."""
        shown = self.isVisible()
        self.follow_view()  # draws it when it comes up
        if shown:
            self.redraw()

    def graph_rect(self, margin: float = 40.0) -> QtCore.QRectF:
        rect = QtCore.QRectF()
        for item in self.items():
            rect = rect.united(item.sceneBoundingRect())
        return rect.adjusted(-margin, -margin, margin, margin) if not rect.isNull() else rect

    def overhang(self) -> float:
        """How far the nodes reach out of the view, in screen pixels (<= 0: all in view)."""
        graph, view = self.graph_rect(margin=0.0), self.viewer.visible_scene_rect()
        if graph.isNull():
            return 0.0
        out = max(view.left() - graph.left(), view.top() - graph.top(),
                  graph.right() - view.right(), graph.bottom() - view.bottom())
        return out * self.viewer.transform().m11()

    def redraw(self) -> None:
        """Draw the scene into the pixmap (only while shown)."""
        if not self.isVisible():
            return
        self._source = self.graph_rect()
        self._pixmap = QtGui.QPixmap(self.size())
        self._pixmap.fill(BACKGROUND)
        if not self._source.isNull():
            painter = QtGui.QPainter(self._pixmap)
            self._draw_graph(painter)
            painter.end()
        self.update()

    def _draw_graph(self, painter: QtGui.QPainter) -> None:
        """The canvas' background, its wires, their shape labels and its nodes, scaled.

        Ports and labels are left out when they would be under a pixel (a large graph)."""
        target, src = self._target(), self._source
        scale = target.width() / src.width()
        painter.fillRect(target, self.viewer.scene().backgroundBrush())
        painter.setClipRect(target)
        painter.translate(target.topLeft())
        painter.scale(scale, scale)
        painter.translate(-src.topLeft())
        nodes = self.items()
        self._draw_pipes(painter, nodes, labels=scale * LABEL_HEIGHT >= 1.0)
        painter.setPen(QtCore.Qt.NoPen)
        for node in nodes:
            color = STATUS_COLORS.get(node.status)
            painter.fillRect(node.sceneBoundingRect(),
                             QtGui.QColor(*color) if color else node.stripe)
        if scale * PORT_RADIUS >= 0.5:
            for node in nodes:
                for port in node.inputs + node.outputs:
                    painter.setBrush(PORT_WIRED if port.connected_pipes else PORT_FREE)
                    painter.drawEllipse(port.sceneBoundingRect().center(), PORT_RADIUS,
                                        PORT_RADIUS)

    @staticmethod
    def _draw_pipes(painter: QtGui.QPainter, nodes, labels: bool) -> None:
        """Each wire's path in its pen (wires share a few pens: drawn once per pen)."""
        paths: dict[tuple, tuple[QtGui.QPen, QtGui.QPainterPath]] = {}
        for node in nodes:
            for port in node.outputs:
                for pipe in port.connected_pipes:
                    pen = pipe.pen()
                    key = (pen.color().rgba(), pen.widthF(), int(pen.style().value))
                    path = paths.setdefault(key, (pen, QtGui.QPainterPath()))[1]
                    path.addPath(pipe.path())  # pipes lie at the scene's origin
                    if labels and pipe.label.isVisible() and shown(pipe):
                        rect = pipe.label.sceneBoundingRect()
                        painter.fillRect(rect.adjusted(0, rect.height() / 4, 0,
                                                       -rect.height() / 4), LABEL_SMUDGE)
        painter.setBrush(QtCore.Qt.NoBrush)
        painter.setRenderHint(QtGui.QPainter.Antialiasing, True)
        for pen, path in paths.values():
            painter.setPen(pen)
            painter.drawPath(path)

    def _target(self) -> QtCore.QRectF:
        """Where the graph lands in the widget (its aspect kept, centred)."""
        src, size = self._source, QtCore.QSizeF(self.size())
        scale = min(size.width() / src.width(), size.height() / src.height())
        w, h = src.width() * scale, src.height() * scale
        return QtCore.QRectF((size.width() - w) / 2, (size.height() - h) / 2, w, h)

    def follow_view(self) -> None:
        """Place the overview in the corner; show it while part of the graph is hidden."""
        self._fit_to(self.viewer.viewport().size())
        self.move(self._corner().topLeft())
        out = self.overhang() if self.enabled_by_user and self._fits else 0.0
        wanted = out > SHOW_OVERHANG or (out > 0.0 and self.isVisible())
        if wanted != self.isVisible():
            self.setVisible(wanted)
            if wanted:
                self.redraw()
        self.update()

    def _corner(self) -> QtCore.QRect:
        """Where it goes: the corner it is in, or the other bottom corner where a selected
        node lies under this one and none under that."""
        here, there = self._corner_rect(self._left), self._corner_rect(not self._left)
        selected = [self.viewer.mapFromScene(item.sceneBoundingRect()).boundingRect()
                    for item in self.viewer.scene().selectedItems()
                    if isinstance(item, LayerNodeItem)]
        if any(here.intersects(r) for r in selected) and \
                not any(there.intersects(r) for r in selected):
            self._left = not self._left
            return there
        return here

    def _corner_rect(self, left: bool) -> QtCore.QRect:
        viewport = self.viewer.viewport()
        x = MARGIN if left else viewport.width() - self.width() - MARGIN
        return QtCore.QRect(x, viewport.height() - self.height() - MARGIN,
                            self.width(), self.height())

    def _fit_to(self, canvas: QtCore.QSize) -> None:
        """At most `MAX_SHARE` of the canvas each way; `_fits` False where that is too small."""
        factor = min(1.0, MAX_SHARE * canvas.width() / SIZE.width(),
                     MAX_SHARE * canvas.height() / SIZE.height())
        self._fits = factor >= SMALLEST
        size = QtCore.QSize(round(SIZE.width() * factor), round(SIZE.height() * factor))
        if self._fits and size != self.size():
            self.setFixedSize(size)
            self.redraw()  # the pixmap is drawn at the widget's size

    def to_scene(self, point: QtCore.QPointF) -> QtCore.QPointF:
        target, src = self._target(), self._source
        scale = src.width() / target.width()
        return QtCore.QPointF(src.left() + (point.x() - target.left()) * scale,
                              src.top() + (point.y() - target.top()) * scale)

    def from_scene(self, rect: QtCore.QRectF) -> QtCore.QRectF:
        target, src = self._target(), self._source
        scale = target.width() / src.width()
        return QtCore.QRectF(target.left() + (rect.left() - src.left()) * scale,
                             target.top() + (rect.top() - src.top()) * scale,
                             rect.width() * scale, rect.height() * scale)

    # ---- fading while the pointer is near ----------------------------------
    def faded(self) -> bool:
        return self.graphicsEffect() is not None

    def _set_faded(self, faded: bool, through: bool = False) -> None:
        """See-through or opaque; `through`: faded, and the mouse goes to the canvas under
        it. Opaque, it carries no effect: Qt scrolls the canvas' pixels on a pan only while
        every child over it is opaque."""
        through = faded and through
        self.setAttribute(QtCore.Qt.WA_TransparentForMouseEvents, through)
        if faded == self.faded():
            return
        if faded:
            effect = QtWidgets.QGraphicsOpacityEffect(self)
            effect.setOpacity(FADED)
            self.setGraphicsEffect(effect)
        else:
            self.setGraphicsEffect(None)

    def _follow_pointer(self, event) -> None:
        """Fade while the canvas has the pointer in the `HALO` around the overview (a drag
        over it too: the canvas keeps the mouse then), unless a pan is under way. A drag
        that ends over the overview leaves it faded, and the mouse on the canvas, until the
        pointer leaves the halo: what was dropped there stays in sight and in reach."""
        at = event.position().toPoint()
        panning = event.buttons() & ~QtCore.Qt.LeftButton
        near = self.isVisible() and self.geometry().adjusted(-HALO, -HALO, HALO, HALO).contains(at)
        through = near and (self.testAttribute(QtCore.Qt.WA_TransparentForMouseEvents) or (
            event.type() == QtCore.QEvent.MouseButtonRelease and self.faded()
            and self.geometry().contains(at)))
        self._set_faded(near and not panning, through)

    def eventFilter(self, watched, event):  # noqa: N802 (Qt override)
        kind = event.type()
        if kind in (QtCore.QEvent.MouseMove, QtCore.QEvent.MouseButtonPress,
                    QtCore.QEvent.MouseButtonRelease):
            self._follow_pointer(event)
        elif kind == QtCore.QEvent.Leave:  # off the canvas, or onto the overview
            self._set_faded(False)
        return False

    def enterEvent(self, event):  # noqa: N802 (Qt override)
        # On the overview, to use it; but not as a drag ends over it (Qt's enter then follows
        # the release, which has handed the mouse to the canvas under it).
        if not self.testAttribute(QtCore.Qt.WA_TransparentForMouseEvents):
            self._set_faded(False)
        super().enterEvent(event)

    def hideEvent(self, event):  # noqa: N802 (Qt override)
        self._set_faded(False)
        super().hideEvent(event)

    # ---- Qt overrides ---------------------------------------------------
    def paintEvent(self, event):  # noqa: N802 (Qt override)
        painter = QtGui.QPainter(self)
        painter.fillRect(self.rect(), BACKGROUND)
        painter.drawPixmap(0, 0, self._pixmap)
        painter.setPen(QtGui.QPen(QtGui.QColor(90, 95, 105), 1.0))
        painter.drawRect(self.rect().adjusted(0, 0, -1, -1))
        if not self._source.isNull():
            painter.setPen(QtGui.QPen(QtGui.QColor(255, 202, 40), 1.5))
            painter.drawRect(self.from_scene(self.viewer.visible_scene_rect()))

    def mousePressEvent(self, event):  # noqa: N802 (Qt override)
        self._pan_to(event)

    def mouseMoveEvent(self, event):  # noqa: N802 (Qt override)
        if event.buttons() & QtCore.Qt.LeftButton:
            self._pan_to(event)

    def _pan_to(self, event) -> None:
        if not self._source.isNull():
            self.viewer.center_on(self.to_scene(event.position()))
        event.accept()
