"""The Training panel's runs of the open project: read when the project opens (off the GUI
thread, `runs_reader`), moved with an untitled project when it is saved, listed in the
Runs tab (checked ones overlaid on the plots), kept in the project's runs index
when they finish (`history`), and joined by the runs other processes list there while it
is open (`listed_runs`)."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from ...runtime.runs_index import merge_index_stamped
from .history import ended_entries, renumbered, runs_folder
from .listed_runs import ListedRunsMixin
from .runs_list_text import metrics_text, status_text

__all__ = ["ProjectRunsMixin", "metrics_text"]


class ProjectRunsMixin(ListedRunsMixin):
    """Mixed into `TrainingPanel`: expects its `controller`, `reader`, `runs`, `plots`,
    `results`, `progress`, `tabs`, `log` and `continue_fields`."""

    def follow_project(self, path: str | None, move: bool = False) -> None:
        """Show the runs of the project saved at `path` (None: untitled) and reset the data
        preview. With `move` (an untitled project saved), its runs move with it. The runs
        are read in the background (`runs_reader`) and listed when they arrive."""
        self.project_dir = Path(path).resolve().parent if path else None
        folder = runs_folder(path)
        if folder == self.folder:
            return
        old, self.folder = self.folder, folder
        self.runs_watch.watch(None)
        self.refresher.cancel()
        self.data.clear()
        self._show_data_spec()
        if move and old is not None and old.is_dir() and not folder.exists():
            self.reader.cancel()
            self.index_writes.flush()  # no listing is written into the old folder after
            shutil.move(str(old), str(folder))
            for record in self.controller.runs:
                record.folder = str(folder)
                if record.saved_path:
                    record.saved_path = str(folder / Path(record.saved_path).name)
            self._on_reader_read_done(folder, self.controller.runs, None)
            self.runs_watch.watch(folder)
            return
        self.controller.show_runs(str(folder), [])
        self._show_runs([])
        self.progress.setFormat("reading the project's runs…")
        self.runs_watch.watch(folder)  # before the read: no change between them is missed
        self.index_writes.flush()  # a run's end written off the GUI thread is read too
        self.reader.read(folder)

    def _on_reader_read_done(self, folder: Path, records: list, problem: str | None) -> None:
        if folder != self.folder:  # another project was opened meanwhile
            return
        records = self._live(records)
        self.controller.show_runs(str(folder), records)
        if problem:
            self.append_log(problem)
        self._seen_listed = {r.uid for r in records}
        self._show_runs(records)

    def _show_runs(self, records) -> None:
        self.runs.clear()
        for record in records:
            self._add_run_item(record)
        last = records[-1] if records else None
        self.plots.show_run(*(last.curves, last.label) if last is not None else (None, ""))
        self.plots.set_overlays([])
        if last is not None:
            self.results.show_run(last)
        else:
            self.results.clear()
        self._suggest_continue_lr(last)  # not the rate of another project's run
        if last is not None:
            self._show_progress(last)
        else:
            self.progress.setValue(0)
            self.progress.setFormat("idle")
        self._update_buttons()

    def _keep(self, record) -> None:
        """Write the finished run into its project's runs index: its entry alone (and
        those of this window's runs an earlier write failed to keep), the others on disk
        kept as they are (`runs_index.merge_index`). Written off the GUI thread after its
        listings (`index_writes`); what the write did is seen to when it is done."""
        folder = Path(record.folder or self.controller.save_dir)
        ours = record in self.controller.runs
        ended = [r for r in self.controller.runs if r is record or r.uid in self._unkept] \
            if ours else [record]  # else a run of a project that is no longer open
        done, entries = ended_entries(folder, ended)

        def failed(exc: Exception) -> None:
            self._unkept.add(record.uid)
            self.append_log(f"Could not keep {record.label} in {folder}: {exc}")

        self.index_writes.write(lambda: merge_index_stamped(folder, entries), failed,
                                lambda stamps: self._kept(folder, renumbered(done, entries),
                                                          stamps))
        self._unkept -= {r.uid for r in ended}  # back in it if the write fails

    def _kept(self, folder: Path, moved: list, stamps: tuple) -> None:
        """The runs index of `folder` holds this window's ended runs: a read begun before
        does not drop them, and those the index numbered anew take their number. The
        write is not read back unless another process wrote before it (`runs_watch`)."""
        if folder == self.folder:  # the index now holds each finished run listed
            self._seen_listed |= {r.uid for r in self.controller.runs if not r.active}
            self.runs_watch.written(folder, *stamps)
            if self.refresher.busy:  # a read begun before this write would drop them
                self.refresher.read(folder)
            self._recheck_models()
        for run, before in moved:  # only when its number could not be reserved
            self.append_log(f"Run {before} is kept as {run.label}: another run holds {before}")
            item = self._item_of_number(before) if run in self.controller.runs else None
            if item is not None:  # the number first: setText signals itemChanged
                item.setData(0, QtCore.Qt.UserRole, run.number)
                item.setText(0, run.label)

    def _on_controller_run_finished(self, record) -> None:
        self._keep(record)
        if record not in self.controller.runs:
            self.append_log(f"{record.label} of the previous project ended: {record.status}")
            self._update_buttons()
            return
        self._on_controller_status_changed(record)
        if record is not self.controller.current:  # killed, its worker gone after a Start
            return
        self._show_progress(record)
        self.results.show_run(record)
        self._suggest_continue_lr(record)
        if record.status == "killed":
            self.tabs.setCurrentWidget(self.log)
        elif record.status == "failed":  # why it failed, where the curves stayed empty
            self.tabs.setCurrentWidget(self.results)
            first = next(iter((record.message or "").splitlines()), "")
            self.status_message.emit(f"{record.label} failed: {first}")

    def _suggest_continue_lr(self, record) -> None:
        """What Continue offers for `record` (`continue_fields`): the epoch to train to and
        the rate, its note logged once per run picked; an empty rate without a run. A run
        without a model (killed before it saved one) Continue cannot take: no note."""
        if record is None:
            self.continue_fields.clear()
            return
        epochs = int((self.doc.training or {}).get("epochs", 10) or 10)
        note = self.continue_fields.suggest(record, epochs)
        note = note if record.saved_path else ""
        if note and note != getattr(self, "_continue_note", ""):  # once per run picked
            self.append_log(note)
        self._continue_note = note

    # ---- the Runs tab -------------------------------------------------------------
    def _selected_run(self):
        item = self.runs.currentItem()
        number = item.data(0, QtCore.Qt.UserRole) if item is not None else None
        runs = self.controller.runs
        return next((r for r in runs if r.number == number), runs[-1] if runs else None)

    def _on_runs_current_item_changed(self, current, _previous) -> None:
        """The run picked in the Runs tab is the one the Results tab shows, and the curves
        while no run trains (a run in progress keeps its live curves); Continue, which
        continues that run, suggests a tenth of its rate."""
        number = current.data(0, QtCore.Qt.UserRole) if current is not None else None
        record = next((r for r in self.controller.runs if r.number == number), None)
        if record is None or record.active:
            return
        self.results.show_run(record)
        self._suggest_continue_lr(record)
        if not self.controller.is_active:
            self.plots.show_run(record.curves, record.label)
            self._update_overlays()

    def _on_runs_item_changed(self, item, column: int) -> None:
        if column == 0:
            self._update_overlays()

    def _update_overlays(self) -> None:
        """Overlay the checked runs other than the one shown."""
        shown = self.plots.current
        by_number = {r.number: r for r in reversed(self.controller.runs)}  # the first
        checked = []
        for i in range(self.runs.topLevelItemCount()):
            item = self.runs.topLevelItem(i)
            if item.checkState(0) != QtCore.Qt.Checked:
                continue
            record = by_number[item.data(0, QtCore.Qt.UserRole)]
            if record.curves is not shown:
                checked.append((record.label, record.curves))
        self.plots.set_overlays(checked)

    def _add_run_item(self, record) -> QtWidgets.QTreeWidgetItem:
        item = QtWidgets.QTreeWidgetItem([record.label, record.status, record.summary(),
                                          metrics_text(record)])
        # The column may cut the settings short; the data a run read is said here too,
        # as runs on other data (`kerascanvas run --data`, an edited field) read alike.
        data = record.settings.get("data")
        item.setToolTip(2, item.text(2) + (f"\ndata: {data}" if data else ""))
        self._show_status(item, record)
        item.setFlags(item.flags() | QtCore.Qt.ItemIsUserCheckable)
        item.setCheckState(0, QtCore.Qt.Unchecked)
        item.setData(0, QtCore.Qt.UserRole, record.number)
        self.runs.addTopLevelItem(item)
        return item

    def _show_status(self, item: QtWidgets.QTreeWidgetItem, record) -> None:
        """`record`'s status in its row, saying when its model file is missing."""
        text, tip = status_text(record)
        item.setText(1, text)
        item.setToolTip(1, tip)

    def _recheck_models(self) -> None:
        """Say in their rows which runs' model files went since they were shown (the
        index was written or read again); only rows whose status changes are set."""
        by_number = {r.number: r for r in reversed(self.controller.runs)}  # the first
        for i in range(self.runs.topLevelItemCount()):
            item = self.runs.topLevelItem(i)
            record = by_number.get(item.data(0, QtCore.Qt.UserRole))
            if record is not None and item.text(1) != status_text(record)[0]:
                self._show_status(item, record)

    def _item_of(self, record) -> QtWidgets.QTreeWidgetItem | None:
        return self._item_of_number(record.number)

    def _item_of_number(self, number: int) -> QtWidgets.QTreeWidgetItem | None:
        return next((self.runs.topLevelItem(i) for i in range(self.runs.topLevelItemCount())
                     if self.runs.topLevelItem(i).data(0, QtCore.Qt.UserRole) == number),
                    None)
