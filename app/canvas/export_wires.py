"""The wires of an exported picture and their shape labels, as the canvas has them.

Each wire is routed by the canvas' `routes` between the same port points, and its
label is placed by the canvas' own `labels.place_groups` on a canvas wire item
(`LayerPipeItem`, with its label font and its arrow) hooked up to stand-in ports:
the label sits where the canvas puts it, off the nodes and the other labels, off
the wires of its two nodes where a spot allows. A label the canvas hides (no spot
off the nodes, or only on another label where its shape shows beside it already:
`label_repeats`; its wire's tooltip names the shape there) is left out of the picture.
"""

from __future__ import annotations

from dataclasses import dataclass

from NodeGraphQt.constants import LayoutDirectionEnum, PipeLayoutEnum
from PySide6 import QtCore, QtGui, QtWidgets

from .label_repeats import hide_repeats
from .labels import Obstacles, parallel, place_groups, shown, wires_out
from .node_columns import NodeColumns
from .node_style import port_x
from .pipes import LayerPipeItem
from .render import shape_text, wanted_ports
from .routes import route, spread

SETTLE_ROUNDS = 8  # passes for labels that made way for others (the canvas: one a turn)


@dataclass
class DrawnEdge:
    """An edge as the picture draws it: its wire, its shape label and where that goes (an
    empty text where the canvas hides it), and whether the wire is drawn over the boxes
    (it still crosses one, and must not be hidden)."""

    path: QtGui.QPainterPath
    text: str
    label: QtCore.QRectF
    on_top: bool = False


def port_counts(doc, node_id: str) -> tuple[int, int]:
    """(input ports, output ports) of a node, as the canvas shows them."""
    inputs, outputs = wanted_ports(doc, node_id)
    return len(inputs), outputs


def output_port_point(doc, box: QtCore.QRectF, node_id: str, port: int) -> QtCore.QPointF:
    """Where output `port` of a node sits on its box's bottom side, as on the canvas."""
    return QtCore.QPointF(box.left() + port_x(box.width(), port_counts(doc, node_id)[1], port),
                          box.bottom())


def edge_ends(doc, edge, boxes) -> tuple[QtCore.QPointF, QtCore.QPointF]:
    """An edge runs from its source's output port to its destination's input port."""
    dst = boxes[edge.dst]
    x = dst.left() + port_x(dst.width(), port_counts(doc, edge.dst)[0], edge.dst_port)
    return (output_port_point(doc, boxes[edge.src], edge.src, edge.src_port),
            QtCore.QPointF(x, dst.top()))


def drawn_edges(doc, analysis, boxes) -> list[DrawnEdge]:
    """Each edge between drawn boxes (in the document's order), routed and labelled as
    the canvas routes and labels it."""
    columns = NodeColumns(list(boxes.items()))
    edges = [e for e in doc.edges if e.src in boxes and e.dst in boxes]
    ends = [edge_ends(doc, edge, boxes) for edge in edges]
    ports: dict[str, dict[int, float]] = {}  # node -> its wired input ports' x
    for edge, (_, end) in zip(edges, ends, strict=True):
        ports.setdefault(edge.dst, {})[edge.dst_port] = end.x()
    routes = [route(start, end, lambda area, e=edge: columns.meeting(area, (e.src, e.dst)),
                    (boxes[edge.src], boxes[edge.dst]), spread(edge.src_port, edge.dst_port),
                    tuple(x for port, x in ports[edge.dst].items() if port != edge.dst_port))
              for edge, (start, end) in zip(edges, ends, strict=True)]
    texts = [shape_text(analysis.edge_shape(edge)) for edge in edges]
    wires = canvas_wires(edges, list(zip(ends, routes, strict=True)), texts, boxes)
    return [DrawnEdge(path, text if label is not None else "",
                      label if label is not None else QtCore.QRectF(),
                      _crosses(path, columns, (edge.src, edge.dst)))
            for edge, (path, label), text in zip(edges, wires, texts, strict=True)]


def _crosses(path: QtGui.QPainterPath, columns, ends) -> bool:
    """Whether `path` passes through a box other than those of its `ends`."""
    outline = QtGui.QPainterPathStroker().createStroke(path)
    return any(outline.intersects(box.adjusted(1.0, 1.0, -1.0, -1.0))
               for box in columns.meeting(path.boundingRect(), ends))


class _Port:
    """What the canvas' wire and label code ask of a port: its node, its kind, its wires,
    where it is."""

    def __init__(self, node, point: QtCore.QPointF, port_type: str):
        self.node, self.point, self.port_type = node, point, port_type
        self.connected_pipes = []

    def scenePos(self) -> QtCore.QPointF:  # noqa: N802 (the port item's Qt name)
        return self.point


