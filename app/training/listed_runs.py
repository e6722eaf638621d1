"""The runs listed in the runs index while they train. Those other processes list in the
open project's index: `kerascanvas run` (or another window) adds, moves on, ends or drops
them there. The index change is noticed (`runs_watch`) and read off the GUI thread
(`runs_reader`); a run listed as running whose process is gone reads "interrupted"
(`history.judge_listed`, looked up every `JUDGE_MS`). And this window's own runs, listed
as running from their start and again at each snapshot seen (`run_listing`), so that one
killed with the window is listed on the next open."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6 import QtCore

from ...runtime.snapshot import snapshot_path
from .history import judge_listed
from .index_writes import IndexWrites
from .run_listing import RunListing
from .runs_list_text import metrics_text
from .runs_reader import RunsReader
from .runs_watch import RunsWatcher

RETRY_MS = 100
JUDGE_MS = 2000  # how often a run another process trains is looked up


def _moved(old, new) -> bool:
    """Whether a run another process lists moved on since it was read as `old`."""
    return (old.status, old.epoch, old.message) != (new.status, new.epoch, new.message)


class ListedRunsMixin:
    """Mixed into `TrainingPanel` (through `ProjectRunsMixin`): expects its `controller`,
    `reader`, `runs`, `plots`, `results`, `folder`, `append_log` and the Runs tab's
    helpers (`_item_of`, `_show_progress`, `_suggest_continue_lr`, `_update_buttons`,
    `_update_overlays`, `_add_run_item`)."""

    def _follow_listed_runs(self) -> None:
        """Follow, while the project is open, the runs index as other processes change it:
        runs `kerascanvas run` (or another window) lists are added, and runs whose entries
        are deleted or renumbered there (the runs folder deleted) leave the list or take
        their new number. `runs_watch` notices the index change and `refresher` reads it
        off the GUI thread. Call once, from the constructor."""
        self._seen_listed: set[str] = set()  # uids of the runs a read found in the index
        self._unkept: set[str] = set()  # uids of this window's ended runs not written yet
        self.runs_watch = RunsWatcher(self)
        self.refresher = RunsReader(self)
        self.runs_watch.changed.connect(self.refresher.read)
        self.refresher.read_done.connect(self._on_refresher_read_done)
        # A run another process lists as running reads "interrupted" once that process is
        # gone: a killed process writes nothing that the watch would notice.
        self.judge_timer = QtCore.QTimer(self, interval=JUDGE_MS)
        self.judge_timer.timeout.connect(self._on_judge_timer_timeout)
        self.judge_timer.start()
        self._listings: dict[str, RunListing] = {}  # this window's runs in training, by uid
        self.index_writes = IndexWrites(self)  # their listings, off the GUI thread
        self.controller.index_writes = self.index_writes  # a run killed at close: after them
        self.controller.run_started.connect(self._list_window_run)

    def _stop_following_listed_runs(self) -> None:
        """No more watching or reading (the window is closing)."""
        self.runs_watch.watch(None)
        self.refresher.shutdown()
        self.judge_timer.stop()
        self.index_writes.shutdown()  # the listings asked for are written

    def _on_judge_timer_timeout(self) -> None:
        for record in [r for r in self.controller.runs if judge_listed(r)]:
            self._show_listed(record)
            self.append_log(f"{record.label} is interrupted: {record.message}")
        for uid, listing in list(self._listings.items()):
            if not listing.record.active:  # ended: its end is written (`_keep`), not this
                del self._listings[uid]
            elif (entry := listing.followed()) is not None:
                self._write_listing(listing, entry)

    def _list_window_run(self, record) -> None:
        """List this window's run `record` as running, as it starts (`run_listing`)."""
        save = os.path.join(record.folder, f"run_{record.number}.keras")  # the controller's
        listing = RunListing(record, snapshot_path(save))
        self._listings[record.uid] = listing
        self._write_listing(listing, listing.begun())

    def _write_listing(self, listing: RunListing, entry: dict) -> None:
        """Write `entry` off the GUI thread (`index_writes`); an index that cannot be
        written is said once, and the run is not listed again until it ends."""
        def failed(error: Exception) -> None:
            if self._listings.pop(listing.record.uid, None) is not None:
                self.append_log(f"Could not list {listing.record.label} as running in "
                                f"{listing.folder} ({error}); it is listed when it ends.")

        self.index_writes.write(lambda: listing.write(entry), failed,
                                lambda stamps: self.runs_watch.written(listing.folder, *stamps))

    def _live(self, records: list) -> list:
        """`records` read from the index, this window's runs in training as they are here
        (not as listed there, by this very process)."""
        live = {uid: listing.record for uid, listing in self._listings.items()}
        return [live.get(r.uid, r) for r in records]

    def _show_listed(self, record) -> None:
        """Show anew a run another process lists (its status, settings and metrics)."""
        item = self._item_of(record)
        if item is not None:
            self._show_status(item, record)
            item.setText(2, record.summary())
            item.setText(3, metrics_text(record))
        if self.results.record is record:
            self.results.show_run(record)
        runs = self.controller.runs
        if not self.controller.is_active and runs and runs[-1] is record:  # the line's run
            self._show_progress(record)
        if self._selected_run() is record:  # what Continue would continue: its plan, rate
            self._suggest_continue_lr(record)
        self._update_buttons()

    def _replace_listed(self, old, new) -> None:
        """`new`, read from the index, replaces `old`, a run another process listed as
        running: its end, or its progress, as that process wrote it, in the curves shown
        and in the overlays where it is ticked."""
        self.controller.runs[self.controller.runs.index(old)] = new
        if self.plots.current is old.curves and not self.controller.is_active:
            self.plots.show_run(new.curves, new.label)
        if self.results.record is old:
            self.results.record = new
        if any(curves is old.curves for _, curves, _ in self.plots.overlays):
            self._update_overlays()  # ticked: its overlay follows, as the shown run does
        self._show_listed(new)
        if new.status != old.status:
            self.append_log(f"{new.label} (listed by another process): {new.status}")

    def _on_refresher_read_done(self, folder: Path, records: list, problem: str | None
                                ) -> None:
        if folder != self.folder:
            return
        if self.reader.busy:  # the project's runs are not listed yet: add these after them
            QtCore.QTimer.singleShot(RETRY_MS, self, lambda: self._on_refresher_read_done(
                folder, records, problem))
            return
        if problem:  # an index that cannot be read says nothing of which runs are gone
            self.append_log(problem)
            return
        self._drop_unlisted({r.uid: r for r in records}, folder)
        known = {r.uid: r for r in self.controller.runs}
        for record in records:
            old = known.get(record.uid)
            if old is not None and old.process is not None and _moved(old, record):
                self._replace_listed(old, record)
            elif old is None:
                self.controller.runs.append(record)
                self._add_run_item(record)
                self._show_listed(record)  # the progress line, for the last run
                self.append_log(f"{record.label} was listed in {folder}: {record.status}")
        self._seen_listed = {r.uid for r in records}
        self._recheck_models()

    def _drop_unlisted(self, listed: dict, folder: Path) -> None:
        """Take out the runs a read found in the index before and that it no longer holds,
        and give the renumbered ones their number. Runs of this window not read there yet
        (in progress, or kept since the read began) stay, and so are never lost."""
        for record in list(self.controller.runs):
            entry = listed.get(record.uid)
            if entry is None and record.uid in self._seen_listed and not record.active:
                self._remove_run(record)
                self.append_log(f"{record.label} is no longer listed in {folder}")
            elif entry is not None and entry.number != record.number:
                item = self._item_of(record)
                record.number = entry.number
                if item is not None:  # the number first: setText signals itemChanged
                    item.setData(0, QtCore.Qt.UserRole, record.number)
                    item.setText(0, record.label)

    def _remove_run(self, record) -> None:
        """Drop `record` from the list, and from the Results tab and the curves that show it."""
        item = self._item_of(record)
        if item is not None:
            self.runs.takeTopLevelItem(self.runs.indexOfTopLevelItem(item))
        self.controller.runs.remove(record)
        last = self.controller.runs[-1] if self.controller.runs else None
        if self.results.record is record and last is not None:
            self.results.show_run(last)
        elif self.results.record is record:
            self.results.clear()
        if self.plots.current is record.curves:
            self.plots.show_run(*(last.curves, last.label) if last is not None else (None, ""))
        self._update_overlays()
        self._update_buttons()
