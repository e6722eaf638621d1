"""The Training dock: data and settings, Start/Pause/Stop/Kill, progress, curves, runs, log.

Every setting edit is one undoable `SetTraining` on the document; the form
re-reads the document on TRAINING_CHANGED, so undo shows at once. Training
runs in the worker process (`training_controller`); this panel only shows
what the controller reports. The progress line refreshes from a 10 Hz timer,
the plots from their own, so a burst of batch events costs no redraws.
"""

from __future__ import annotations

import copy
import math
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from ..graph import commands as cmd
from ..graph import events as ev
from ..graph.projectfile import from_dict, to_dict
from ..graph.training_schema import (
    CALLBACKS,
    DEVICES,
    OPTIMIZERS,
    PRECISIONS,
    SCHEDULES,
    check_training,
    resolve_extended,
)
from ..graph.validate import analyze
from .plots import TrainingPlots
from .results_view import ResultsView, is_image_batch, to_qimage
from .training_controller import TrainingController, format_eta

PROGRESS_HZ = 10
PREVIEW_IMAGES = 8
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")


# ---- data preview (runs on a worker thread) --------------------------------------
def preview_data(spec: str, doc) -> dict:
    """Shapes, class counts and a few images of the data named by `spec`.

    Image folders and CSV files are read directly (cheap, and no keras); the
    other specs go through `runtime.data.load_data`, which needs no keras either.
    """
    kind, _, rest = spec.strip().partition(":")
    if kind == "images":
        return _preview_folder(rest)
    if kind == "csv":
        return _preview_csv(rest.partition("?")[0])
    from ..runtime.data import load_data

    data = load_data(spec, doc)
    lines = [f"{len(next(iter(data.x.values()), []))} samples"]
    lines += [f"input {k}: {a.shape[1:]} {a.dtype}" for k, a in data.x.items()]
    lines += [f"output {k}: {a.shape[1:]} {a.dtype}" for k, a in data.y.items()]
    counts = {}
    for name, labels in data.y.items():
        if labels.dtype.kind in "iu" or (labels.ndim == 2 and labels.shape[-1] > 1):
            ids = labels.argmax(-1) if labels.ndim == 2 else labels.reshape(-1)
            counts[name] = dict(zip(*np.unique(ids, return_counts=True), strict=True))
    images = next((a[:PREVIEW_IMAGES] for a in data.x.values() if is_image_batch(a)), None)
    return {"lines": lines, "counts": counts, "images": images}


def _preview_folder(root: str) -> dict:
    base = Path(root)
    if not base.is_dir():
        raise ValueError(f"images:{root}: expected a folder with one subfolder per class")
    counts, firsts = {}, []
    for folder in sorted(p for p in base.iterdir() if p.is_dir()):
        files = [p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES]
        counts[folder.name] = len(files)
        firsts += sorted(files)[:2]
    images = [_thumbnail(p) for p in firsts[:PREVIEW_IMAGES]]
    return {"lines": [f"{sum(counts.values())} images in {len(counts)} classes"],
            "counts": {"classes": counts}, "images": [i for i in images if i is not None]}


def _thumbnail(path: Path):
    from PIL import Image

    try:
        with Image.open(path) as image:
            image.thumbnail((64, 64))
            return np.asarray(image.convert("RGB"))
    except OSError:
        return None


def _preview_csv(path: str) -> dict:
    import csv

    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = [row for row in csv.reader(handle) if row]
    header, body = rows[0] if rows else [], rows[1:]
    target = [r[-1] for r in body if r]
    distinct = set(target)
    counts = {header[-1]: {v: target.count(v) for v in sorted(distinct)}} \
        if header and 0 < len(distinct) <= 20 else {}
    return {"lines": [f"{len(body)} rows, columns: {', '.join(header)}"], "counts": counts,
            "images": None}


