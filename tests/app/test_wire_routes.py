"""How a wire runs between a node's bottom (output) port and another's top (input) port,
wherever the user drags the two nodes: it leaves straight down, enters from above, and
neither loops around its own node nor crosses itself."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from kerascanvas.graph.document import Document, Edge

from .gestures import drag, node_point, saved, show, view_point
from .wire_geometry import path_points, routed_again, wire_faults

# Where the destination's top-left corner is dragged, from the source's (scene units):
# beside, a little lower or higher, straight above, above on either side, far below.
PLACES = [(240.0, 0.0), (-240.0, 12.0), (230.0, 30.0), (0.0, -170.0), (-60.0, -120.0),
          (90.0, -110.0), (-260.0, -200.0), (250.0, 260.0)]


def two_nodes(make_window, qtbot, tmp_path):
    """Input 'a' wired into Dense 'b' below it, the view showing room all around."""
    doc = Document()
    a = doc.add_node("Input", "a", params={"shape": [8]}).id
    b = doc.add_node("Dense", "b", params={"units": 4}).id
    doc.connect(Edge(a, 0, b, 0))
    doc.set_position(a, (0.0, 0.0))
    doc.set_position(b, (0.0, 200.0))
    window = show(make_window(saved(doc, tmp_path, "two.json")), qtbot)
    window.resize(1100, 800)
    window.canvas.viewer.show_range(QtCore.QRectF(-420.0, -330.0, 900.0, 680.0))
    QtWidgets.QApplication.processEvents()
    return window, a, b


def drag_node_to(window, node_id, corner: QtCore.QPointF) -> None:
    """Drag the node with the mouse so that its top-left corner comes to `corner`."""
    rect = window.canvas.views[node_id].sceneBoundingRect()
    start = node_point(window, node_id)
    drag(window, start, view_point(window, rect.center() + (corner - rect.topLeft())),
         steps=3)


def test_a_wire_leaves_down_and_enters_from_above_wherever_its_nodes_stand(
        make_window, qtbot, tmp_path):
    window, a, b = two_nodes(make_window, qtbot, tmp_path)
    views = window.canvas.views
    (pipe,) = window.canvas.viewer.pipe_items()
    for dx, dy in PLACES:
        corner = views[a].sceneBoundingRect().topLeft() + QtCore.QPointF(dx, dy)
        drag_node_to(window, b, corner)
        moved = views[b].sceneBoundingRect().topLeft() - corner
        assert moved.manhattanLength() < 6, (dx, dy, moved)  # the drag put it there
        assert wire_faults(pipe, [views[a], views[b]]) == [], (dx, dy)


def test_a_wire_out_of_a_dragged_source_goes_around_both_nodes(make_window, qtbot, tmp_path):
    """The source dragged below its destination, straight under it and beside it: the wire
    climbs beside both nodes, as the routing of the whole picture would draw it."""
    window, a, b = two_nodes(make_window, qtbot, tmp_path)
    views = window.canvas.views
    (pipe,) = window.canvas.viewer.pipe_items()
    for dx, dy in ((10.0, 150.0), (200.0, 60.0)):
        drag_node_to(window, a, views[b].sceneBoundingRect().topLeft() + QtCore.QPointF(dx, dy))
        assert wire_faults(pipe, [views[a], views[b]]) == [], (dx, dy)
        drawn = path_points(pipe)
        assert routed_again([pipe])[pipe] == drawn


def test_an_exported_picture_draws_climbing_wires_around_their_nodes(qapp):
    """The PNG/SVG export routes as the canvas: a wire into a node beside or above its
    source passes through neither box, leaving down and entering from above."""
    from kerascanvas.app.canvas.export_image import drawn_edges, node_boxes
    from kerascanvas.graph.validate import analyze

    doc = Document()
    places = [((0.0, 0.0), (260.0, 10.0)), ((700.0, 330.0), (700.0, 120.0)),
              ((330.0, 520.0), (40.0, 470.0))]
    for i, (src_at, dst_at) in enumerate(places):
        src = doc.add_node("Input", f"src{i}", params={"shape": [8]}).id
        dst = doc.add_node("Dense", f"dst{i}", params={"units": 4}).id
        doc.connect(Edge(src, 0, dst, 0))
        doc.set_position(src, src_at)
        doc.set_position(dst, dst_at)
    analysis = analyze(doc)
    boxes = node_boxes(doc, analysis)
    assert [tuple(boxes[n].topLeft().toTuple()) for n in doc.nodes] == \
        [at for pair in places for at in pair]  # drawn where the canvas has them
    inner = [box.adjusted(1, 1, -1, -1) for box in boxes.values()]
    for drawn in drawn_edges(doc, analysis, boxes):
        points = [drawn.path.pointAtPercent(k / 200) for k in range(201)]
        assert points[1].y() > points[0].y() and points[-2].y() < points[-1].y()
        assert not any(box.contains(p) for box in inner for p in points), points
