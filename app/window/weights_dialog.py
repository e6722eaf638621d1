"""File › Export Model's question of which weights to write (`export_weights`): one row per
choice, the project's own weights first and then each run's trained model with its date,
epochs and best loss. A run whose model file is gone is listed greyed out, saying so, and
cannot be chosen; a runs index that cannot be read is said under the list."""

from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from .export_weights import WeightsChoice


class WeightsDialog(QtWidgets.QDialog):
    """Pick one of `choices` (`default` marked); Enter or a double-click takes it."""

    def __init__(self, choices: list[WeightsChoice], default: int, problem: str | None = None,
                 parent=None):
        super().__init__(parent)
        self.setWindowTitle("Export Model")
        self.list = QtWidgets.QListWidget()
        for choice in choices:
            item = QtWidgets.QListWidgetItem(choice.label)
            item.setToolTip(choice.path or choice.note)
            if not choice.available:
                item.setFlags(QtCore.Qt.NoItemFlags)
            self.list.addItem(item)
        self.list.itemDoubleClicked.connect(self.accept)
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.Ok
                                             | QtWidgets.QDialogButtonBox.Cancel)
        self.ok = buttons.button(QtWidgets.QDialogButtonBox.Ok)
        self.list.currentRowChanged.connect(
            lambda _row: self.ok.setEnabled(self.chosen() is not None))
        self.list.setCurrentRow(default)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(QtWidgets.QLabel("Weights to export (newest run first):"))
        layout.addWidget(self.list)
        if problem:
            note = QtWidgets.QLabel(problem, wordWrap=True)
            note.setObjectName("Hint")
            layout.addWidget(note)
        layout.addWidget(buttons)
        self._fit(parent)

    def _fit(self, parent) -> None:
        """As wide as the longest row needs, within the screen the window is on."""
        widest = max((self.list.fontMetrics().horizontalAdvance(self.list.item(i).text())
                      for i in range(self.list.count())), default=0)
        screen = (parent.screen() if parent is not None else self.screen()).availableGeometry()
        rows = self.list.sizeHintForRow(0) * min(self.list.count() + 1, 12)
        self.resize(min(widest + 60, screen.width() - 40),
                    min(rows + 120, screen.height() - 80))

    def chosen(self) -> int | None:
        """The row taken, None when it is one that cannot be chosen."""
        item = self.list.currentItem()
        if item is None or not item.flags() & QtCore.Qt.ItemIsEnabled:
            return None
        return self.list.row(item)


def ask_weights(parent, choices: list[WeightsChoice], default: int,
                problem: str | None = None) -> int | None:
    """The index of the weights chosen, or None when cancelled."""
    dialog = WeightsDialog(choices, default, problem, parent)
    return dialog.chosen() if dialog.exec() == QtWidgets.QDialog.Accepted else None
