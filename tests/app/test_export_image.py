"""PNG and SVG pictures of the graph, from the module and from `kerascanvas export`."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6 import QtCore, QtGui

from kerascanvas.app import cli as app_cli
from kerascanvas.app.canvas.export_image import NODE_SIZE, export_image
from kerascanvas.app.canvas.render import shape_text
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.project import Project
from kerascanvas.graph.validate import analyze

EXAMPLES = Path(__file__).resolve().parents[2] / "resources" / "examples"


def svg_text(path: Path) -> str:
    root = ET.parse(path).getroot()  # parses as XML, or raises
    return " ".join(t.strip() for t in root.itertext() if t.strip())


@pytest.mark.parametrize("example", ["digits_cnn", "inception_net", "customer_tickets"])
def test_svg_holds_every_node_name_and_edge_shape(qapp, tmp_path, example):
    doc = Project.open(EXAMPLES / f"{example}.json").doc
    path = export_image(doc, tmp_path / "graph.svg")
    text = svg_text(path)
    analysis = analyze(doc)
    for node in doc.nodes.values():
        assert node.name in text
    for edge in doc.edges:
        assert shape_text(analysis.edge_shape(edge)) in text


def test_png_has_a_size_that_fits_the_graph(qapp, tmp_path):
    doc = Project.open(EXAMPLES / "digits_cnn.json").doc
    path = export_image(doc, tmp_path / "graph.png", scale=1.0)
    image = QtGui.QImage(str(path))
    assert not image.isNull()
    assert image.width() >= NODE_SIZE[0] and image.height() >= len(doc.nodes) * NODE_SIZE[1] / 4
    assert image.width() < 20000 and image.height() < 20000


def test_unknown_format_is_refused(qapp, tmp_path):
    doc = Project.open(EXAMPLES / "digits_cnn.json").doc
    with pytest.raises(ValueError, match="png, svg"):
        export_image(doc, tmp_path / "graph.gif")


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_a_missing_folder_is_named_and_nothing_is_painted(qapp, tmp_path, capsys, fmt):
    messages = []
    QtCore.qInstallMessageHandler(lambda mode, context, text: messages.append(text))
    try:
        code = app_cli.main(["export", str(EXAMPLES / "mnist_cnn.json"), "--format", fmt,
                             "-o", str(tmp_path / "missing" / f"graph.{fmt}")])
    finally:
        QtCore.qInstallMessageHandler(None)
    err = capsys.readouterr().err
    assert code == 1 and "the folder" in err and "missing" in err and "does not exist" in err
    assert not [m for m in messages if "QPainter" in m]


@pytest.mark.parametrize("fmt, given", [("png", ["--format", "png"]), ("svg", [])])
def test_export_command_writes_images(qapp, tmp_path, capsys, fmt, given):
    """svg without --format: the suffix of -o names it."""
    out = tmp_path / f"graph.{fmt}"
    code = app_cli.main(["export", str(EXAMPLES / "mnist_cnn.json"), *given, "-o", str(out)])
    assert code == 0, capsys.readouterr().err
    assert out.stat().st_size > 500


def test_export_command_still_writes_code(tmp_path):
    out = tmp_path / "model.py"
    assert app_cli.main(["export", str(EXAMPLES / "mnist_cnn.json"), "--format", "py",
                         "-o", str(out)]) == 0
    assert "def build_model" in out.read_text()


def svg_node_rects(path: Path) -> list[tuple[float, float, float, float]]:
    """(left, top, right, bottom) of every node box in an exported SVG, in picture units."""
    rects = []
    for group in ET.parse(path).getroot().iter("{http://www.w3.org/2000/svg}g"):
        dx, dy = 0.0, 0.0
        transform = group.get("transform", "")
        if transform.startswith("matrix("):
            values = [float(v) for v in transform[7:-1].split(",")]
            dx, dy = values[4], values[5]
        for rect in group.findall("{http://www.w3.org/2000/svg}rect"):
            x, y = float(rect.get("x")) + dx, float(rect.get("y")) + dy
            rects.append((x, y, x + float(rect.get("width")), y + float(rect.get("height"))))
    return rects


def assert_apart_and_inside(path: Path, count: int) -> None:
    rects = svg_node_rects(path)
    assert len(rects) == count
    for i, a in enumerate(rects):
        for b in rects[i + 1:]:
            overlap = min(a[2], b[2]) - max(a[0], b[0]), min(a[3], b[3]) - max(a[1], b[1])
            assert overlap[0] <= 0 or overlap[1] <= 0, (a, b)
    view = [float(v) for v in ET.parse(path).getroot().get("viewBox").split()]
    assert all(r[0] >= 0 and r[1] >= 0 and r[2] <= view[2] and r[3] <= view[3] for r in rects)


@pytest.mark.parametrize("example", sorted(p.stem for p in EXAMPLES.glob("*.json")))
def test_no_two_node_boxes_overlap_in_the_svg(qapp, tmp_path, example):
    doc = Project.open(EXAMPLES / f"{example}.json").doc
    assert_apart_and_inside(export_image(doc, tmp_path / "graph.svg"), len(doc.nodes))


def test_imported_mobilenet_v2_exports_without_overlaps(qapp, tmp_path, imported_project):
    doc = Project.open(imported_project("MobileNetV2")).doc
    assert_apart_and_inside(export_image(doc, tmp_path / "graph.svg"), len(doc.nodes))


def test_model_output_ports_have_the_canvas_green_ring_in_the_png(qapp, tmp_path):
    """The scores port of the attention example and its classifier's output are model
    outputs: a green ring around each, none around the attention's other output port."""
    from kerascanvas.app.canvas.export_image import node_boxes, output_port_point, picture_bounds
    from kerascanvas.app.canvas.node_style import OUTPUT_COLOR, OUTPUT_RING_RADIUS

    doc = Project.open(EXAMPLES / "attention_states.json").doc
    scale = 2.0
    image = QtGui.QImage(str(export_image(doc, tmp_path / "graph.png", scale=scale)))
    analysis = analyze(doc)
    boxes = node_boxes(doc, analysis)
    origin = picture_bounds(doc, analysis, boxes).topLeft()

    def ring_pixel(name: str, port: int) -> QtGui.QColor:
        node_id = doc.find(name).id
        center = output_port_point(doc, boxes[node_id], node_id, port)
        x = (center.x() + OUTPUT_RING_RADIUS - origin.x()) * scale
        return image.pixelColor(round(x), round((center.y() - origin.y()) * scale))

    green = QtGui.QColor(*OUTPUT_COLOR)
    for name, port in (("attention", 1), ("topic", 0)):
        assert ring_pixel(name, port) == green, (name, port, ring_pixel(name, port).name())
    assert ring_pixel("attention", 0) != green


