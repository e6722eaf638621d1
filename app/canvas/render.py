"""Shapes, parameter counts and problems drawn onto the canvas nodes.

After a burst of document events the renderer runs once (a zero-delay timer),
reads the incremental analysis and redraws only the nodes whose text or status
changed, so a 500-node graph stays fluid while editing. It also writes each
tensor's shape on the wires that carry it.
"""

from __future__ import annotations

from PySide6 import QtCore

from ...graph.document import output_entry
from ...graph.errors import KerasCanvasError
from ...graph.shapes import fmt
from ...graph.training import output_name
from ...graph.userblocks import spec_for_display
from .labels import LabelQueue
from .pipes import batched_pipes
from .ports import PipeBatch


def shape_text(shape) -> str:
    """`(None, 26, 26, 32)` for a shape tuple, written as Keras' summary writes it (`(None,)`
    for one axis), `?` when it is unknown."""
    if shape is None:
        return "?"
    return fmt(shape)


def count_text(count) -> str:
    """`1,234 params` (trainable + non-trainable), `? params` when the weights are unknown
    (None: a custom layer without source), or empty without a count (`()`)."""
    if count is None:
        return "? params"
    if not count:
        return ""
    total = count[0] + count[1]
    return f"{total:,} param" + ("" if total == 1 else "s")


def node_issues(analysis, extra=()) -> dict:
    """Issues grouped by node id, in report order (the analysis', then `extra`)."""
    grouped: dict = {}
    for issue in [*analysis.issues, *extra]:
        grouped.setdefault(issue.node, []).append(issue)
    return grouped


def kind_text(doc, node) -> str:
    """The kind as shown: generic layers name their Keras class, call sites their owner."""
    if node.kind == "KerasLayer":
        return f"generic {node.params.get('class_name', '?')}"
    if node.kind == "SharedCall":
        owner = doc.nodes.get(node.params.get("layer"))
        return f"shares {owner.name if owner else '?'}"
    if node.kind == "UserBlock":
        return f"block {node.params.get('block', '?')}"
    if node.kind == "CustomLayer":
        return f"custom {node.params.get('class_name', '?')}"
    return node.kind


def output_mark_text(output_ports, ports: int) -> str:
    """Which of a node's `ports` output ports are model outputs: `output` for the only
    port of a node, `output ports 1, 2` for some ports of several, else empty."""
    marked = sorted(output_ports)
    if not marked:
        return ""
    if ports <= 1 and marked == [0]:
        return "output"
    return ("output port " if len(marked) == 1 else "output ports ") + \
        ", ".join(str(p) for p in marked)


def model_output_ports(doc) -> dict[str, set[int]]:
    """node id -> the indices of its output ports that are model outputs."""
    marked: dict[str, set[int]] = {}
    for node_id, port in doc.output_refs():
        marked.setdefault(node_id, set()).add(port)
    return marked


def wanted_ports(doc, node_id: str) -> tuple[list[str], int]:
    """Input port names and the number of output ports a node shows (on the canvas and in
    the exported picture)."""
    node = doc.nodes[node_id]
    spec = spec_for_display(doc, node)
    if spec.is_merge:  # merges keep one free input to wire the next operand to
        used = max((e.dst_port + 1 for e in doc.in_edges(node_id)), default=0)
        count = max(used + 1, spec.min_inputs)
    else:
        count = spec.max_ports(node.params)
    inputs = [spec.port_name(i, node.params) for i in range(count)]
    try:
        outputs = spec.output_count(node.params)
    except (KerasCanvasError, KeyError, TypeError):
        outputs = 1
    return inputs, outputs


def subtitle_text(doc, node, result, output_ports=(), ports: int = 1) -> str:
    """A node's second line: `Conv2D · 320 params · output`, or `LSTM · 2,112 params ·
    output ports 1, 2` when some ports of several are model outputs."""
    # Until its inputs are known a node's weights are not: "? params", as in the summary
    # (a Conv2D dropped on the canvas read "0 params").
    count = "" if result is None else count_text(result.count if result.ok else None)
    mark = output_mark_text(output_ports, ports)
    return " · ".join([kind_text(doc, node)] + ([count] if count else [])
                      + ([mark] if mark else []))


