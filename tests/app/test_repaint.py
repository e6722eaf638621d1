"""What a dragged node leaves on screen: the viewport repaints every place it was drawn.

Under a real X display a node dragged with a free input port left a trail of half
circles (the part of the port outside the node's box) wherever it had been.
"""

from __future__ import annotations

from PySide6 import QtCore, QtGui

from .gestures import drag, node_point, show
from .test_placement_ui import drop, palette_mime


class PaintedRegion(QtCore.QObject):
    """Collects the regions the viewport repaints."""

    def __init__(self, viewport):
        super().__init__(viewport)
        self.region = QtGui.QRegion()
        viewport.installEventFilter(self)

    def eventFilter(self, obj, event):  # noqa: N802 (Qt override)
        if event.type() == QtCore.QEvent.Paint:
            self.region += event.region()
        return False


def test_a_dragged_node_leaves_no_trace_of_its_ports(window, qtbot):
    show(window, qtbot)
    window.resize(1200, 800)
    drop(window, palette_mime(window, "Dense"), window.canvas.viewer.viewport().rect().center())
    (node_id,) = window.doc.nodes
    viewer, item = window.canvas.viewer, window.canvas.views[node_id]
    ports_before = [viewer.mapFromScene(p.sceneBoundingRect()).boundingRect()
                    for p in item.inputs + item.outputs]
    start = node_point(window, node_id)
    painted = PaintedRegion(viewer.viewport())
    redrawn = []  # under load the overview's 250 ms timer may fire before the drag returns
    window.minimap._timer.timeout.connect(lambda: redrawn.append(True))
    # Down and right: the old top half of the input port lies outside both of the node's
    # boxes (where it was, where it is), so only the port's own old place covers it.
    drag(window, start, start + QtCore.QPoint(150, 120))
    assert window.minimap._timer.isActive() or redrawn  # the overview follows the move
    qtbot.wait(50)
    for rect in ports_before:
        assert painted.region.intersected(rect) == QtGui.QRegion(rect), \
            f"the port drawn at {rect} was not repainted"