def test_svg_rings_each_model_output_port_once(qapp, tmp_path):
    from kerascanvas.app.canvas.node_style import OUTPUT_COLOR

    doc = Project.open(EXAMPLES / "attention_states.json").doc
    root = ET.parse(export_image(doc, tmp_path / "graph.svg")).getroot()
    green = QtGui.QColor(*OUTPUT_COLOR).name()
    rings = [c for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("stroke") == green
             for c in g if c.tag.endswith(("circle", "ellipse"))]
    assert len(rings) == len(doc.outputs) == 2


SVG = "{http://www.w3.org/2000/svg}"


def svg_drawing(path: Path) -> list[tuple[str, list]]:
    """("box", [rect]) and ("wire", [points along it]) in the order the SVG paints them."""
    drawn = []
    for group in ET.parse(path).getroot().iter(f"{SVG}g"):
        values = [0.0] * 6
        if group.get("transform", "").startswith("matrix("):
            values = [float(v) for v in group.get("transform")[7:-1].split(",")]
        dx, dy = values[4], values[5]
        for child in group:
            if child.tag == f"{SVG}rect":
                x, y = float(child.get("x")) + dx, float(child.get("y")) + dy
                drawn.append(("box", [QtCore.QRectF(x, y, float(child.get("width")),
                                                    float(child.get("height")))]))
            elif (child.tag in (f"{SVG}path", f"{SVG}polyline")
                  and (child.get("fill") or group.get("fill")) == "none"):  # not an arrow
                d = child.get("d") or "M" + " L".join(child.get("points").split())
                drawn.append(("wire", [p + QtCore.QPointF(dx, dy) for p in path_points(d)]))
    return drawn


