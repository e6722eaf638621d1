"""The graph as a picture: PNG or SVG, drawn offscreen like `plot_model(show_shapes=True)`.

One painter routine draws both formats, with the canvas' own node sizes and
layout: a box per node (name; kind, parameter count; the output shape when no
edge carries it; problems in red) and an arrow per edge labelled with the
tensor shape it carries. Wires and labels are the canvas' own (`export_wires`):
each wire along the path the canvas draws, each label where the canvas' `labels`
puts it, or left out where the canvas hides it; a wire that still crosses a box
is drawn over the boxes, so no wire hides behind one. Positions are the
canvas positions (the document's `ui.positions`) when every node has one and
no two boxes overlap, otherwise a fresh layered layout of those boxes. The
picture's bounds hold every box, wire and label, so nothing is clipped.
"""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtGui

from kerascanvas.graph.document import Document
from kerascanvas.graph.layout import layered_layout
from kerascanvas.graph.layout_labels import label_widths
from kerascanvas.graph.validate import Analysis, analyze

from .export_wires import DrawnEdge, drawn_edges, output_port_point, port_counts
from .node_style import (
    MIN_WIDTH,
    OUTPUT_COLOR,
    OUTPUT_RING_RADIUS,
    OUTPUT_RING_WIDTH,
    PAD,
    TITLE_KEYS,
    node_fonts,
    node_size,
    title_line,
)
from .render import model_output_ports, outputs_text, subtitle_text

NODE_SIZE = (MIN_WIDTH, 40.0)  # the smallest box drawn
MARGIN = 40.0
EXPORT_ASPECT = 1.4  # a fresh layout for a picture fills a landscape page
FORMATS = ("png", "svg")
_FILL, _ERROR_FILL = QtGui.QColor("#eef3fb"), QtGui.QColor("#fbeaea")
_BORDER, _ERROR = QtGui.QColor("#4a6fa5"), QtGui.QColor("#c0392b")
_TEXT, _MUTED = QtGui.QColor("#1c1c1c"), QtGui.QColor("#555555")


def node_lines(doc: Document, analysis: Analysis, node_id: str) -> list[tuple[str, str]]:
    """(font key, text) of a node box, as the canvas draws it."""
    node, result = doc.nodes[node_id], analysis.results.get(node_id)
    marked = model_output_ports(doc).get(node_id, set())
    ports = len(result.output_shapes or ()) if result is not None else 1
    lines = [title_line(node.name), ("small", subtitle_text(doc, node, result, marked, ports))]
    if not doc.out_edges(node_id) or marked:
        lines.append(("mono", outputs_text(result)))
    return lines


def node_boxes(doc: Document, analysis: Analysis) -> dict[str, QtCore.QRectF]:
    """Each node's box: canvas positions when they hold every box apart, else a layout."""
    marked = model_output_ports(doc)
    sizes = {nid: node_size(node_lines(doc, analysis, nid), max(port_counts(doc, nid)),
                            ring=bool(marked.get(nid)))
             for nid in doc.nodes}
    stored = {nid: doc.position(nid) for nid in doc.nodes}
    if doc.nodes and all(stored.values()):
        boxes = {nid: QtCore.QRectF(float(p[0]), float(p[1]), *sizes[nid])
                 for nid, p in stored.items()}
        if not any_overlap(list(boxes.values())):
            return boxes
    positions = layered_layout(doc, "TB", sizes, aspect=EXPORT_ASPECT, labels=label_widths(doc))
    return {nid: QtCore.QRectF(*positions[nid], *sizes[nid]) for nid in doc.nodes}


def any_overlap(rects: list[QtCore.QRectF]) -> bool:
    """Whether two rectangles share area (sorted sweep: fast for laid-out graphs)."""
    ordered = sorted(rects, key=QtCore.QRectF.left)
    for i, a in enumerate(ordered):
        for b in ordered[i + 1:]:
            if b.left() >= a.right():
                break
            if a.intersected(b).isValid():
                return True
    return False


def picture_bounds(doc, analysis, boxes, edges=None) -> QtCore.QRectF:
    """The picture's extent in canvas units: every box, wire and label, and a margin."""
    rect = QtCore.QRectF()
    for box in boxes.values():
        rect = rect.united(box)
    for edge in drawn_edges(doc, analysis, boxes) if edges is None else edges:
        rect = rect.united(edge.label).united(edge.path.boundingRect())
    return rect.adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)


def _draw_edges(painter: QtGui.QPainter, edges: list[DrawnEdge]) -> None:
    painter.save()
    painter.setFont(node_fonts()["label"])  # the canvas' label font: its labels' sizes
    for edge in edges:
        painter.setPen(QtGui.QPen(_MUTED, 1.4))
        painter.setBrush(QtCore.Qt.NoBrush)
        painter.drawPath(edge.path)
        painter.setBrush(_MUTED)
        _arrow_head(painter, edge.path)
        if edge.text:  # a label the canvas hides is left out
            painter.drawText(edge.label, QtCore.Qt.AlignLeft, edge.text)
    painter.restore()


def _arrow_head(painter: QtGui.QPainter, path: QtGui.QPainterPath) -> None:
    """An arrow at the end of `path`, along its last stretch."""
    end = path.pointAtPercent(1.0)
    line = QtCore.QLineF(end, path.pointAtPercent(max(0.0, 1.0 - 4.0 / max(path.length(), 1.0))))
    if line.length() == 0:
        return
    line.setLength(9.0)
    left, right = QtCore.QLineF(line), QtCore.QLineF(line)
    left.setAngle(line.angle() + 25)
    right.setAngle(line.angle() - 25)
    painter.drawPolygon(QtGui.QPolygonF([end, left.p2(), right.p2()]))


