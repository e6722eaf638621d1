"""The dialog of "Make Block…" and "Edit Block Definition…": a block name, a one-line
description and a table of the inner nodes' params, each with a box to expose it as a
param of the block."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from .definition_edits import definition_problem

COLUMNS = ["Expose", "Node", "Param", "Value", "Block param"]
# The most each column but Expose takes at first; Block param then stretches to the edge.
# (A long node name made the Node column so wide that "Block param" began past the
# table's right edge, its header unseen.) A cut text shows whole in its tooltip, and a
# column can be dragged wider.
NARROW = 150


class BlockDefinitionDialog(QtWidgets.QDialog):
    """Block name, one-line doc and the exposable params; `apply` returns a refusal or None."""

    def __init__(self, title: str, rows, exposed: dict, name: str, doc_text: str, taken,
                 apply, parent=None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(680, 420)
        self.rows, self.taken, self.apply = rows, set(taken), apply
        self.name_edit = QtWidgets.QLineEdit(name)
        self.doc_edit = QtWidgets.QLineEdit(doc_text, placeholderText="What the block does")
        self.table = QtWidgets.QTableWidget(len(rows), len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self._fill(exposed)
        self.problem = QtWidgets.QLabel()
        self.problem.setObjectName("Error")
        self.problem.setWordWrap(True)
        self.buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.Ok
                                                  | QtWidgets.QDialogButtonBox.Cancel)
        self.buttons.accepted.connect(self._on_ok_clicked)
        self.buttons.rejected.connect(self.reject)
        form = QtWidgets.QFormLayout()
        form.addRow("Block name", self.name_edit)
        form.addRow("Description", self.doc_edit)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QtWidgets.QLabel("Params to expose on every instance of the block:"))
        layout.addWidget(self.table)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.name_edit.textChanged.connect(self._validate)
        self.table.itemChanged.connect(self._validate)
        self._validate()

    def _fill(self, exposed: dict) -> None:
        chosen = {tuple(ref): key for key, ref in exposed.items()}
        names = [param for _, _, param, _ in self.rows]
        fixed = QtCore.Qt.ItemIsEnabled | QtCore.Qt.ItemIsSelectable
        for r, (nid, node_name, param, text) in enumerate(self.rows):
            key = chosen.get((nid, param))
            box = QtWidgets.QTableWidgetItem()
            box.setFlags(fixed | QtCore.Qt.ItemIsUserCheckable)
            box.setCheckState(QtCore.Qt.Checked if key else QtCore.Qt.Unchecked)
            default_key = param if names.count(param) == 1 else f"{node_name}_{param}"
            cells = [box, *(QtWidgets.QTableWidgetItem(t) for t in
                            (node_name, param, text, key or default_key))]
            for c, item in enumerate(cells):
                if 0 < c < 4:
                    item.setFlags(fixed)
                    item.setToolTip(item.text())
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        for c in (1, 2, 3, 4):  # the last then stretches to the table's edge
            self.table.setColumnWidth(c, min(self.table.columnWidth(c), NARROW))
        self.table.horizontalHeader().setStretchLastSection(True)

    def set_exposed(self, node_name: str, param: str, key: str | None = None) -> None:
        """Tick (and optionally name) the row of `node_name`.`param`."""
        for r, (_, name, p, _) in enumerate(self.rows):
            if (name, p) == (node_name, param):
                self.table.item(r, 0).setCheckState(QtCore.Qt.Checked)
                if key:
                    self.table.item(r, 4).setText(key)
                return
        raise KeyError(f"no row for {node_name}.{param}")

    def exposed(self) -> dict[str, tuple[str, str]]:
        """Block param name -> (inner node id, inner param) of the ticked rows."""
        return {self.table.item(r, 4).text().strip(): (nid, param)
                for r, (nid, _, param, _) in enumerate(self.rows)
                if self.table.item(r, 0).checkState() == QtCore.Qt.Checked}

    def _validate(self, *_args) -> bool:
        keys = [self.table.item(r, 4).text().strip() for r in range(len(self.rows))
                if self.table.item(r, 0).checkState() == QtCore.Qt.Checked]
        problem = definition_problem(self.name_edit.text().strip(), keys, self.taken)
        self.problem.setText(problem or "")
        self.buttons.button(QtWidgets.QDialogButtonBox.Ok).setEnabled(problem is None)
        return problem is None

    def _on_ok_clicked(self) -> None:
        if not self._validate():
            return
        problem = self.apply(self.name_edit.text().strip(), self.exposed(),
                             self.doc_edit.text().strip())
        if problem:
            self.problem.setText(problem)
        else:
            self.accept()
