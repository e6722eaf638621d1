"""The data picker of the Training dock: a data spec, Browse, and a preview of the data.

The preview (sample counts, input and output shapes, class counts, a few images) is read
on a worker thread (`preview_read`), so a large folder or file never freezes the GUI.
What it read is checked against the model (`data_check`) by the check a run makes before
training (`runtime.sources.check_source`): labels that do not fit (wrong shape, class ids beyond
the output's units), image folders with more classes than the output's units or an Input
that cannot take images, and sources the run's reader refuses show here, with their fix,
and Start refuses them before any run starts.

An edit that changes what the data was read for (the losses, outputs or Inputs) has it read
again, and its thumbnails made again; while the Training tab is behind another (`follow`)
that read waits until the tab is shown, or until Start checks the data, and the
findings of the data as read before go, as they may not hold for the model as edited.

Start never trains on data it has not checked, nor blocks the window for it: a read taking
over GRACE_MS (`data_wait`; a large CSV file) leaves Start waiting, "Checking data before
Start…" and a Cancel under the preview, until the read is checked (`start_when_read`).
The files read are watched (`data_watch`): their edits on disk read it again, as above.

A preview emptied for the next (another project's, or read again) keeps its height until the
next is shown (`_hold_height`): Save As to another folder read the data again, the settings
column was 102 px shorter for that moment, and its scroll area, scrolled to the end, kept
the shorter end: the settings jumped up.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from ...graph.projectfile import from_dict, to_dict
from ..future_watch import FutureWatcher
from ..panels.shown import WhenShown
from ..window.preferences import remember, remembered_folder
from .data_check import DataCheckMixin
from .data_wait import DataWait, wait_briefly
from .data_watch import DataWatch
from .preview_read import PREVIEW_IMAGES, Previewed, copy_analysis, describe
from .preview_read import read_preview as _read_preview
from .thumbnails import to_qimage

THUMB_PX = 40
BROWSED = "data_folder"  # the setting: the folder the last data file or folder was in


# ---- the widget ------------------------------------------------------------------
class DataPreview(DataCheckMixin, QtWidgets.QWidget):
    """The data spec, a Browse button, and a preview loaded off the GUI thread."""

    loaded = QtCore.Signal(str, object)
    spec_edited = QtCore.Signal(str)
    # The data check's issues on the previewed data, when they change (a list of Issue).
    checked = QtCore.Signal(object)
    # The files of the data shown changed on disk: its check reads it again (`check`).
    files_changed = QtCore.Signal()

    def __init__(self, parent=None, project_dir=lambda: None):
        super().__init__(parent)
        self.project_dir = project_dir  # () -> the open project's folder, or None
        self.spec = QtWidgets.QLineEdit()
        self.spec.setPlaceholderText("synthetic:512, sklearn:digits, data.npz, csv:f.csv, "
                                     "images:folder")
        self.spec.editingFinished.connect(lambda: self.spec_edited.emit(self.spec.text()))
        browse = QtWidgets.QToolButton(text="…")
        browse.setToolTip("Choose a data file or an image folder")
        browse.setPopupMode(QtWidgets.QToolButton.InstantPopup)
        menu = QtWidgets.QMenu(browse)  # a file dialog picks files or a folder, not both
        self.browse_file = menu.addAction("Data File (.npz, .npy, .csv)…",
                                          self._on_browse_file_triggered)
        self.browse_folder = menu.addAction("Image Folder (a subfolder per class)…",
                                            self._on_browse_folder_triggered)
        browse.setMenu(menu)
        self.info = QtWidgets.QLabel("")
        self.info.setWordWrap(True)
        self.problems = QtWidgets.QLabel("")  # what the data check found, in red
        self.problems.setWordWrap(True)
        self.problems.setTextFormat(QtCore.Qt.PlainText)
        self.problems.setStyleSheet("color: #ff6b6b")
        self.problems.hide()
        self.waiting = DataWait()  # "Checking data before Start…" and Cancel
        self.waiting_text = self.waiting.text
        self._watch = DataWatch(self)  # the files read, for their edits on disk
        self._watch.changed.connect(self._on_watch_changed)
        self._settling = False  # a Start waits briefly for the read (`settle`)
        self._closed = False
        self._data: Previewed | None = None  # what was read, for the data check
        self._future: Future | None = None  # the preview being read
        self._issues: list | None = None
        self._shown = WhenShown()  # a read again waits while the tab is behind (`follow`)
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
        layout.addWidget(self.waiting)
        layout.addLayout(self.images)

    @property
    def wanted(self) -> str | None:
        """The spec last asked for (its preview is shown or on its way)."""
        return self._wanted

    @property
    def issues(self) -> list:
        """What the last check found (it stands until a check finds otherwise, and a check
        runs at each edit; none while a read again waits for the tab): the findings the
        window may keep through an edit."""
        return list(self._issues or [])

    @property
    def deferred(self) -> bool:
        """Whether a read again waits for the tab to be shown."""
        return self._shown.due

    def follow(self, dock) -> None:
        """Read again only while `dock` can be seen (else once its tab is shown)."""
        self._shown.follow(dock)

    def clear(self) -> None:
        """Forget the shown preview (another project is open)."""
        self._hold_height()
        self._wanted = None
        self._watch.watch("")
        self._shown.cancel()
        self.stop_waiting()
        self._issues = None
        self.info.setText("")
        self._clear_images()
        self._show_issues(None)

    def set_spec(self, spec: str) -> None:
        if self.spec.text() != spec:
            self.spec.setText(spec)

    def request(self, spec: str, doc, analysis=None) -> None:
        """Load a preview of `spec` for `doc` (and its `analysis`, which a custom layer's
        shapes come from) in the background (the last request wins)."""
        if spec != self._wanted and self._issues:  # the last data's findings are not this's
            self._issues = []
            self.checked.emit([])
        self._hold_height()
        self._wanted = spec
        self._watch.watch(spec)
        self._shown.cancel()
        self.info.setText(f"Reading {spec}…")
        self._clear_images()  # the last data's thumbnails are not this data's
        self._data = None
        self._show_issues(None)
        # Detached copies: the worker thread must not read a document being edited.
        future = self._future = self._executor.submit(
            _read_preview, spec, from_dict(to_dict(doc)), copy_analysis(analysis))
        # Handed over on the GUI thread: the worker thread never touches this widget.
        self._results.watch(future, lambda done: self.loaded.emit(spec, done))

    def settle(self) -> None:
        """Wait briefly for the preview on its way (`wait_briefly`: the window's events go
        on) and show it if it came: Start checks the data a run reads."""
        future = self._future
        if future is None or self._data is not None or self._settling:
            return
        self._settling = True
        try:
            done = wait_briefly(future, self._results)
        finally:
            self._settling = False
        if done and not self._closed:
            self._on_loaded(self._wanted, future)

    def _on_loaded(self, spec: str, future: Future) -> None:
        if spec != self._wanted or future is not self._future:
            return  # another spec asked for since, or this one shown already (`settle`)
        self._future = None
        self._show_loaded(future)
        start = self.waiting.take("Start")
        if start is not None:  # Start waited for this read: it checks the data now,
            self._settling = True  # waiting again at once if it is read again
            try:
                start()
            finally:
                self._settling = False

    def _hold_height(self) -> None:
        """Keep the height of the preview shown while it is emptied for the next one (the
        emptied labels and thumbnails are laid out only later, on an event of their own)."""
        if self.isVisible():
            self.setMinimumHeight(max(self.minimumHeight(), self.height()))

    def _show_loaded(self, future: Future) -> None:
        self.setMinimumHeight(0)  # laid out once, with what was read
        try:
            found = future.result()
        except Exception as exc:  # noqa: BLE001  every failure is shown, none raised
            self.info.setText(f"<span style='color:#ff6b6b'>{exc}</span>")
            return
        self._data = found["previewed"]
        if "error" in found:
            self.info.setText(f"<span style='color:#ff6b6b'>{found['error']}</span>")
            return
        self.info.setText(describe(found))
        for sample in list(found["images"] if found["images"] is not None else [])[
                :PREVIEW_IMAGES]:
            label = QtWidgets.QLabel()
            label.setPixmap(QtGui.QPixmap.fromImage(to_qimage(sample)).scaled(
                THUMB_PX, THUMB_PX, QtCore.Qt.KeepAspectRatio))
            self.images.addWidget(label)
            label.show()  # now, not on an event of its own: laid out with the text above

    def _clear_images(self) -> None:
        while self.images.count():
            self.images.takeAt(0).widget().deleteLater()

    def _on_browse_file_triggered(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, "Training data", self._browse_start(), "Data (*.npz *.npy *.csv);;All files (*)")
        if path:
            self._browsed(f"csv:{path}" if path.endswith(".csv") else path, path)

    def _on_browse_folder_triggered(self) -> None:
        """An image folder, read as `images:FOLDER` (one subfolder of images per class):
        Browse offered only files, so a folder had to be typed."""
        path = QtWidgets.QFileDialog.getExistingDirectory(
            self, "Training images: a folder with a subfolder per class", self._browse_start())
        if path:
            self._browsed(f"images:{path}", path)

    def _browse_start(self) -> str:
        """Where Browse opens: the folder holding the file or folder the spec names, when it
        exists (`images:/data/pets` -> /data; a relative path from the project's folder),
        else the project's folder (its `data` folder when it has one), else the folder
        last browsed from, else the dialog's own default (it opened the home folder)."""
        project = self.project_dir()
        named = self._named_path()
        if named is not None and project is not None and not named.is_absolute():
            named = project / named
        if named is not None and named.exists():
            return str(named.resolve().parent)
        if project is not None and project.is_dir():
            return str(project / "data" if (project / "data").is_dir() else project)
        return remembered_folder(BROWSED) or ""

    def _named_path(self) -> Path | None:
        """The first file or folder the spec names (None for synthetic and sklearn data)."""
        kind, _, rest = self.spec.text().partition(":")
        named = (rest if kind in ("csv", "images") else self.spec.text()).split("?")[0]
        path = Path(named.split(",")[0].strip()).expanduser()
        return None if str(path) == "." else path

    def _browsed(self, spec: str, path: str) -> None:
        remember(BROWSED, str(Path(path).resolve().parent))  # where Browse opens next
        self.spec.setText(spec)
        self.spec_edited.emit(spec)

    def shutdown(self) -> None:
        self._closed = True
        self.stop_waiting()
        self._watch.watch("")
        self._future = None
        self._results.clear()
        self._executor.shutdown(wait=False, cancel_futures=True)

