"""The Search tab's study controls: the study's options (trials, parallel jobs, epochs per
trial, time limit, sampler, pruner), Start / Pause / Stop / Apply best, the checks' busy
bar, and the status line (`status_line`).
"""

from __future__ import annotations

from PySide6 import QtWidgets

from ..panels.wheel import guard_wheel
from .status_line import StatusLine

SAMPLERS = ("tpe", "random", "gp", "qmc")
PRUNERS = ("median", "hyperband", "successive_halving", "percentile", "none")

class StudyControls(QtWidgets.QWidget):
    """The study's options, its buttons (connected by the tab), the busy bar and the
    status line."""

    def __init__(self, parent=None):
        super().__init__(parent)
        form = QtWidgets.QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        self._options(form)
        buttons = QtWidgets.QHBoxLayout()
        self.start_button = QtWidgets.QPushButton("Start")
        self.pause_button = QtWidgets.QPushButton("Pause")
        self.stop_button = QtWidgets.QPushButton("Stop")
        self.apply_button = QtWidgets.QPushButton("Apply best")
        for button in (self.start_button, self.pause_button, self.stop_button,
                       self.apply_button):
            buttons.addWidget(button)
        form.addRow(buttons)
        self.busy = QtWidgets.QProgressBar(minimum=0, maximum=0, textVisible=False)
        self.busy.setObjectName("SearchChecking")
        self.busy.hide()
        holder = QtWidgets.QWidget()  # always there: the buttons stay put when it shows
        holder.setFixedHeight(8)
        column = QtWidgets.QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.busy)
        form.addRow(holder)
        self.status = StatusLine("No study running.")
        form.addRow(self.status)

    def _options(self, form: QtWidgets.QFormLayout) -> None:
        self.trials_box = QtWidgets.QSpinBox(minimum=1, maximum=100000, value=20)
        self.jobs_box = QtWidgets.QSpinBox(minimum=1, maximum=256, value=1)
        self.epochs_box = QtWidgets.QSpinBox(minimum=0, maximum=100000, value=0)
        self.epochs_box.setSpecialValueText("project's")
        # search time: the time the study is held paused is not spent (`time_limit`)
        self.limit_box = QtWidgets.QSpinBox(minimum=0, maximum=100000, value=0, suffix=" min")
        self.limit_box.setSpecialValueText("none")
        self.limit_box.setToolTip("Stop the study after this many minutes of search (its "
                                  "running trials after their current batch); the time it "
                                  "is held paused does not count.")
        self.sampler_box, self.pruner_box = QtWidgets.QComboBox(), QtWidgets.QComboBox()
        self.sampler_box.addItems(SAMPLERS)
        self.pruner_box.addItems(PRUNERS)
        for box in (self.sampler_box, self.pruner_box):  # successive_halving: not its width
            box.setSizeAdjustPolicy(QtWidgets.QComboBox.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(6)
        guard_wheel(self.trials_box, self.jobs_box, self.epochs_box, self.limit_box,
                    self.sampler_box, self.pruner_box)
        # Two options a row: one a row left the status line below the dock's edge at
        # 1024x700 (the tab scrolled to show it).
        grid = QtWidgets.QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setVerticalSpacing(4)
        for at, (name, widget) in enumerate((
                ("trials", self.trials_box), ("parallel jobs", self.jobs_box),
                ("epochs per trial", self.epochs_box), ("time limit", self.limit_box),
                ("sampler", self.sampler_box), ("pruner", self.pruner_box))):
            widget.setObjectName(f"Search_{name.replace(' ', '_')}")
            label = QtWidgets.QLabel(name)
            label.setBuddy(widget)
            row, column = divmod(at, 2)
            grid.addWidget(label, row, 2 * column)
            grid.addWidget(widget, row, 2 * column + 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        form.addRow(grid)

    def options(self, storage: str, name: str, trusted_code):
        """The study's options as the boxes set them, in `storage` as study `name`."""
        from kerascanvas.runtime.search.options import SearchOptions

        epochs, minutes = self.epochs_box.value(), self.limit_box.value()
        return SearchOptions(storage=storage, study_name=name, trials=self.trials_box.value(),
                             timeout=minutes * 60.0 if minutes else None,
                             jobs=self.jobs_box.value(),
                             sampler={"name": self.sampler_box.currentText()},
                             pruner={"name": self.pruner_box.currentText()},
                             overrides={"epochs": epochs} if epochs else {},
                             trusted_code=trusted_code)

    def show_state(self, running: bool, checking: bool, paused: bool | None,
                   can_apply: bool) -> None:
        """The buttons for a study that runs (checks, or is `paused`: None while it has
        no driver yet) or not, and whether there is a best trial to apply."""
        self.start_button.setEnabled(not running)
        self.start_button.setText("Checking..." if checking else "Start")
        self.pause_button.setEnabled(paused is not None)
        self.pause_button.setText("Resume" if paused else "Pause")
        self.stop_button.setEnabled(running)
        self.stop_button.setText("Cancel" if checking else "Stop")
        self.busy.setVisible(checking)
        self.apply_button.setEnabled(can_apply)
