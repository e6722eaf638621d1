"""A node's place in the model, in its properties: its model-output flags and its keys.

`NodeOutputs` is one "model output" box, or one per output port where the node has
several (an RNN's states, attention scores): each port can be a model output of its
own, listed last among the model's outputs. `NodeKeys` adds the key rows of an Input
and of each model output of the node when the model takes or returns a dict. A toggle
or a key is one undoable command; a refused key is said and the field shows the
model's key again.
"""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from ...graph import commands as cmd
from ...graph import model_keys as mk
from ...graph.document import output_entry
from ...graph.errors import KerasCanvasError
from ...graph.userblocks import spec_for_display
from .model_editor import TextField, push_key


class NodeOutputs:
    """The node's "model output" boxes (`boxes`, one per output port), in `form`."""

    def __init__(self, project, node, form: QtWidgets.QFormLayout):
        self.project, self.doc, self.node_id = project, project.doc, node.id
        ports = self.ports()
        self.boxes: list[QtWidgets.QCheckBox] = []
        for port in range(ports):
            box = QtWidgets.QCheckBox("model output" if ports == 1 else
                                      f"model output: port {port}")
            box.setObjectName(f"output_port_{port}")
            box.setChecked(output_entry(node.id, port) in self.doc.outputs)
            box.toggled.connect(lambda on, port=port: self._on_box_toggled(on, port))
            form.addRow("", box)
            self.boxes.append(box)

    def ports(self) -> int:
        """The node's output ports, and any further port still listed as a model output."""
        node = self.doc.nodes[self.node_id]
        spec = spec_for_display(self.doc, node)
        try:
            ports = spec.outputs(spec.resolve(node.params))
        except KerasCanvasError:
            ports = 1
        listed = [port for nid, port in self.doc.output_refs() if nid == node.id]
        return max([ports, *(p + 1 for p in listed)])

    def matches(self) -> bool:
        """Whether the boxes are still one per port (return_state or the like adds ports)."""
        return len(self.boxes) == self.ports()

    def refresh(self) -> None:
        for port, box in enumerate(self.boxes):
            with QtCore.QSignalBlocker(box):
                box.setChecked(output_entry(self.node_id, port) in self.doc.outputs)

    def _on_box_toggled(self, checked: bool, port: int) -> None:
        self.project.stack.push(cmd.MarkOutput(self.doc, self.node_id, port, checked))


class NodeKeys:
    """The key rows of one node's properties: an Input's key in the model's input dict,
    and each model output of the node's key in its output dict (dict models only)."""

    def __init__(self, project, node_id: str, form: QtWidgets.QFormLayout, refuse):
        self.project, self.doc, self.node_id, self.refuse = project, project.doc, node_id, refuse
        self.fields: dict[tuple[str, str], TextField] = {}
        for part, member in self.expected():
            field = TextField(self._key(part, member), f"{part}_key_{member}")
            field.setToolTip(f"The key of this {part[:-1]} in the model's {part} dict "
                             "(nothing selected shows the whole model)")
            field.committed.connect(lambda text, part=part, member=member:
                                    self._on_committed(part, member, text))
            form.addRow(self._label(part, member), field)
            self.fields[(part, member)] = field

    def expected(self) -> list[tuple[str, str]]:
        """(part, member) of each key row the node should show now."""
        rows = []
        for part in mk.PARTS:
            keys = mk.keyed(self.doc, part) or {}
            rows += [(part, m) for m in keys if mk.member_node(self.doc, part, m) == self.node_id]
        return rows

    def matches(self) -> bool:
        return list(self.fields) == self.expected()

    def refresh(self) -> None:
        for (part, member), field in self.fields.items():
            field.show_value(self._key(part, member))

    def _key(self, part: str, member: str) -> str:
        return (mk.keyed(self.doc, part) or {}).get(member, "")

    def _label(self, part: str, member: str) -> str:
        if part == mk.INPUTS:
            return "key"
        port = self.doc.output_ref(member)[1]
        ports = [m for p, m in self.expected() if p == mk.OUTPUTS]
        return "output key" if len(ports) == 1 else f"output key: port {port}"

    def _on_committed(self, part: str, member: str, key: str) -> None:
        problem = push_key(self.project, part, member, key)
        if problem:
            self.refuse(problem)
            self.fields[(part, member)].show_value(self._key(part, member), force=True)