class DataPreview(QtWidgets.QWidget):
    """The data spec, a Browse button, and a preview loaded off the GUI thread."""

    loaded = QtCore.Signal(str, object)
    spec_edited = QtCore.Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.spec = QtWidgets.QLineEdit()
        self.spec.setPlaceholderText("synthetic:512, sklearn:digits, data.npz, csv:f.csv, "
                                     "images:folder")
        self.spec.editingFinished.connect(lambda: self.spec_edited.emit(self.spec.text()))
        browse = QtWidgets.QToolButton(text="…")
        browse.clicked.connect(self._on_browse_clicked)
        self.info = QtWidgets.QLabel("")
        self.info.setWordWrap(True)
        self.images = QtWidgets.QHBoxLayout()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="preview")
        self._wanted = ""
        self.loaded.connect(self._on_loaded, QtCore.Qt.QueuedConnection)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.spec, 1)
        row.addWidget(browse)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.info)
        layout.addLayout(self.images)

    def set_spec(self, spec: str) -> None:
        if self.spec.text() != spec:
            self.spec.setText(spec)

    def request(self, spec: str, doc) -> None:
        """Load a preview of `spec` for `doc` in the background (the last request wins)."""
        self._wanted = spec
        self.info.setText(f"Reading {spec}…")
        # A detached copy: the worker thread must not read a document being edited.
        future = self._executor.submit(preview_data, spec, from_dict(to_dict(doc)))
        future.add_done_callback(lambda f: self.loaded.emit(spec, f))

    def _on_loaded(self, spec: str, future) -> None:
        if spec != self._wanted:
            return
        while self.images.count():
            self.images.takeAt(0).widget().deleteLater()
        try:
            found = future.result()
        except Exception as exc:  # noqa: BLE001  every failure is shown, none raised
            self.info.setText(f"<span style='color:#ff6b6b'>{exc}</span>")
            return
        counts = "; ".join(f"{name}: " + ", ".join(f"{k}×{v}" for k, v in c.items())
                           for name, c in found["counts"].items())
        self.info.setText("\n".join([*found["lines"], *([f"classes {counts}"] if counts
                                                          else [])]))
        for sample in list(found["images"] if found["images"] is not None else [])[:8]:
            label = QtWidgets.QLabel()
            label.setPixmap(QtGui.QPixmap.fromImage(to_qimage(sample)).scaled(
                40, 40, QtCore.Qt.KeepAspectRatio))
            self.images.addWidget(label)

    def _on_browse_clicked(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, "Training data", "", "Data (*.npz *.csv);;All files (*)")
        if path:
            self.spec.setText(f"csv:{path}" if path.endswith(".csv") else path)
            self.spec_edited.emit(self.spec.text())

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


# ---- the settings form -------------------------------------------------------------
LOSSES = ("sparse_categorical_crossentropy", "categorical_crossentropy", "binary_crossentropy",
          "mean_squared_error", "mean_absolute_error", "huber", "focal_loss")
# Paths a user must name get a starting value when the callback is switched on.
CALLBACK_PATHS = {"model_checkpoint": {"filepath": "checkpoints/best.keras",
                                       "save_best_only": True},
                  "csv_logger": {"filename": "training_log.csv"}}
CALLBACK_OPTIONS = {"early_stopping": ("patience", "restore_best_weights"),
                    "model_checkpoint": ("filepath", "save_best_only"),
                    "reduce_lr_on_plateau": ("patience", "factor"),
                    "csv_logger": ("filename",), "terminate_on_nan": (),
                    "tensorboard": ("log_dir",)}
NONE = "none"


def _combo(choices) -> QtWidgets.QComboBox:
    box = QtWidgets.QComboBox()
    box.addItems(list(choices))
    return box


def _spin(low: int, high: int, none_text: str | None = None) -> QtWidgets.QSpinBox:
    box = QtWidgets.QSpinBox()
    box.setRange(low, high)
    box.setKeyboardTracking(False)  # one command per edit, not one per keystroke
    if none_text:
        box.setSpecialValueText(none_text)
    return box


def _double(low: float, high: float, step: float) -> QtWidgets.QDoubleSpinBox:
    box = QtWidgets.QDoubleSpinBox()
    box.setRange(low, high)
    box.setDecimals(4)
    box.setSingleStep(step)
    box.setKeyboardTracking(False)
    return box


def _number_edit() -> QtWidgets.QLineEdit:
    edit = QtWidgets.QLineEdit()
    edit.setValidator(QtGui.QDoubleValidator(0.0, 1e3, 12))
    return edit


