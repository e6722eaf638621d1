"""The data picker of the Training dock: a data spec, Browse, and a preview of the data.

The preview (sample counts, input and output shapes, class counts, a few images)
is read on a worker thread, so a large folder or file never freezes the GUI.
Image folders and CSV files are read by the training engine's own listing and target
reader (no keras); the other specs through `runtime.data.load_preview`, which draws (or
reads from a `.npz`/`.npy` file) only the thumbnails' samples of the inputs and all the
labels, so the counts shown are those a run with the project's seed trains on.
Those labels and input heads are checked against the model by the check a run makes
before training (`runtime.datacheck`): labels that do not fit (wrong shape, class ids
beyond the output's units) show here, with their fix, before any run starts.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PySide6 import QtCore, QtGui, QtWidgets

from ...graph.projectfile import from_dict, to_dict
from ..future_watch import FutureWatcher
from .thumbnails import is_image_batch, to_qimage

PREVIEW_IMAGES = 8
THUMB_PX = 40
MAX_LISTED = 20  # classes whose counts are listed one by one


# ---- reading (runs on a worker thread) -------------------------------------------
def preview_data(spec: str, doc) -> dict:
    """Shapes, class counts and a few images of the data named by `spec`.

    Returns:
        {"lines": [text, ...], "counts": {what is counted: {class: count}},
         "images": an array or list of (H, W[, C]) images, or None}. What is counted
        names its source, quoted: "samples per class of output 'classes'", "images per
        class" (an image folder), "rows per value of column 'species'" (a CSV file).
    """
    kind, _, rest = spec.strip().partition(":")
    if kind == "images":
        return _preview_folder(rest)
    if kind == "csv":
        return _preview_csv(rest, doc)
    from ...graph.training import resolve_training
    from ...runtime.data import load_preview

    seed = resolve_training(doc)["seed"]
    # Only the thumbnails' samples are drawn or kept: the labels are all there, counted.
    data, count = load_preview(spec, doc, seed, PREVIEW_IMAGES)
    lines = [f"{count} samples", *_synthetic_notes(kind, doc, seed)]
    lines += [f"input {k!r}: {a.shape[1:]} {a.dtype}" for k, a in data.x.items()]
    lines += [f"output {k!r}: {a.shape[1:]} {a.dtype}" for k, a in data.y.items()]
    counts = {}
    for name, labels in data.y.items():
        ids = class_ids(labels)
        if ids is not None:
            counts[f"samples per class of output {name!r}"] = dict(
                zip(*np.unique(ids, return_counts=True), strict=True))
    images = next((a for a in data.x.values() if is_image_batch(a)), None)
    # Synthetic labels are drawn for the model as it is: only read data is checked.
    checked = None if kind == "synthetic" else data
    return {"lines": lines, "counts": counts, "images": images, "data": checked,
            "basis": label_basis(doc)}


def label_basis(doc, analysis=None) -> str:
    """What the preview's labels were adapted for (`runtime.label_forms.adapt_labels`):
    the losses and the outputs' shapes. Once they change the labels are read again."""
    from ...graph.training import resolve_training
    from ...runtime.label_forms import output_shapes

    return repr((resolve_training(doc)["loss"], sorted(output_shapes(doc, analysis).items())))


def preview_issues(doc, data, analysis=None) -> list:
    """The issues the data check a run makes before training (`runtime.datacheck`) finds
    in the preview's data, each naming its node and carrying its fix. Its inputs are only
    their first samples: their count is not compared with the labels'."""
    from ...runtime.datacheck import check_data

    return [i for i in check_data(doc, data, analysis) if i.code != "data_count"]


def issues_text(issues: list, doc=None) -> str:
    """One line per issue, with the label of its fix: "... (fix: Set units to the number
    of classes, in Issues)"."""
    from ...graph.fixes import fix_label

    def fixed(issue) -> str:
        labels = ", ".join(fix_label(code, issue, doc) for code in issue.fixes)
        return f" (fix: {labels}, in Issues)" if labels else ""

    return "\n".join(f"{issue.message}{fixed(issue)}" for issue in issues)