def _draw_nodes(painter: QtGui.QPainter, doc, analysis, boxes) -> None:
    fonts = node_fonts()
    for nid, box in boxes.items():
        failing = any(i.severity == "error" for i in analysis.issues_for(nid))
        painter.setPen(QtGui.QPen(_ERROR if failing else _BORDER, 1.4))
        painter.setBrush(_ERROR_FILL if failing else _FILL)
        painter.drawRect(box)  # a plain rect: one <rect> per node in the SVG
        y = box.top() + PAD
        for key, text in node_lines(doc, analysis, nid):
            height = QtGui.QFontMetricsF(fonts[key]).height()
            painter.setFont(fonts[key])
            painter.setPen(_TEXT if key == "title" else _MUTED)
            painter.drawText(QtCore.QRectF(box.left(), y, box.width(), height),
                             QtCore.Qt.AlignCenter, text)
            y += height + (2.0 if key in TITLE_KEYS else 0.0)


def _draw_output_rings(painter: QtGui.QPainter, doc, boxes) -> None:
    """A green ring on each output port that is a model output, as the canvas marks it."""
    painter.save()
    painter.setPen(QtGui.QPen(QtGui.QColor(*OUTPUT_COLOR), OUTPUT_RING_WIDTH))
    painter.setBrush(QtCore.Qt.NoBrush)
    for nid, ports in model_output_ports(doc).items():
        if nid in boxes:
            for port in sorted(ports):
                center = output_port_point(doc, boxes[nid], nid, port)
                painter.drawEllipse(center, OUTPUT_RING_RADIUS, OUTPUT_RING_RADIUS)
    painter.restore()


def paint_graph(painter: QtGui.QPainter, doc: Document, analysis: Analysis,
                boxes, origin: QtCore.QPointF, edges: list[DrawnEdge] | None = None) -> None:
    """Draw edges then nodes, then any wire that still crosses a box (so that none hides
    behind one), shifted so `origin` lands at (0, 0)."""
    edges = drawn_edges(doc, analysis, boxes) if edges is None else edges
    painter.translate(-origin)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    _draw_edges(painter, [e for e in edges if not e.on_top])
    _draw_nodes(painter, doc, analysis, boxes)
    _draw_edges(painter, [e for e in edges if e.on_top])
    _draw_output_rings(painter, doc, boxes)


def export_image(doc: Document, path: str | Path, fmt: str | None = None,
                 scale: float = 2.0, analysis=None) -> Path:
    """Write the graph picture to `path` as PNG or SVG (from `fmt` or the suffix).

    `analysis` is the document's (a project's live one); without it the picture's
    shapes are inferred here. Needs a QGuiApplication (offscreen is fine); one is
    made when none exists.
    """
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise ValueError(f"Expected an image format among {', '.join(FORMATS)}. "
                         f"Received: {fmt!r} (for {path})")
    if not path.parent.is_dir():  # before painting: Qt would warn once per stroke
        raise OSError(f"Could not write the {fmt.upper()} image {path}: the folder "
                      f"{path.parent} does not exist")
    _ensure_app()
    analysis = analysis if analysis is not None else analyze(doc)
    boxes = node_boxes(doc, analysis)
    edges = drawn_edges(doc, analysis, boxes)
    bounds = picture_bounds(doc, analysis, boxes, edges)
    if fmt == "svg":
        _write_svg(doc, analysis, (boxes, edges), bounds, path)
    else:
        _write_png(doc, analysis, (boxes, edges), bounds, path, scale)
    return path


def _write_png(doc, analysis, drawing, bounds, path: Path, scale: float) -> None:
    size = QtCore.QSize(int(bounds.width() * scale), int(bounds.height() * scale))
    image = QtGui.QImage(size, QtGui.QImage.Format.Format_ARGB32)
    image.fill(QtGui.QColor("white"))
    painter = QtGui.QPainter(image)
    painter.scale(scale, scale)
    paint_graph(painter, doc, analysis, drawing[0], bounds.topLeft(), drawing[1])
    painter.end()
    if not image.save(str(path), "PNG"):
        raise OSError(f"Could not write the PNG image {path}")


def _write_svg(doc, analysis, drawing, bounds, path: Path) -> None:
    from PySide6.QtSvg import QSvgGenerator

    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(QtCore.QSize(int(bounds.width()), int(bounds.height())))
    generator.setViewBox(QtCore.QRectF(0, 0, bounds.width(), bounds.height()))
    generator.setTitle("Keras Canvas graph")
    painter = QtGui.QPainter(generator)
    if not painter.isActive():  # the file cannot be opened: nothing is drawn
        raise OSError(f"Could not write the SVG image {path}")
    paint_graph(painter, doc, analysis, drawing[0], bounds.topLeft(), drawing[1])
    painter.end()


def _ensure_app():
    """The process's Qt application, made when there is none. A QApplication, not a bare
    QGuiApplication: Qt allows one application per process, and widgets made later in
    the same process (the window, or GUI tests after an export in one test process)
    abort under a QGuiApplication ('Cannot create a QWidget without QApplication')."""
    app = QtGui.QGuiApplication.instance()
    if app is None:
        import os

        from PySide6 import QtWidgets

        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QtWidgets.QApplication([])
    return app