def widget_value(widget):
    """The setting a form widget holds (None for "none" choices and special values)."""
    if isinstance(widget, QtWidgets.QComboBox):
        return None if widget.currentText() == NONE else widget.currentText()
    if isinstance(widget, QtWidgets.QCheckBox):
        return widget.isChecked()
    if isinstance(widget, QtWidgets.QSpinBox | QtWidgets.QDoubleSpinBox):
        special = widget.specialValueText() and widget.value() == widget.minimum()
        return None if special else widget.value()
    text = widget.text().strip()
    if widget.validator() is not None:
        try:
            return float(text)
        except ValueError:
            return None
    return [t.strip() for t in text.split(",") if t.strip()] if widget.property("list") \
        else text


def set_widget_value(widget, value) -> None:
    if isinstance(widget, QtWidgets.QComboBox):
        text = NONE if value is None else str(value)
        if widget.findText(text) < 0:
            widget.addItem(text)
        widget.setCurrentText(text)
    elif isinstance(widget, QtWidgets.QCheckBox):
        widget.setChecked(bool(value))
    elif isinstance(widget, QtWidgets.QSpinBox | QtWidgets.QDoubleSpinBox):
        widget.setValue(widget.minimum() if value is None else value)
    elif isinstance(value, list):
        widget.setText(", ".join(map(str, value)))
    else:
        widget.setText("" if value is None else f"{value:g}" if isinstance(value, float)
                       else str(value))


def _edited_signal(widget):
    if isinstance(widget, QtWidgets.QComboBox):
        return widget.currentIndexChanged
    if isinstance(widget, QtWidgets.QCheckBox):
        return widget.toggled
    if isinstance(widget, QtWidgets.QSpinBox | QtWidgets.QDoubleSpinBox):
        return widget.valueChanged
    return widget.editingFinished


