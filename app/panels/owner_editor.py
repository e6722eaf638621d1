"""A SharedCall's `layer` param, chosen by the name of the node that owns the layer.

The project file holds the owner's node id (`"layer": "n5"`), which means nothing to a
person; the editor lists the nodes whose layer can be called again (`graph.layers.shared
.can_own`) by name and commits the id of the one picked. An id naming no such node (a
hand-edited file) is shown as it is, marked, so the Issues panel's error has its field.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6 import QtCore, QtWidgets

from ...graph.params import ParamSpec
from .editors import Editor
from .wheel import guard_wheel


class OwnerEditor(Editor):
    """A combo box of the nodes a call site may call: names shown, ids committed."""

    def __init__(self, spec: ParamSpec, candidates: Callable[[], list[tuple[str, str]]],
                 parent=None):
        super().__init__(spec, parent)
        self.candidates = candidates  # (name, node id) of each possible owner, in order
        self.combo = QtWidgets.QComboBox()
        self.combo.setSizeAdjustPolicy(QtWidgets.QComboBox.AdjustToContents)
        self._layout.addWidget(self.combo)
        self.combo.activated.connect(lambda i: self.committed.emit(self.combo.itemData(i)))
        guard_wheel(self.combo)

    def set_value(self, value, explicit) -> None:
        with QtCore.QSignalBlocker(self.combo):
            self.combo.clear()
            for name, node_id in self.candidates():
                self.combo.addItem(name, node_id)
            index = self.combo.findData(value)
            if index < 0:  # gone, or not a layer: the Issues panel says which
                self.combo.addItem(f"{value} (no layer to call)", value)
                index = self.combo.count() - 1
            self.combo.setCurrentIndex(index)
