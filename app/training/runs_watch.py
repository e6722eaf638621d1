"""Noticing runs that another process lists in the open project's runs index.

`kerascanvas run` (or a second window) writes the runs index while the window is open.
`RunsWatcher` watches the runs folder and its index with a `QFileSystemWatcher` and
emits `changed(folder)` once a burst of changes has settled (`DEBOUNCE_MS`), when the
index is not as it was last seen (written, or removed with its folder). The index is
replaced by a rename on every write, which ends the watch on the old file, so the paths
are added again after each change; a runs folder that does not exist yet is noticed
through the folder above it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore

from ...runtime.run_record import INDEX

DEBOUNCE_MS = 250


def _stamp(index: Path) -> tuple[int, int] | None:
    """(modification time, size) of the index; None when there is none."""
    try:
        stat = index.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


class RunsWatcher(QtCore.QObject):
    """Emits `changed(folder)` when `folder`'s runs index changed on disk."""

    changed = QtCore.Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.folder: Path | None = None
        self._seen: tuple[int, int] | None = None
        self._watcher = QtCore.QFileSystemWatcher(self)
        self._timer = QtCore.QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._watcher.directoryChanged.connect(self._on_watcher_changed)
        self._watcher.fileChanged.connect(self._on_watcher_changed)

    def watch(self, folder: Path | None) -> None:
        """Watch `folder`'s index from now on (None: nothing); its index as it is now
        counts as seen."""
        self.folder = folder
        self._seen = _stamp(folder / INDEX) if folder is not None else None
        self._timer.stop()
        self._rewatch()

    def written(self, folder: Path, before, after) -> None:
        """This window wrote `folder`'s index, finding it at stamp `before` and leaving it
        at `after` (`runs_index.merge_index_stamped`): when `before` is the index last
        seen, its write is not read back (30 MB at 2,000 runs) as another's change."""
        if folder == self.folder and before == self._seen:
            self._seen = after

    def _rewatch(self) -> None:
        paths = self._watcher.files() + self._watcher.directories()
        if paths:
            self._watcher.removePaths(paths)
        if self.folder is None:
            return
        index = self.folder / INDEX
        wanted = [p for p in (index, self.folder, self.folder.parent) if p.exists()][:2]
        if wanted:
            self._watcher.addPaths([str(p) for p in wanted])

    def _on_watcher_changed(self, _path: str) -> None:
        self._timer.start()  # restarted by each change of a burst

    def _on_timer_timeout(self) -> None:
        self._rewatch()
        if self.folder is None:
            return
        stamp = _stamp(self.folder / INDEX)
        if stamp != self._seen:  # written, or gone (the runs folder deleted or renamed)
            self._seen = stamp
            self.changed.emit(self.folder)