class TrainingForm(QtWidgets.QWidget):
    """Every training setting; each edit is one undoable SetTraining.

    `fields` maps a setting path (("optimizer", "learning_rate"), ("loss", output),
    ("callbacks", "early_stopping", "patience")) to its widget.
    """

    def __init__(self, doc, stack, parent=None):
        super().__init__(parent)
        self.doc, self.stack = doc, stack
        self.fields: dict[tuple, QtWidgets.QWidget] = {}
        self._refreshing = False
        self._outputs: list[str] = []
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.general = self._group(layout, "Settings")
        self.per_output = self._group(layout, "Outputs")
        self.callbacks = self._group(layout, "Callbacks")
        layout.addStretch(1)
        self._build_general()
        self._build_callbacks()

    @staticmethod
    def _group(layout, title: str) -> QtWidgets.QFormLayout:
        box = QtWidgets.QGroupBox(title)
        layout.addWidget(box)
        return QtWidgets.QFormLayout(box)

    def _add(self, form, label: str, path: tuple, widget) -> None:
        self.fields[path] = widget
        form.addRow(label, widget)
        _edited_signal(widget).connect(lambda *_: self._on_field_edited(path))

    def _build_general(self) -> None:
        g = self.general
        self._add(g, "Optimizer", ("optimizer", "name"), _combo(OPTIMIZERS))
        self._add(g, "Learning rate", ("optimizer", "learning_rate"), _number_edit())
        self._add(g, "Momentum", ("optimizer", "momentum"), _double(0, 1, 0.05))
        self._add(g, "Nesterov", ("optimizer", "nesterov"), QtWidgets.QCheckBox())
        self._add(g, "LR schedule", ("schedule", "name"), _combo(SCHEDULES))
        self._add(g, "Batch size", ("batch_size",), _spin(1, 1 << 20))
        self._add(g, "Epochs", ("epochs",), _spin(1, 1_000_000))
        self._add(g, "Validation split", ("validation_split",), _double(0, 0.95, 0.05))
        self._add(g, "Shuffle", ("shuffle",), QtWidgets.QCheckBox())
        self._add(g, "Seed", ("seed",), _spin(-1, 2**31 - 1, NONE))
        self._add(g, "Class weights", ("class_weight",), _combo((NONE, "balanced")))
        self._add(g, "Mixed precision", ("mixed_precision",), _combo(PRECISIONS))
        self._add(g, "Device", ("device",), _combo(DEVICES))

    def _build_callbacks(self) -> None:
        for name, options in CALLBACK_OPTIONS.items():
            self._add(self.callbacks, name.replace("_", " "), ("callbacks", name),
                      QtWidgets.QCheckBox())
            for option in options:
                default = {**CALLBACKS[name], **CALLBACK_PATHS.get(name, {})}[option]
                widget = QtWidgets.QCheckBox() if isinstance(default, bool) else \
                    _spin(0, 10_000) if isinstance(default, int) else \
                    _double(0.0001, 1, 0.05) if isinstance(default, float) else \
                    QtWidgets.QLineEdit()
                self._add(self.callbacks, f"    {option.replace('_', ' ')}",
                          ("callbacks", name, option), widget)

    def _build_outputs(self, names: list[str]) -> None:
        while self.per_output.rowCount():
            self.per_output.removeRow(0)
        self.fields = {p: w for p, w in self.fields.items()
                       if p[0] not in ("loss", "metrics", "loss_weights")}
        for name in names:
            loss = _combo(LOSSES)
            loss.setEditable(True)
            self._add(self.per_output, f"{name} loss", ("loss", name), loss)
            metrics = QtWidgets.QLineEdit()
            metrics.setProperty("list", True)
            metrics.setPlaceholderText("accuracy, mae, …")
            self._add(self.per_output, f"{name} metrics", ("metrics", name), metrics)
            if len(names) > 1:
                self._add(self.per_output, f"{name} loss weight", ("loss_weights", name),
                          _double(0, 1000, 0.1))
        self._outputs = names

    # ---- document -> widgets ------------------------------------------------------
    def _resolved(self) -> dict:
        try:
            return resolve_extended(self.doc)
        except (ValueError, TypeError, AttributeError):
            return resolve_extended(_without_training(self.doc))

    def refresh(self) -> None:
        """Show the document's settings (defaults where it names none)."""
        names = [self.doc.node(n).name for n in self.doc.outputs]
        self._refreshing = True
        try:
            if names != self._outputs:
                self._build_outputs(names)
            settings = self._resolved()
            for path, widget in self.fields.items():
                set_widget_value(widget, _read(settings, path))
            self._enable_dependents(settings)
        finally:
            self._refreshing = False

    def _enable_dependents(self, settings: dict) -> None:
        name = settings["optimizer"]["name"]
        self.fields["optimizer", "momentum"].setEnabled(name in ("sgd", "rmsprop"))
        self.fields["optimizer", "nesterov"].setEnabled(name == "sgd")
        on = {cb.get("name") for cb in settings["callbacks"] if isinstance(cb, dict)}
        for path, widget in self.fields.items():
            if path[0] == "callbacks" and len(path) == 3:
                widget.setEnabled(path[1] in on)

    # ---- widgets -> document -------------------------------------------------------
    def _on_field_edited(self, path: tuple) -> None:
        if not self._refreshing:
            self.write(path, widget_value(self.fields[path]))

    def write(self, path: tuple, value) -> None:
        """Set one setting through an undoable SetTraining (nothing when unchanged)."""
        training = copy.deepcopy(self.doc.training or {})
        head = path[0]
        if head == "optimizer":
            training["optimizer"] = _optimizer_with(training.get("optimizer"), path[1], value)
        elif head == "schedule":
            training["schedule"] = {"name": value}
        elif head == "callbacks":
            training["callbacks"] = _callbacks_with(training.get("callbacks") or [],
                                                    path[1:], value)
        elif head in ("loss", "metrics", "loss_weights"):
            per = training.get(head)
            per = dict(per) if isinstance(per, dict) else \
                {n: copy.deepcopy(per) for n in self._outputs} if per is not None else {}
            per[path[1]] = value
            training[head] = per
        else:
            training[head] = value
        if training != (self.doc.training or {}):
            self.stack.push(cmd.SetTraining(self.doc, training))


