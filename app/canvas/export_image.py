"""The graph as a picture: PNG or SVG, drawn offscreen like `plot_model(show_shapes=True)`.

One painter routine draws both formats: a box per node (name, kind, output
shape, parameter count; problems in red) and an arrow per edge labelled with
the tensor shape it carries. Positions come from the canvas (the document's
`ui.positions`) when every node has one, otherwise from the layered layout.
"""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtGui

from kerascanvas.graph.document import Document
from kerascanvas.graph.layout import layered_layout
from kerascanvas.graph.validate import Analysis, analyze

from .render import count_text, shape_text

NODE_SIZE = (220.0, 84.0)
MARGIN = 40.0
FORMATS = ("png", "svg")
_FILL, _ERROR_FILL = QtGui.QColor("#eef3fb"), QtGui.QColor("#fbeaea")
_BORDER, _ERROR = QtGui.QColor("#4a6fa5"), QtGui.QColor("#c0392b")
_TEXT, _MUTED = QtGui.QColor("#1c1c1c"), QtGui.QColor("#555555")


def node_positions(doc: Document) -> dict[str, tuple[float, float]]:
    """Top-left corners: the canvas positions if every node has one, else a fresh layout."""
    stored = {nid: doc.position(nid) for nid in doc.nodes}
    if doc.nodes and all(stored.values()):
        return {nid: (float(p[0]), float(p[1])) for nid, p in stored.items()}
    return layered_layout(doc, "TB", {nid: NODE_SIZE for nid in doc.nodes})


def node_lines(doc: Document, analysis: Analysis, node_id: str) -> list[str]:
    """The text of a node box: name, kind, output shape(s), parameter count."""
    node = doc.nodes[node_id]
    result = analysis.results.get(node_id)
    kind = node.kind
    if kind == "UserBlock":
        kind = f"UserBlock {node.params.get('block', '')}"
    lines = [node.name, kind]
    shapes = result.output_shapes if result is not None else None
    lines.append(" ".join(shape_text(s) for s in shapes) if shapes else "?")
    counted = count_text(result.count) if result is not None else ""
    if counted:
        lines.append(counted)
    return lines


def _bounds(positions) -> QtCore.QRectF:
    xs = [p[0] for p in positions.values()] or [0.0]
    ys = [p[1] for p in positions.values()] or [0.0]
    w, h = NODE_SIZE
    return QtCore.QRectF(min(xs) - MARGIN, min(ys) - MARGIN,
                         max(xs) - min(xs) + w + 2 * MARGIN, max(ys) - min(ys) + h + 2 * MARGIN)


def _draw_edges(painter: QtGui.QPainter, doc, analysis, positions) -> None:
    w, h = NODE_SIZE
    painter.setPen(QtGui.QPen(_MUTED, 1.4))
    small = QtGui.QFont(painter.font())
    small.setPointSizeF(7.5)
    for edge in doc.edges:
        if edge.src not in positions or edge.dst not in positions:
            continue
        sx, sy = positions[edge.src]
        dx, dy = positions[edge.dst]
        start = QtCore.QPointF(sx + w / 2, sy + h)
        end = QtCore.QPointF(dx + w / 2, dy)
        painter.drawLine(start, end)
        _arrow_head(painter, start, end)
        painter.save()
        painter.setFont(small)
        middle = (start + end) / 2
        painter.drawText(QtCore.QPointF(middle.x() + 4, middle.y()),
                         shape_text(analysis.edge_shape(edge)))
        painter.restore()


def _arrow_head(painter: QtGui.QPainter, start: QtCore.QPointF, end: QtCore.QPointF) -> None:
    line = QtCore.QLineF(end, start)
    if line.length() == 0:
        return
    line.setLength(9.0)
    left, right = QtCore.QLineF(line), QtCore.QLineF(line)
    left.setAngle(line.angle() + 25)
    right.setAngle(line.angle() - 25)
    painter.drawPolygon(QtGui.QPolygonF([end, left.p2(), right.p2()]))


def _draw_nodes(painter: QtGui.QPainter, doc, analysis, positions) -> None:
    w, h = NODE_SIZE
    bold = QtGui.QFont(painter.font())
    bold.setBold(True)
    for nid, (x, y) in positions.items():
        failing = bool([i for i in analysis.issues_for(nid) if i.severity == "error"])
        painter.setPen(QtGui.QPen(_ERROR if failing else _BORDER, 1.6))
        painter.setBrush(_ERROR_FILL if failing else _FILL)
        painter.drawRoundedRect(QtCore.QRectF(x, y, w, h), 8, 8)
        for row, text in enumerate(node_lines(doc, analysis, nid)):
            painter.setFont(bold if row == 0 else QtGui.QFont(painter.font()))
            painter.setPen(_TEXT if row == 0 else _MUTED)
            rect = QtCore.QRectF(x + 8, y + 4 + row * 19, w - 16, 19)
            painter.drawText(rect, QtCore.Qt.AlignmentFlag.AlignLeft, text)
            if row == 0:
                painter.setFont(QtGui.QFont(bold.family(), bold.pointSize()))


def paint_graph(painter: QtGui.QPainter, doc: Document, analysis: Analysis,
                positions, origin: QtCore.QPointF) -> None:
    """Draw edges then nodes, shifted so `origin` lands at (0, 0)."""
    painter.translate(-origin)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    painter.setBrush(_MUTED)
    _draw_edges(painter, doc, analysis, positions)
    _draw_nodes(painter, doc, analysis, positions)


def export_image(doc: Document, path: str | Path, fmt: str | None = None,
                 scale: float = 2.0) -> Path:
    """Write the graph picture to `path` as PNG or SVG (from `fmt` or the suffix).

    Needs a QGuiApplication (offscreen is fine); one is made when none exists.
    """
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise ValueError(f"Expected an image format among {', '.join(FORMATS)}. "
                         f"Received: {fmt!r} (for {path})")
    _ensure_app()
    analysis = analyze(doc)
    positions = node_positions(doc)
    bounds = _bounds(positions)
    if fmt == "svg":
        _write_svg(doc, analysis, positions, bounds, path)
    else:
        _write_png(doc, analysis, positions, bounds, path, scale)
    return path


def _write_png(doc, analysis, positions, bounds, path: Path, scale: float) -> None:
    size = QtCore.QSize(int(bounds.width() * scale), int(bounds.height() * scale))
    image = QtGui.QImage(size, QtGui.QImage.Format.Format_ARGB32)
    image.fill(QtGui.QColor("white"))
    painter = QtGui.QPainter(image)
    painter.scale(scale, scale)
    paint_graph(painter, doc, analysis, positions, bounds.topLeft())
    painter.end()
    if not image.save(str(path), "PNG"):
        raise OSError(f"Could not write the PNG image {path}")


def _write_svg(doc, analysis, positions, bounds, path: Path) -> None:
    from PySide6.QtSvg import QSvgGenerator

    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(QtCore.QSize(int(bounds.width()), int(bounds.height())))
    generator.setViewBox(QtCore.QRectF(0, 0, bounds.width(), bounds.height()))
    generator.setTitle("Keras Canvas graph")
    painter = QtGui.QPainter(generator)
    paint_graph(painter, doc, analysis, positions, bounds.topLeft())
    painter.end()
    if not path.exists():
        raise OSError(f"Could not write the SVG image {path}")


def _ensure_app():
    app = QtGui.QGuiApplication.instance()
    if app is None:
        import os

        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QtGui.QGuiApplication([])
    return app
