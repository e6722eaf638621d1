"""The "S" toggle beside a parameter's editor in the properties panel: checked, the
parameter is searched (its range is set in the Search tab); the toggles follow the
document's search entries after an undo or an edit in the Search tab."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from ...graph.search_edit import entry_for, mark, suggest_range, unmark

# Parameter types a search can range over (numbers) or choose among (named values).
SEARCHABLE = frozenset({"int", "float", "ints", "int_or_list", "choice", "activation",
                        "initializer", "regularizer", "constraint", "bool"})


class SearchToggles:
    """One node's toggles, by parameter name (`buttons`); each toggle pushes a command."""

    def __init__(self, doc, stack, node_id: str | None):
        self.doc, self.stack, self.node_id = doc, stack, node_id
        self.buttons: dict[str, QtWidgets.QToolButton] = {}

    def wrap(self, p, editor) -> QtWidgets.QWidget:
        """The editor, with a toggle that marks the parameter as searched where it can be."""
        node = self.doc.nodes.get(self.node_id)
        if p.type not in SEARCHABLE or node is None or \
                all(q.name != p.name or q.type != p.type for q in node.spec.params):
            return editor  # not a number or a choice, or a user block's inner value
        holder = QtWidgets.QWidget()
        row = QtWidgets.QHBoxLayout(holder)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(editor, 1)
        button = QtWidgets.QToolButton()
        button.setObjectName(f"search_{p.name}")
        button.setText("S")
        button.setCheckable(True)
        # Tab goes from value to value: a toggle in the chain took the Tab after each field,
        # and the keys typed next (Ctrl+A, a number) went to the window instead.
        button.setFocusPolicy(QtCore.Qt.NoFocus)
        button.setToolTip("Search this parameter: its range is set in the Search tab")
        button.toggled.connect(lambda on, name=p.name: self._on_toggled(name, on))
        row.addWidget(button)
        self.buttons[p.name] = button
        return holder

    def _on_toggled(self, name: str, on: bool) -> None:
        target = (self.node_id, name)
        if on == (entry_for(self.doc, target) is not None):
            return
        self.stack.push(mark(self.doc, target, suggest_range(self.doc, target)) if on else
                        unmark(self.doc, target))

    def refresh(self) -> None:
        """Check each toggle whose parameter the document searches."""
        for name, button in self.buttons.items():
            with QtCore.QSignalBlocker(button):
                button.setChecked(entry_for(self.doc, (self.node_id, name)) is not None)