def _read(settings: dict, path: tuple):
    if path[0] == "callbacks":
        entry = next((cb for cb in settings["callbacks"]
                      if isinstance(cb, dict) and cb.get("name") == path[1]), None)
        if len(path) == 2:
            return entry is not None
        defaults = {**CALLBACKS[path[1]], **CALLBACK_PATHS.get(path[1], {})}
        return (entry or defaults).get(path[2], defaults[path[2]])
    value = settings
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _optimizer_with(raw, key: str, value) -> dict:
    optimizer = {"name": raw} if isinstance(raw, str) else dict(raw or {"name": "adam"})
    if key == "name":
        # Options of the old optimizer (momentum, rho…) do not apply to the new one.
        keep = {k: v for k, v in optimizer.items() if k in OPTIMIZERS.get(value, {})}
        return {**keep, "name": value}
    if value is None:
        optimizer.pop(key, None)
    else:
        optimizer[key] = value
    return optimizer


def _callbacks_with(callbacks: list, path: tuple, value) -> list:
    name = path[0]
    others = [cb for cb in callbacks if not (isinstance(cb, dict) and cb.get("name") == name)]
    entry = next((cb for cb in callbacks if isinstance(cb, dict) and cb.get("name") == name),
                 None)
    if len(path) == 1:
        return others + [{"name": name, **CALLBACK_PATHS.get(name, {})}] if value else others
    if entry is None:
        return callbacks
    return [({**cb, path[1]: value} if cb is entry else cb) for cb in callbacks]


def _without_training(doc):
    # Settings that cannot be resolved are shown as defaults; the issues list names them.
    from ..graph.document import Document

    copied = Document.__new__(Document)
    copied.__dict__.update(doc.__dict__)
    copied.training = {}
    return copied


