"""Watching the files the data preview read, so that the preview follows their edits.

A CSV file with rows appended, an image added to a class folder or a class folder added
changes what a run trains on; the preview (its rows, shapes and class counts, and the
data check shown with them) is read again when it does, instead of at the next Start.
The files and folders of the spec (an image folder's class folders too) and the folders
of its files are watched: an editor that saves by writing another file and renaming it
over the first replaces the file watched, which the watcher then drops, so the spec's
paths are added again at each change, and a file that came back shows in its folder.
Changes come in bursts (a file written in pieces, a folder copied in); DEBOUNCE_MS after
the last the preview is told once.
"""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore

from ...graph.training_paths import data_paths

DEBOUNCE_MS = 300


def watched_paths(spec: str) -> list[str]:
    """The files and folders to watch for data `spec`: its files and their folders, its
    folders and their subfolders (an image folder's classes); none for synthetic and
    scikit-learn data."""
    found: list[Path] = []
    for path in map(Path, data_paths(spec)):
        if path.is_dir():
            found += [path, *sorted(p for p in _subfolders(path))]
        else:
            found += [path, path.parent]
    return list(dict.fromkeys(str(p) for p in found if p.exists()))


def _subfolders(path: Path) -> list[Path]:
    try:
        return [p for p in path.iterdir() if p.is_dir()]
    except OSError:
        return []


class DataWatch(QtCore.QObject):
    """`watch(spec)`: `changed` is emitted DEBOUNCE_MS after the last change to its files."""

    changed = QtCore.Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self._spec = ""
        self._watcher = QtCore.QFileSystemWatcher(self)
        self._watcher.fileChanged.connect(self._on_path_changed)
        self._watcher.directoryChanged.connect(self._on_path_changed)
        self._debounce = QtCore.QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._debounce.timeout.connect(self._on_debounce_timeout)

    @property
    def paths(self) -> list[str]:
        """The files and folders watched."""
        return self._watcher.files() + self._watcher.directories()

    def watch(self, spec: str) -> None:
        """Watch the files of data `spec` (and no other); "" watches none."""
        self._spec = spec
        self._debounce.stop()
        if self.paths:
            self._watcher.removePaths(self.paths)
        self._add_missing()

    def _add_missing(self) -> None:
        """Watch the spec's paths not watched (replaced by a rename, or back again)."""
        missing = sorted(set(watched_paths(self._spec)) - set(self.paths))
        if missing:
            self._watcher.addPaths(missing)

    def _on_path_changed(self, _path: str) -> None:
        self._debounce.start()

    def _on_debounce_timeout(self) -> None:
        self._add_missing()
        self.changed.emit()
