"""The editor of a wrapper's inner layer (a `layer` param) or of an RNN's cell (a `cell`
param): its kind, then its params.

The kind combo offers the kinds the wrapper accepts (the ParamSpec's choices); below
it, one editor per param of the chosen kind, from the same type table as the
panel's own rows. Every edit emits the whole inner layer, `{"kind", "params"[, "name"]}`,
so the panel coerces it through the wrapper's ParamSpec and the inner kind's rules
refuse a bad value with their own message.
"""

from __future__ import annotations

from typing import Any

from PySide6 import QtCore, QtWidgets

from ...graph.errors import ParamError
from ...graph.layers.recurrent_cells import cell_spec
from ...graph.params import ParamSpec
from ...graph.spec import get_spec
from .editors import RESET, Editor, format_value, make_editor
from .wheel import guard_wheel


def spec_finder(spec: ParamSpec):
    """Where the kinds a nested param holds are: the cell table for an RNN's cells."""
    return cell_spec if spec.type in ("cell", "cells") else get_spec


class InnerLayerEditor(Editor):
    """Kind combo plus a nested form of the inner kind's parameter editors."""

    def __init__(self, spec: ParamSpec, parent=None):
        super().__init__(spec, parent)
        self.find = spec_finder(spec)
        self._layout.setDirection(QtWidgets.QBoxLayout.TopToBottom)
        self.kind_combo = QtWidgets.QComboBox()
        self.kind_combo.setObjectName("inner_kind")
        self.kind_combo.addItems(list(spec.choices))
        self.kind_combo.activated.connect(self._on_kind_activated)
        guard_wheel(self.kind_combo)
        self._layout.addWidget(self.kind_combo)
        self.box = QtWidgets.QFrame()
        self.box.setObjectName("InnerLayer")
        self.box.setFrameShape(QtWidgets.QFrame.StyledPanel)
        self.form = QtWidgets.QFormLayout(self.box)
        self.form.setFieldGrowthPolicy(QtWidgets.QFormLayout.AllNonFixedFieldsGrow)
        self.form.setRowWrapPolicy(QtWidgets.QFormLayout.WrapLongRows)
        self._layout.addWidget(self.box)
        self.value: dict[str, Any] = {}
        self.editors: dict[str, Editor] = {}
        self._kind: str | None = None

    def set_value(self, value, explicit):
        self.value = dict(value or {})
        kind = self.value.get("kind")
        if kind != self._kind:
            self._build_form(kind)
        with QtCore.QSignalBlocker(self.kind_combo):
            self.kind_combo.setCurrentIndex(self.kind_combo.findText(kind or ""))
        params = self.value.get("params", {})
        for name, editor in self.editors.items():
            p = editor.spec
            shown = params.get(name, p.start_value())
            try:
                shown = p.coerce(shown)
            except ParamError:
                pass
            editor.set_value(shown, name in params or p.required or p.type == "bool"
                             or bool(p.allowed))

    def _build_form(self, kind: str | None) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)
        self.editors, self._kind = {}, kind
        if kind is None:
            return
        for p in self.find(kind).params:
            editor = make_editor(p)
            editor.setObjectName(f"inner_{p.name}")
            editor.setToolTip(p.doc + ("" if p.required else
                                       f"\nKeras default: {format_value(p.default) or 'None'}"))
            editor.committed.connect(lambda raw, name=p.name: self._on_param_committed(name, raw))
            label = QtWidgets.QLabel(p.name)
            label.setToolTip(p.doc)
            self.form.addRow(label, editor)
            self.editors[p.name] = editor

    def _on_kind_activated(self, index: int) -> None:
        kind = self.kind_combo.itemText(index)
        if kind != self.value.get("kind"):  # a new kind starts from its required params
            self.committed.emit({"kind": kind, "params": self.find(kind).initial_params()})

    def _on_param_committed(self, name: str, raw) -> None:
        params = dict(self.value.get("params", {}))
        if raw is RESET:
            params.pop(name, None)
        else:
            params[name] = raw
        self.committed.emit({**self.value, "params": params})


class InnerLayersEditor(Editor):
    """A list of inner layers (Pipeline's): one inner-layer editor per item, each with a
    remove button, and a button that appends a layer."""

    def __init__(self, spec: ParamSpec, parent=None):
        super().__init__(spec, parent)
        self._layout.setDirection(QtWidgets.QBoxLayout.TopToBottom)
        self.items: list[dict[str, Any]] = []
        self.rows: list[InnerLayerEditor] = []
        self.holder = QtWidgets.QVBoxLayout()
        self._layout.addLayout(self.holder)
        self.add_button = QtWidgets.QPushButton(
            "Add cell" if spec.type == "cells" else "Add layer")
        self.add_button.setObjectName("add_inner_layer")
        self.add_button.clicked.connect(self._on_add_clicked)
        self._layout.addWidget(self.add_button)

    def set_value(self, value, explicit):
        self.items = [dict(item) for item in (value or [])]
        if len(self.rows) != len(self.items):
            self._build_rows()
        for row, item in zip(self.rows, self.items, strict=True):
            row.set_value(item, True)

    def _build_rows(self) -> None:
        while self.holder.count():
            self.holder.takeAt(0).widget().deleteLater()
        self.rows = []
        for index in range(len(self.items)):
            frame = QtWidgets.QWidget()
            column = QtWidgets.QVBoxLayout(frame)
            column.setContentsMargins(0, 0, 0, 0)
            remove = QtWidgets.QPushButton(f"Remove layer {index}")
            remove.setObjectName(f"remove_inner_layer_{index}")
            remove.clicked.connect(lambda _=False, i=index: self._on_remove_clicked(i))
            row = InnerLayerEditor(self.spec)
            row.committed.connect(lambda item, i=index: self._on_item_committed(i, item))
            column.addWidget(row)
            column.addWidget(remove)
            self.holder.addWidget(frame)
            self.rows.append(row)

    def _on_item_committed(self, index: int, item) -> None:
        self.committed.emit([*self.items[:index], item, *self.items[index + 1:]])

    def _on_remove_clicked(self, index: int) -> None:
        self.committed.emit([*self.items[:index], *self.items[index + 1:]])

    def _on_add_clicked(self) -> None:
        kind = "Dense" if "Dense" in self.spec.choices else self.spec.choices[-1]
        params = spec_finder(self.spec)(kind).initial_params()
        self.committed.emit([*self.items, {"kind": kind, "params": params}])