# ---- the dock widget ---------------------------------------------------------------
class TrainingPanel(QtWidgets.QWidget):
    """Train the document's model and watch it; compare runs; save the result."""

    status_message = QtCore.Signal(str)

    def __init__(self, doc, stack, controller: TrainingController | None = None, parent=None):
        super().__init__(parent)
        self.doc, self.stack = doc, stack
        self.controller = controller or TrainingController(parent=self)
        self.data = DataPreview()
        self.form = TrainingForm(doc, stack)
        self.plots = TrainingPlots()
        self.results = ResultsView()
        self._build()
        self._wire()
        self.refresh()

    # ---- construction ------------------------------------------------------
    def _build(self) -> None:
        buttons = QtWidgets.QHBoxLayout()
        self.start_button = QtWidgets.QPushButton("Start")
        self.pause_button = QtWidgets.QPushButton("Pause")
        self.stop_button = QtWidgets.QPushButton("Stop")
        self.kill_button = QtWidgets.QPushButton("Kill")
        self.continue_button = QtWidgets.QPushButton("Continue")
        self.continue_button.setToolTip("Continue the selected stopped or finished run from "
                                        "its saved model, with this learning rate")
        self.continue_lr = QtWidgets.QLineEdit()
        self.continue_lr.setValidator(QtGui.QDoubleValidator(0.0, 10.0, 12))
        self.continue_lr.setMaximumWidth(90)
        for widget in (self.start_button, self.pause_button, self.stop_button,
                       self.kill_button, self.continue_button, QtWidgets.QLabel("lr"),
                       self.continue_lr):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFormat("idle")
        self.nan_label = QtWidgets.QLabel()
        self.nan_label.setStyleSheet("color: #ff4d4d; font-weight: bold")
        self.nan_label.hide()
        self.runs = QtWidgets.QTreeWidget()
        self.runs.setHeaderLabels(["run", "status", "settings", "final metrics"])
        self.runs.setRootIsDecorated(False)
        self.log = QtWidgets.QPlainTextEdit(readOnly=True)
        self.log.setMaximumBlockCount(5000)
        self.tabs = QtWidgets.QTabWidget()
        self.tabs.addTab(self.plots, "Curves")
        self.tabs.addTab(self.runs, "Runs")
        self.tabs.addTab(self.results, "Results")
        self.tabs.addTab(self.log, "Log")
        self._layout(buttons)
        self.timer = QtCore.QTimer(self)
        self.timer.setInterval(1000 // PROGRESS_HZ)
        self.timer.timeout.connect(self._on_timer_timeout)
        self.timer.start()

    def _layout(self, buttons) -> None:
        left = QtWidgets.QWidget()
        column = QtWidgets.QVBoxLayout(left)
        column.addWidget(QtWidgets.QLabel("<b>Data</b>"))
        column.addWidget(self.data)
        column.addWidget(self.form, 1)
        scroll = QtWidgets.QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(left)
        right = QtWidgets.QWidget()
        main = QtWidgets.QVBoxLayout(right)
        main.addLayout(buttons)
        main.addWidget(self.progress)
        main.addWidget(self.nan_label)
        main.addWidget(self.tabs, 1)
        splitter = QtWidgets.QSplitter(QtCore.Qt.Horizontal)
        splitter.addWidget(scroll)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 3)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(splitter)

    def _wire(self) -> None:
        c = self.controller
        c.log_message.connect(self.append_log)
        c.nan_detected.connect(self._on_controller_nan_detected)
        c.run_started.connect(self._on_controller_run_started)
        c.status_changed.connect(self._on_controller_status_changed)
        c.run_finished.connect(self._on_controller_run_finished)
        self.start_button.clicked.connect(self.start)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.stop_button.clicked.connect(self.controller.stop)
        self.kill_button.clicked.connect(self.controller.kill)
        self.continue_button.clicked.connect(self.continue_selected)
        self.runs.itemChanged.connect(self._on_runs_item_changed)
        self.runs.currentItemChanged.connect(self._update_buttons)
        self.data.spec_edited.connect(self._on_data_spec_edited)
        self.results.status_message.connect(self.status_message)
        self.doc.events.connect(self._on_doc_event)

    # ---- document ------------------------------------------------------------
    def _on_doc_event(self, event) -> None:
        if event.type in (ev.TRAINING_CHANGED, ev.RESET):
            self.refresh()

    def refresh(self) -> None:
        """Show the document's current settings."""
        self.form.refresh()
        self.data.set_spec(str((self.doc.training or {}).get("data", "synthetic")))
        self._update_buttons()

    def _on_data_spec_edited(self, spec: str) -> None:
        spec = spec.strip()
        if spec and spec != (self.doc.training or {}).get("data"):
            self.form.write(("data",), spec)
        if spec:
            self.data.request(spec, self.doc)

    # ---- commands ------------------------------------------------------------
    def start(self) -> bool:
        """Start a run of the document; refuse (and say why) when it cannot train."""
        problems = [i.message for i in analyze(self.doc).errors]
        problems += [i.message for i in check_training(self.doc) if i.severity == "error"]
        if not self.doc.outputs:
            problems.insert(0, "The model has no output: mark a node as a model output")
        return self._launch(problems, lambda: self.controller.start(self.doc))

    def continue_selected(self) -> bool:
        """Continue the selected (or last) run from its saved model with the lr shown."""
        record = self._selected_run()
        text = self.continue_lr.text().strip()
        lr = float(text) if text else None
        problems = [] if record is not None else ["Select a stopped or finished run first"]
        return self._launch(problems, lambda: self.controller.start(
            self.doc, resume_from=record, learning_rate=lr))

    def _launch(self, problems: list[str], start) -> bool:
        if problems:
            self.append_log("Cannot start training:\n  " + "\n  ".join(problems))
            self.tabs.setCurrentWidget(self.log)
            self.status_message.emit(problems[0])
            return False
        try:
            start()
        except (RuntimeError, ValueError, OSError) as exc:
            self.append_log(f"Cannot start training: {exc}")
            self.status_message.emit(str(exc))
            return False
        return True

    def toggle_pause(self) -> None:
        record = self.controller.current
        if record is not None and record.status == "paused":
            self.controller.resume()
        else:
            self.controller.pause()

    def toggle_training(self) -> None:
        """Start when idle, stop when a run is active (the Train > Start/Stop action)."""
        if self.controller.is_active:
            self.controller.stop()
        else:
            self.start()

    def shutdown(self) -> None:
        """Kill any run and stop background work (the window is closing)."""
        self.timer.stop()
        self.plots.timer.stop()
        self.data.shutdown()
        self.controller.shutdown()

    # ---- controller signals ------------------------------------------------------
    def append_log(self, text: str) -> None:
        self.log.appendPlainText(text)

    def _on_controller_nan_detected(self, text: str) -> None:
        self.nan_label.setText(text)
        self.nan_label.show()

    def _on_controller_run_started(self, record) -> None:
        self.nan_label.hide()
        self.plots.show_run(record.curves)
        self.tabs.setCurrentWidget(self.plots)
        item = QtWidgets.QTreeWidgetItem([record.label, record.status, record.summary(), ""])
        item.setFlags(item.flags() | QtCore.Qt.ItemIsUserCheckable)
        item.setCheckState(0, QtCore.Qt.Unchecked)
        item.setData(0, QtCore.Qt.UserRole, record.number)
        self.runs.addTopLevelItem(item)
        self.runs.setCurrentItem(item)
        self._update_overlays()

    def _item_of(self, record) -> QtWidgets.QTreeWidgetItem | None:
        return next((self.runs.topLevelItem(i) for i in range(self.runs.topLevelItemCount())
                     if self.runs.topLevelItem(i).data(0, QtCore.Qt.UserRole) == record.number),
                    None)

    def _on_controller_status_changed(self, record) -> None:
        item = self._item_of(record)
        if item is not None:
            item.setText(1, record.status)
            metrics = record.final_metrics
            item.setText(3, ", ".join(f"{k} {v:.4g}" for k, v in sorted(metrics.items())))
        self.pause_button.setText("Resume" if record.status == "paused" else "Pause")
        self._update_buttons()

    def _on_controller_run_finished(self, record) -> None:
        self._on_controller_status_changed(record)
        self._show_progress(record)
        self.results.show_run(record)
        lr = (record.settings.get("optimizer") or {})
        lr = lr.get("learning_rate", 0.001) if isinstance(lr, dict) else 0.001
        self.continue_lr.setText(f"{float(lr) / 10:.3g}")
        if record.status == "killed":
            self.tabs.setCurrentWidget(self.log)

    # ---- runs list and buttons ---------------------------------------------------
    def _selected_run(self):
        item = self.runs.currentItem()
        number = item.data(0, QtCore.Qt.UserRole) if item is not None else None
        runs = self.controller.runs
        return next((r for r in runs if r.number == number), runs[-1] if runs else None)

    def _on_runs_item_changed(self, item, column: int) -> None:
        if column == 0:
            self._update_overlays()

    def _update_overlays(self) -> None:
        """Overlay the checked runs other than the one shown."""
        shown = self.plots.current
        checked = []
        for i in range(self.runs.topLevelItemCount()):
            item = self.runs.topLevelItem(i)
            record = next(r for r in self.controller.runs
                          if r.number == item.data(0, QtCore.Qt.UserRole))
            if item.checkState(0) == QtCore.Qt.Checked and record.curves is not shown:
                checked.append((record.label, record.curves))
        self.plots.set_overlays(checked)

    def _update_buttons(self, *_) -> None:
        active = self.controller.is_active
        self.start_button.setEnabled(not active)
        for button in (self.pause_button, self.stop_button, self.kill_button):
            button.setEnabled(active)
        record = self._selected_run()
        self.continue_button.setEnabled(not active and record is not None
                                        and bool(record.saved_path))

    # ---- progress (timer) ------------------------------------------------------------
    def _on_timer_timeout(self) -> None:
        record = self.controller.current
        if record is not None and record.active:
            self._show_progress(record)

    def _show_progress(self, record) -> None:
        self.progress.setValue(int(round(record.fraction * 1000)))
        if record.status in ("finished", "stopped", "failed", "killed"):
            self.progress.setFormat(f"{record.label} {record.status}")
            return
        epochs = record.epochs or "?"
        batch = f" · batch {record.batch + 1}/{record.steps}" if record.steps and \
            record.batch >= 0 else ""
        rate = record.samples_per_s
        speed = f" · {rate:,.0f} samples/s" if isinstance(rate, float | int) and \
            math.isfinite(rate) else ""
        self.progress.setFormat(f"{record.status} · epoch {min(record.epoch + 1, epochs)}"
                                f"/{epochs}{batch} · ETA {format_eta(record.eta_s)}{speed}"
                                if isinstance(epochs, int) else f"{record.status}…")