class _Node:
    """What the canvas' wire and label code ask of a node: its ports by index, its size."""

    disabled = False  # as NodeGraphQt's arrow asks

    def __init__(self, box: QtCore.QRectF):
        self.box = box
        self.inputs: dict[int, _Port] = {}
        self.outputs: dict[int, _Port] = {}

    def boundingRect(self) -> QtCore.QRectF:  # noqa: N802 (the node item's Qt name)
        return QtCore.QRectF(0.0, 0.0, self.box.width(), self.box.height())


class _Viewer:
    """The canvas viewer's wire settings that NodeGraphQt's curve asks for: the canvas
    keeps NodeGraphQt's curved wires, top to bottom."""

    def get_pipe_layout(self) -> int:
        return PipeLayoutEnum.CURVED.value

    def get_layout_direction(self) -> int:
        return LayoutDirectionEnum.VERTICAL.value


class _Scene(QtWidgets.QGraphicsScene):
    def viewer(self) -> _Viewer:
        return _Viewer()


def canvas_wires(edges, drawn, texts, boxes) -> list[tuple[QtGui.QPainterPath, object]]:
    """The path (from the output port) and the label of each edge as the canvas draws them,
    given each edge's port points and route in `drawn` ((start, end), path or None) and
    its label's text in `texts`, between nodes at `boxes`: the label a rectangle, or None
    where the canvas hides it."""
    scene = _Scene()  # the placement asks a wire for its scene, NodeGraphQt for its viewer
    nodes = {nid: _Node(box) for nid, box in boxes.items()}
    pipes = [_pipe(scene, nodes, *args) for args in zip(edges, drawn, texts, strict=True)]
    for node in nodes.values():  # the ports in index order, as the canvas lists them
        node.inputs = [node.inputs[i] for i in sorted(node.inputs)]
        node.outputs = [node.outputs[i] for i in sorted(node.outputs)]
    obstacles = Obstacles()  # as the canvas counts them: the nodes and the arrow heads
    for nid, box in boxes.items():
        obstacles.solid.put(nid, box)
    for pipe in pipes:
        if pipe._dir_pointer.isVisible():  # none on a wire too short for one
            obstacles.solid.put(pipe, pipe._dir_pointer.sceneBoundingRect())
    queued = dict.fromkeys(_first_queued(pipes))
    placed = []
    for _ in range(SETTLE_ROUNDS):
        items, queued = list(queued), {}
        groups = [wires_out(item) if isinstance(item, _Node) else parallel(item)
                  for item in items]
        place_groups([(wires, obstacles) for wires in groups if wires], queued.setdefault)
        placed += [(pipe, obstacles) for wires in groups for pipe in wires]
        if not queued:
            break
    hide_repeats(placed)  # as the canvas does at the end of a flush
    wires = [(pipe.path().toReversed(), pipe.label.sceneBoundingRect() if shown(pipe) else None)
             for pipe in pipes]
    scene.clear()
    return wires


def _pipe(scene, nodes, edge, drawn, text) -> LayerPipeItem:
    """A canvas wire item between stand-in ports of the edge's two nodes, drawn as the
    canvas draws it from its input port: along its route reversed, or NodeGraphQt's own
    curve where it has none."""
    (start, end), routed = drawn
    pipe = LayerPipeItem()
    src, dst = nodes[edge.src], nodes[edge.dst]
    out = src.outputs.setdefault(edge.src_port, _Port(src, start, "out"))
    into = dst.inputs.setdefault(edge.dst_port, _Port(dst, end, "in"))
    pipe._output_port, pipe._input_port = out, into  # the setters take port items only
    out.connected_pipes.append(pipe)
    into.connected_pipes.append(pipe)
    scene.addItem(pipe)
    if routed is None:
        pipe._draw_path_vertical(into, end, start, QtGui.QPainterPath(end))
    else:
        pipe.setPath(routed.toReversed())
    pipe._draw_direction_pointer()  # the arrow at the wire's middle, which a label avoids
    pipe.label.setText(text)
    return pipe


def _first_queued(pipes) -> list:
    """What the canvas queues as it draws the wires: a wire's source node when it has
    more than one wire out (its labels are placed together), else the wire."""
    items = []
    for pipe in pipes:
        node = pipe.output_port.node
        wires = sum(len(port.connected_pipes) for port in node.outputs)
        items.append(node if wires > 1 else pipe)
    return list(dict.fromkeys(items))