def port_tips(doc, node, result, item) -> None:
    """Each port's tooltip: which port, the shape it carries, and whether (and as what)
    it is a model output."""
    shapes = list(result.output_shapes or ()) if result is not None else []
    names = {port: output_name(doc, output_entry(node.id, port)) for port in item.output_ports}
    for index, port in enumerate(item.outputs):
        shape = shape_text(shapes[index]) if index < len(shapes) else "?"
        tip = f"{node.name}: output port {index}, {shape}"
        if index in names:
            tip += f"\nModel output {names[index]!r} (right-click to unmark)"
        else:
            tip += "\nRight-click to make it a model output"
        port.tip = tip
    for port in item.inputs:
        port.tip = f"{node.name}: input {port.name}"


def outputs_text(result) -> str:
    """The output shape(s) of a node, `?` while unknown."""
    shapes = list(result.output_shapes or ()) if result is not None else []
    return "  ".join(shape_text(s) for s in shapes) if shapes else "?"


def label_pipes(item, result) -> None:
    """Write each output's shape on the wires leaving it (`?` while it is unknown)."""
    shapes = list(result.output_shapes or ()) if result is not None else []
    for index, port in enumerate(item.outputs):
        text = shape_text(shapes[index]) if index < len(shapes) else "?"
        for pipe in port.connected_pipes:
            pipe.set_label(text)


class NodeRenderer(QtCore.QObject):
    """Pushes analysis results into the node items of a `Canvas`."""

    rendered = QtCore.Signal()

    def __init__(self, canvas):
        super().__init__(canvas)
        self.canvas = canvas
        self._shown: dict[str, tuple] = {}
        self.data_issues: list = []  # the training data's findings, listed in Issues too
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.render)

    @property
    def analysis(self):
        """The project's analysis, which the renderer draws from."""
        return self.canvas.project.analysis

    def show_data_issues(self, issues) -> None:
        """Ring and tip the nodes the data's findings are pinned to, as their own issues."""
        if list(issues) != self.data_issues:
            self.data_issues = list(issues)
            self.schedule()

    def schedule(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def forget(self, node_id: str) -> None:
        self._shown.pop(node_id, None)

    def shown(self, node_id: str) -> tuple | None:
        """What the node's item shows (None: not drawn yet)."""
        return self._shown.get(node_id)

    def remember(self, node_id: str, shown: tuple | None) -> None:
        """The node's item shows `shown` already (an item put back as it was drawn)."""
        if shown is None:
            self._shown.pop(node_id, None)
        else:
            self._shown[node_id] = shown

    def forget_all(self) -> None:
        self._shown.clear()

    def render(self) -> None:
        """Redraw the nodes whose shapes, count, name or problems changed."""
        self._timer.stop()
        analysis = self.analysis
        issues = node_issues(analysis, self.data_issues)
        doc, views = self.canvas.doc, self.canvas.views
        outputs = model_output_ports(doc)
        wired = {(e.src, e.src_port) for e in doc.edges}
        with batched_pipes():  # a node resized by its new texts moves its ports: each
            self._draw_changed(views, analysis, issues, outputs, wired)  # pipe drawn once
        if PipeBatch.pipes is None:  # else the batch's end places them, its wires drawn
            LabelQueue.flush()
        self.rendered.emit()

    def _draw_changed(self, views, analysis, issues, outputs, wired) -> None:
        doc = self.canvas.doc
        for node_id, item in views.items():
            result = analysis.results.get(node_id)
            mine = tuple((i.severity, i.message) for i in issues.get(node_id, ()))
            node = doc.nodes[node_id]
            unwired = any((node_id, p) not in wired for p in range(len(item.outputs)))
            marked = frozenset(outputs.get(node_id, ()))
            key = (node.kind, node.name, marked, mine,
                   None if result is None else (tuple(result.output_shapes or ()), result.count),
                   len(item.outputs), unwired)
            if self._shown.get(node_id) != key:
                self._shown[node_id] = key
                self._draw(item, node, result, mine, marked, unwired)
            label_pipes(item, result)

    def _draw(self, item, node, result, problems, output_ports, unwired) -> None:
        severities = {s for s, _ in problems}
        item.status = "error" if "error" in severities else (
            "warning" if "warning" in severities else None)
        item.set_output_ports(output_ports)
        port_tips(self.canvas.doc, node, result, item)
        tip = [f"{node.name} ({node.kind})", node.spec.doc]
        tip += [f"{s.upper()}: {m}" for s, m in problems]
        item.tip = "\n".join(t for t in tip if t)
        item.set_texts(node.name, subtitle_text(self.canvas.doc, node, result, output_ports,
                                                len(item.outputs)),
                       outputs_text(result), unwired)
        item.update()
