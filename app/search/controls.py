"""The Search tab's study controls: the study's options (trials, parallel jobs, epochs per
trial, time limit, sampler, pruner, seed), Start / Pause / Stop / Apply best, the checks'
busy bar, and the status line (`status_line`).

The options are a view of the project's run settings (`graph.search_run`): `show_settings`
puts the file's into the boxes, and a change the user makes is `setting_changed(key,
value)`, which the tab pushes as an undoable edit of the document; a study starts with
the document's settings (`options`), so a time limit of 90 s from the file stays 90 s
though the box shows whole minutes.
"""

from __future__ import annotations

import math

from PySide6 import QtCore, QtWidgets

from ..panels.wheel import guard_wheel
from .status_line import StatusLine

# The choices offered: every sampler the command line takes, and the pruners that work
# with their defaults. A file may name another pruner (threshold needs a bound, wilcoxon
# compares per-sample values), which is then offered too.
SAMPLERS = ("tpe", "random", "gp", "qmc", "cmaes")
SAMPLER_TIPS = {
    "tpe": "Tree-structured Parzen estimator (Optuna's default): models good and bad "
           "trials; handles every kind of range",
    "random": "Independent uniform draws: a baseline, and what a few trials need",
    "gp": "Gaussian-process Bayesian optimisation: for short studies of numeric ranges "
          "(each draw costs more as trials accumulate)",
    "qmc": "Quasi-Monte Carlo (Sobol) points: covers the ranges evenly, learns nothing "
           "from results",
    "cmaes": "CMA-ES: evolves a distribution over numeric ranges (Optuna's CmaEsSampler); "
             "choices among options are drawn at random",
}
PRUNERS = ("median", "hyperband", "successive_halving", "percentile", "none")
NO_SEED = -1  # the seed box's "none": every run draws afresh


class StudyControls(QtWidgets.QWidget):
    """The study's options, its buttons (connected by the tab), the busy bar and the
    status line. `setting_changed(key, value)`: the user set run setting `key` (None:
    back to its default)."""

    setting_changed = QtCore.Signal(str, object)

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
        self.limit_box.setToolTip(_limit_tip(None))
        self.sampler_box, self.pruner_box = QtWidgets.QComboBox(), QtWidgets.QComboBox()
        self.sampler_box.addItems(SAMPLERS)
        for at, name in enumerate(SAMPLERS):
            self.sampler_box.setItemData(at, SAMPLER_TIPS[name], QtCore.Qt.ToolTipRole)
        self.pruner_box.addItems(PRUNERS)
        for box in (self.sampler_box, self.pruner_box):  # successive_halving: not its width
            box.setSizeAdjustPolicy(QtWidgets.QComboBox.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(6)
        self.seed_box = QtWidgets.QSpinBox(minimum=NO_SEED, maximum=2**31 - 1, value=NO_SEED)
        self.seed_box.setSpecialValueText("none")
        self.seed_box.setToolTip("Trial N draws its values with this seed + N: a study "
                                 "started again draws the same values.")
        self._named = {"sampler": {"name": "tpe"}, "pruner": {"name": "median"}}
        guard_wheel(self.trials_box, self.jobs_box, self.epochs_box, self.limit_box,
                    self.sampler_box, self.pruner_box, self.seed_box)
        # Two options a row: one a row left the status line below the dock's edge at
        # 1024x700 (the tab scrolled to show it).
        grid = QtWidgets.QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setVerticalSpacing(4)
        for at, (name, widget) in enumerate((
                ("trials", self.trials_box), ("parallel jobs", self.jobs_box),
                ("epochs per trial", self.epochs_box), ("time limit", self.limit_box),
                ("sampler", self.sampler_box), ("pruner", self.pruner_box),
                ("seed", self.seed_box))):
            widget.setObjectName(f"Search_{name.replace(' ', '_')}")
            label = QtWidgets.QLabel(name)
            label.setBuddy(widget)
            row, column = divmod(at, 2)
            grid.addWidget(label, row, 2 * column)
            grid.addWidget(widget, row, 2 * column + 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        form.addRow(grid)
        self._connect_settings()

    def _connect_settings(self) -> None:
        """Each box's change, as the run setting it writes (typed digits count once the
        box is left or Enter is pressed, not at every key)."""
        for key, box, value in (
                ("trials", self.trials_box, lambda v: v),
                ("jobs", self.jobs_box, lambda v: v),
                ("epochs", self.epochs_box, lambda v: v or None),
                ("timeout", self.limit_box, lambda v: v * 60 if v else None),
                ("seed", self.seed_box, lambda v: None if v == NO_SEED else v)):
            box.setKeyboardTracking(False)
            box.valueChanged.connect(
                lambda v, k=key, f=value: self.setting_changed.emit(k, f(v)))
        for key, box in (("sampler", self.sampler_box), ("pruner", self.pruner_box)):
            box.currentTextChanged.connect(
                lambda text, k=key: self.setting_changed.emit(k, self._chosen(k, text)))

    def _chosen(self, key: str, name: str) -> dict:
        """The sampler or pruner `name`: the file's own options kept when it is the one
        the file names, none for another."""
        held = self._named[key]
        return dict(held) if held.get("name") == name else {"name": name}

    def show_settings(self, settings: dict) -> None:
        """Show the run settings `settings` (`graph.search_run.run_settings`) without
        announcing them as the user's changes."""
        timeout = settings["timeout"]
        shown = (("trials", self.trials_box, settings["trials"]),
                 ("jobs", self.jobs_box, settings["jobs"] or 1),
                 ("epochs", self.epochs_box, settings["epochs"] or 0),
                 ("timeout", self.limit_box, math.ceil(timeout / 60) if timeout else 0),
                 ("seed", self.seed_box, NO_SEED if settings["seed"] is None
                  else settings["seed"]))
        for _key, box, value in shown:
            with QtCore.QSignalBlocker(box):
                box.setValue(value)
        self.limit_box.setToolTip(_limit_tip(timeout))
        for key, box in (("sampler", self.sampler_box), ("pruner", self.pruner_box)):
            held = self._named[key] = dict(settings[key])
            with QtCore.QSignalBlocker(box):
                if box.findText(held["name"]) < 0:
                    box.addItem(held["name"])
                box.setCurrentText(held["name"])
            extra = {k: v for k, v in held.items() if k != "name"}
            box.setToolTip(", ".join(f"{k}={v!r}" for k, v in extra.items())
                           if extra else f"Optuna's {key} with its defaults")

    def options(self, storage: str, name: str, trusted_code, settings: dict):
        """The study's options from the run `settings` (what the boxes show), in `storage`
        as study `name`."""
        from kerascanvas.runtime.search.options import SearchOptions

        epochs = settings["epochs"]
        return SearchOptions(storage=storage, study_name=name, trials=settings["trials"],
                             timeout=float(settings["timeout"]) if settings["timeout"]
                             else None, jobs=settings["jobs"] or 1,
                             sampler=settings["sampler"], pruner=settings["pruner"],
                             seed=settings["seed"],
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


def _limit_tip(timeout: float | None) -> str:
    text = ("Stop the study after this many minutes of search (its running trials after "
            "their current batch); the time it is held paused does not count.")
    if timeout and timeout % 60:
        text += f" The project's limit is {timeout:g} s."
    return text
