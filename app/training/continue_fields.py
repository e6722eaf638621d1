"""The fields beside Continue: the learning rate it starts with ("at lr") and the epoch it
trains to ("to epoch"), filled from the picked run (`continue_plan`) and read when
Continue is pressed. They sit in the Training panel's button row, shown only while
Continue can be used, their room kept while hidden: at 1024x700 the row took a second line
when they showed, and the Curves/Runs/Results tabs jumped 25 px as a run ended."""

from __future__ import annotations

import html

from PySide6 import QtCore, QtGui, QtWidgets

from .continue_plan import continue_start, default_target, suggested_rate

RATE_TIP = ("The learning rate Continue starts with: the one the picked run ended with, or "
            "what you type")


class ContinueFields:
    """The rate and target-epoch fields of Continue, with their labels; the panel lays out
    `widgets()` in its button row."""

    def __init__(self):
        # The rate Continue would start with, shown only while Continue can be used: beside a
        # running run, a bare "lr 0.0001" read as the rate it was training with.
        self.lr_label = QtWidgets.QLabel("at lr")
        self.lr = QtWidgets.QLineEdit()
        self.lr.setValidator(QtGui.QDoubleValidator(0.0, 10.0, 12))
        self.lr.setMaximumWidth(90)
        self.lr.setToolTip(RATE_TIP)
        # The epoch Continue trains to, as Keras counts (fit(initial_epoch, epochs)).
        self.to_label = QtWidgets.QLabel("to epoch")
        self.to = QtWidgets.QSpinBox()
        self.to.setRange(1, 1_000_000)
        self.to.setToolTip("The epoch Continue trains to: the rest of the picked "
                           "run's epochs, or more if you type more")
        self.to.valueChanged.connect(self._say_epochs_more)
        self.start = 0  # the epoch the picked run continues from
        for widget in self.widgets():  # hidden, they keep their room: the row does not re-wrap
            policy = widget.sizePolicy()  # as a run starts or ends, so the tabs below stay put
            policy.setRetainSizeWhenHidden(True)
            widget.setSizePolicy(policy)

    def widgets(self) -> tuple[QtWidgets.QWidget, ...]:
        return self.lr_label, self.lr, self.to_label, self.to

    def set_shown(self, shown: bool) -> None:
        for widget in self.widgets():
            widget.setVisible(shown)

    def suggest(self, record, epochs_setting: int) -> str:
        """Offer the rest of `record`'s plan and its suggested rate, which the rate's
        tooltips say the source of; return that sentence (for the log)."""
        self.start = continue_start(record)
        with QtCore.QSignalBlocker(self.to):
            self.to.setMinimum(self.start + 1)
            self.to.setValue(default_target(record, epochs_setting))
        self._say_epochs_more(self.to.value())
        rate, why = suggested_rate(record)
        self.lr.setText(f"{rate:.3g}" if rate is not None else "")
        tip = f"<p>{html.escape(why)}. Type another rate to start at it instead.</p>"
        for widget in (self.lr, self.lr_label):  # rich text: Qt wraps it
            widget.setToolTip(tip)
        return why

    def clear(self) -> None:
        self.lr.clear()
        for widget in (self.lr, self.lr_label):
            widget.setToolTip(RATE_TIP)

    def learning_rate(self) -> float | None:
        """The rate typed or offered; None when the field is empty."""
        text = self.lr.text().strip()
        return float(text) if text else None

    def to_epoch(self) -> int:
        return self.to.value()

    def _say_epochs_more(self, target: int) -> None:
        """The target epoch's box says how many epochs that trains: "30 (24 more)"."""
        self.to.setSuffix(f" ({target - self.start} more)")