def _synthetic_notes(kind: str, doc, seed) -> list[str]:
    """Why synthetic data of `doc` has no inputs or no labels (a half-built or imported
    project read as "0 samples" with no reason given), and that without a seed the counts
    are one draw's."""
    from ...graph.spec import INPUT

    if kind != "synthetic":
        return []
    lines = []
    if not any(node.kind == INPUT for node in doc.nodes.values()):
        lines.append("no inputs: the model has no Input node to shape samples for")
    if not doc.outputs:
        lines.append("no labels: the model has no output to derive labels from")
    if seed is None and not lines:
        lines.append("no seed set: each run draws other samples (these counts are one draw's)")
    return lines


def class_ids(labels: np.ndarray) -> np.ndarray | None:
    """Each sample's class: integer labels as they are, rows of class probabilities
    (one-hot or soft: in [0, 1], summing to 1) by their likeliest class; None for
    anything else (regression targets of several values are no classes)."""
    if labels.ndim != 2 or labels.shape[-1] < 2:
        return labels.reshape(-1) if labels.dtype.kind in "iu" else None
    values = labels.astype("float64")
    rows_sum_to_one = np.allclose(values.sum(-1), 1.0, atol=1e-3)
    in_unit_range = bool(np.all((values >= 0) & (values <= 1)))
    return values.argmax(-1) if rows_sum_to_one and in_unit_range else None


def _preview_folder(root: str) -> dict:
    # The training engine's own listing: the preview shows exactly what will be trained on.
    from ...runtime.sources import list_images

    files, labels, classes = list_images(root)
    counts = {name: int(n) for name, n in zip(classes, np.bincount(labels, minlength=len(
        classes)), strict=True)}
    firsts = [p for c in range(len(classes)) for p in
              [files[i] for i in np.flatnonzero(labels == c)[:2]]]
    images = [_thumbnail(p) for p in firsts[:PREVIEW_IMAGES]]
    return {"lines": [f"{len(files)} images in {len(classes)} classes"],
            "counts": {"images per class": counts},
            "images": [i for i in images if i is not None]}


def _thumbnail(path: Path):
    from PIL import Image

    try:
        with Image.open(path) as image:
            image.thumbnail((64, 64))
            return np.asarray(image.convert("RGB"))
    except OSError:
        return None


def _preview_csv(rest: str, doc) -> dict:
    # The training engine's own reading of the target: the counts are those it trains on.
    from ...runtime.sources import csv_target

    header, rows, target, labels, classes = csv_target(rest, doc)
    counts = {}
    if classes is not None:
        counts = dict(zip(classes, np.bincount(labels, minlength=len(classes)).tolist(),
                          strict=True))
    elif labels.dtype.kind in "iu":
        counts = dict(zip(*np.unique(labels, return_counts=True), strict=True))
    what = f"rows per value of column {target!r}"
    return {"lines": [f"{rows} rows, columns: {', '.join(header)}"],
            "counts": {what: counts} if counts else {}, "images": None}


def describe(found: dict) -> str:
    """The preview's text: its lines, then a line of class counts for each output
    ("samples per class of output 'y': 0×50, 1×50")."""
    counts = [f"{what}: " + _count_text(c) for what, c in found["counts"].items()]
    return "\n".join([*found["lines"], *counts])


def _count_text(counts: dict) -> str:
    """Each class's count, or for more than MAX_LISTED classes (an ImageNet head's 1000
    filled the dock) how many there are and the least and most samples of one."""
    if len(counts) <= MAX_LISTED:
        return ", ".join(f"{k}×{v}" for k, v in counts.items())
    return (f"{len(counts)} classes, {min(counts.values())} to {max(counts.values())} "
            "each")