def path_points(d: str) -> list[QtCore.QPointF]:
    """Points every few units along an SVG path of M, L and C commands."""
    tokens = re.findall(r"[MLC]|-?[\d.]+(?:e-?\d+)?", d)
    points, at, i = [], None, 0
    while i < len(tokens):
        op = tokens[i]
        if op in "ML":
            end = QtCore.QPointF(float(tokens[i + 1]), float(tokens[i + 2]))
            if op == "L":
                points += [at + (end - at) * (k / 40) for k in range(1, 41)]
            at, i = end, i + 3
        else:  # C: two control points and the end
            c1, c2, end = (QtCore.QPointF(float(tokens[j]), float(tokens[j + 1]))
                           for j in (i + 1, i + 3, i + 5))
            points += [at * (1 - t) ** 3 + c1 * 3 * t * (1 - t) ** 2 + c2 * 3 * t * t * (1 - t)
                       + end * t ** 3 for t in (k / 40 for k in range(1, 41))]
            at, i = end, i + 7
    return points


def hidden_wires(path: Path) -> list[int]:
    """The wires with a point inside a box painted after them (so hidden behind it)."""
    drawn, hidden = svg_drawing(path), []
    for index, (kind, points) in enumerate(drawn):
        later = [shapes[0].adjusted(2, 2, -2, -2) for k, shapes in drawn[index + 1:]
                 if k == "box"]
        if kind == "wire" and any(box.contains(p) for box in later for p in points):
            hidden.append(index)
    return hidden


def skip_past_three_layers() -> Document:
    """x -> d0 -> d1 -> d2 -> sum, and x -> sum, placed in one column: the skip's straight
    line would run through d0, d1 and d2."""
    doc = Document()
    ids = [doc.add_node("Input", "x", params={"shape": [16]}).id]
    for i in range(3):
        ids.append(doc.add_node("Dense", f"d{i}", params={"units": 16}).id)
        doc.connect(Edge(ids[-2], 0, ids[-1], 0))
    ids.append(doc.add_node("Add", "sum").id)
    doc.connect(Edge(ids[-2], 0, ids[-1], 0))
    doc.connect(Edge(ids[0], 0, ids[-1], 1))
    for row, node_id in enumerate(ids):
        doc.set_position(node_id, (0.0, 100.0 * row))
    doc.outputs = [ids[-1]]
    return doc


def test_a_skip_wire_goes_around_the_boxes_it_would_cross(qapp, tmp_path):
    path = export_image(skip_past_three_layers(), tmp_path / "skip.svg")
    drawn = svg_drawing(path)
    boxes = [shapes[0].adjusted(2, 2, -2, -2) for kind, shapes in drawn if kind == "box"]
    wires = [points for kind, points in drawn if kind == "wire"]
    assert len(boxes) == 5 and len(wires) == 5
    for points in wires:
        assert not any(box.contains(p) for box in boxes for p in points)


@pytest.mark.parametrize("example", ["attention_states", "densenet_small", "customer_tickets"])
def test_no_wire_is_hidden_behind_a_box(qapp, tmp_path, example):
    doc = Project.open(EXAMPLES / f"{example}.json").doc
    assert hidden_wires(export_image(doc, tmp_path / "graph.svg")) == []


def test_a_long_chain_wraps_into_columns_without_hidden_wires(qapp, tmp_path):
    """A fresh layout puts a long chain in columns; the wire into each next column and a
    skip from the first layer to the last must stay in sight."""
    doc = Document()
    ids = [doc.add_node("Input", "x", params={"shape": [16]}).id]
    for i in range(24):
        ids.append(doc.add_node("Dense", f"d{i}", params={"units": 16}).id)
        doc.connect(Edge(ids[-2], 0, ids[-1], 0))
    doc.connect(Edge(ids[0], 0, doc.add_node("Add", "sum").id, 1))
    doc.connect(Edge(ids[-1], 0, doc.find("sum").id, 0))
    assert hidden_wires(export_image(doc, tmp_path / "chain.svg")) == []


def test_an_export_in_a_process_without_an_application_leaves_widgets_possible(tmp_path):
    """A process (a test run, a script) that exports before any window: the application the
    export makes can hold widgets afterwards, instead of Qt aborting the process."""
    code = ("import sys; from pathlib import Path; "
            "from kerascanvas.graph.projectfile import load; "
            "from kerascanvas.app.canvas.export_image import export_image; "
            f"export_image(load({str(EXAMPLES / 'mnist_cnn.json')!r}), "
            f"Path({str(tmp_path / 'graph.png')!r})); "
            "from PySide6 import QtWidgets; QtWidgets.QWidget(); print('widget made')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and "widget made" in done.stdout, done.stderr[-2000:]
    assert (tmp_path / "graph.png").stat().st_size > 0
