"""Model outputs on the canvas: which port a right click is on, and the menu entries that
make a node's output ports model outputs or no longer ones.

A node can have several output ports (an RNN's states, attention scores), and any of
them can be a model output ("<node id>:<port>" in the document). A right click on an
output port offers that port; a right click elsewhere on a node offers each of its
output ports. Each entry is one undoable command.
"""

from __future__ import annotations

from NodeGraphQt.constants import PortTypeEnum
from PySide6 import QtGui

from ...graph import commands as cmd
from ...graph.document import output_entry
from ...graph.training import output_name
from .ports import LayerPortItem
from .render import shape_text


def output_port_at(canvas, view_pos) -> tuple[str, int] | None:
    """(node id, port index) of the output port drawn at a viewport position, or None."""
    item = canvas.viewer.itemAt(view_pos)
    if not isinstance(item, LayerPortItem) or item.port_type != PortTypeEnum.OUT.value:
        return None
    node = item.node
    if node is None or node.id not in canvas.views:
        return None
    return node.id, node.outputs.index(item)


def output_actions(canvas, menu, node_id: str, ports=None) -> list[QtGui.QAction]:
    """Checkable entries, one per output port of the node (or per port of `ports`), each
    checked while that port is a model output; toggling one marks or unmarks it."""
    item = canvas.views[node_id]
    count = len(item.outputs)
    result = canvas.project.analysis.results.get(node_id)
    shapes = list(result.output_shapes or ()) if result is not None else []
    actions = []
    for port in range(count) if ports is None else ports:
        entry = output_entry(node_id, port)
        text = "Model output" if count == 1 else f"Model output: port {port}"
        if count > 1 and port < len(shapes):
            text += f" {shape_text(shapes[port])}"
        if entry in canvas.doc.outputs:
            text += f" ({output_name(canvas.doc, entry)})"
        action = QtGui.QAction(text, menu, checkable=True)
        action.setChecked(entry in canvas.doc.outputs)
        action.setObjectName(f"model_output_{port}")
        action.toggled.connect(
            lambda on, port=port: canvas.stack.push(cmd.MarkOutput(canvas.doc, node_id, port, on)))
        actions.append(action)
    return actions


def add_output_actions(canvas, menu, view_pos, selected: list[str]) -> None:
    """The model-output entries for a right click at `view_pos`: the port clicked, else
    every output port of the one selected node; then a separator."""
    port = output_port_at(canvas, view_pos)
    if port is not None:
        actions = output_actions(canvas, menu, port[0], [port[1]])
    elif len(selected) == 1 and selected[0] in canvas.views:
        actions = output_actions(canvas, menu, selected[0])
    else:
        return
    for action in actions:
        menu.addAction(action)
    menu.addSeparator()