# ---- the widget ------------------------------------------------------------------
class DataPreview(QtWidgets.QWidget):
    """The data spec, a Browse button, and a preview loaded off the GUI thread."""

    loaded = QtCore.Signal(str, object)
    spec_edited = QtCore.Signal(str)
    # The data check's issues on the previewed data, when they change (a list of Issue).
    checked = QtCore.Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.spec = QtWidgets.QLineEdit()
        self.spec.setPlaceholderText("synthetic:512, sklearn:digits, data.npz, csv:f.csv, "
                                     "images:folder")
        self.spec.editingFinished.connect(lambda: self.spec_edited.emit(self.spec.text()))
        browse = QtWidgets.QToolButton(text="…")
        browse.setToolTip("Choose a data file or an image folder")
        browse.clicked.connect(self._on_browse_clicked)
        self.info = QtWidgets.QLabel("")
        self.info.setWordWrap(True)
        self.problems = QtWidgets.QLabel("")  # what the data check found, in red
        self.problems.setWordWrap(True)
        self.problems.setTextFormat(QtCore.Qt.PlainText)
        self.problems.setStyleSheet("color: #ff6b6b")
        self.problems.hide()
        self._data = None  # (spec, Dataset, label basis) once read, for the data check
        self._issues: list | None = None
        self.images = QtWidgets.QHBoxLayout()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="preview")
        self._results = FutureWatcher(self)
        self._wanted = ""
        self.loaded.connect(self._on_loaded, QtCore.Qt.QueuedConnection)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.spec, 1)
        row.addWidget(browse)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.info)
        layout.addWidget(self.problems)
        layout.addLayout(self.images)

    @property
    def wanted(self) -> str | None:
        """The spec last asked for (its preview is shown or on its way)."""
        return self._wanted

    def clear(self) -> None:
        """Forget the shown preview (another project is open)."""
        self._wanted = None
        self.info.setText("")
        self._clear_images()
        self._show_issues(None)

    def set_spec(self, spec: str) -> None:
        if self.spec.text() != spec:
            self.spec.setText(spec)

    def request(self, spec: str, doc) -> None:
        """Load a preview of `spec` for `doc` in the background (the last request wins)."""
        self._wanted = spec
        self.info.setText(f"Reading {spec}…")
        self._clear_images()  # the last data's thumbnails are not this data's
        self._data = None
        self._show_issues(None)
        # A detached copy: the worker thread must not read a document being edited.
        future = self._executor.submit(_call_preview, spec, from_dict(to_dict(doc)))
        # Handed over on the GUI thread: the worker thread never touches this widget.
        self._results.watch(future, lambda done: self.loaded.emit(spec, done))

    def _on_loaded(self, spec: str, future) -> None:
        if spec != self._wanted:
            return
        try:
            found = future.result()
        except Exception as exc:  # noqa: BLE001  every failure is shown, none raised
            self.info.setText(f"<span style='color:#ff6b6b'>{exc}</span>")
            return
        self.info.setText(describe(found))
        if found.get("data") is not None:
            self._data = (spec, found["data"], found["basis"])
        for sample in list(found["images"] if found["images"] is not None else [])[:8]:
            label = QtWidgets.QLabel()
            label.setPixmap(QtGui.QPixmap.fromImage(to_qimage(sample)).scaled(
                THUMB_PX, THUMB_PX, QtCore.Qt.KeepAspectRatio))
            self.images.addWidget(label)

    def check(self, spec: str, doc, analysis=None) -> list:
        """The data check's issues for `doc` as it is now, on the previewed data, when
        the preview shown is of `spec` (the data a run of `doc` reads) and its labels were
        read for the losses and outputs `doc` has; else none (the run checks its data
        itself), and a preview for `doc` is read again when its labels are stale."""
        if self._data is None or self._data[0] != spec or spec != self._wanted:
            return []
        try:
            if label_basis(doc, analysis) != self._data[2]:
                self.request(spec, doc)
                return []
            issues = preview_issues(doc, self._data[1], analysis)
        except Exception:  # noqa: BLE001  the run's own check says it, with its context
            return []
        self._show_issues(issues, doc)
        return issues

    def _show_issues(self, issues: list | None, doc=None) -> None:
        """Show `issues` (None: no check made yet) and tell them when they changed."""
        self.problems.setText(issues_text(issues or [], doc))
        self.problems.setVisible(bool(issues))
        if issues is None:
            return
        changed = [i.message for i in issues] != [i.message for i in self._issues or []]
        self._issues = issues
        if changed:
            self.checked.emit(list(issues))

    def _clear_images(self) -> None:
        while self.images.count():
            self.images.takeAt(0).widget().deleteLater()

    def _on_browse_clicked(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, "Training data", "", "Data (*.npz *.npy *.csv);;All files (*)")
        if path:
            self.spec.setText(f"csv:{path}" if path.endswith(".csv") else path)
            self.spec_edited.emit(self.spec.text())

    def shutdown(self) -> None:
        self._results.clear()
        self._executor.shutdown(wait=False, cancel_futures=True)


def _call_preview(spec: str, doc) -> dict:
    # Looked up at call time, so a test can wrap `preview_data` to see which thread runs it.
    return preview_data(spec, doc)
