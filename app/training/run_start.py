"""The Training panel's commands that start a run: Start and Continue check what the run
would refuse (blocking issues, training settings, missing data, the data check the run makes,
the batch shared by the processes) and say why in the log instead of starting it; Continue
asks before it goes on with data that changed since the run (`data_changed`); Pause and
Start/Stop toggle the controller.

Neither blocks the window for its data: Start waits for the preview still being read,
Continue for its data's files compared with its run's on a worker thread; past GRACE_MS
they say so under the data preview, with a Cancel (`data_wait`)."""

from __future__ import annotations

from ...graph.summary import left_out_text
from ...graph.training_paths import anchor_spec, anchored_settings, missing_data
from ...graph.training_schema import check_training
from .continue_plan import diverged
from .data_changed import ask_continue_changed
from .data_wait import wait_briefly


class RunStartMixin:
    """Mixed into `TrainingPanel`: expects its `project`, `doc`, `controller`, `reader`,
    `data`, `processes`, `continue_fields`, `project_dir`, `tabs`, `log`, `append_log`,
    `status_message` and `_selected_run`."""

    def start(self) -> bool:
        """Start a run of the document; refuse (and say why) when it cannot train. False
        too while its data is being read: it starts (or refuses) once that is checked."""
        self.reader.wait()  # numbered after the project's saved runs
        self.data.waiting.take("Continue")  # a Continue waiting gives way
        issues = self._data_issues(start=True)  # what the run's own check would refuse
        problems = [i.message for i in self.project.analysis.blocking]  # (as it is now)
        problems += [i.message for i in check_training(self.doc) if i.severity == "error"]
        problems += missing_data(self.doc.training, self.project_dir)
        refused = [i for i in issues or [] if i.severity == "error"]  # None: being read
        problems += [i.message for i in refused]  # warnings: the run says them, and starts
        if issues:
            self.controller.data_issues_found.emit(issues)  # in Issues, with their fixes
        if refused:
            self.controller.data_refused.emit(refused)  # brought to the front
        if not self.doc.outputs:
            problems.insert(0, "The model has no output: mark a node as a model output")
        processes = self.processes.value()
        batch = int((self.doc.training or {}).get("batch_size", 32))
        if processes > 1 and batch % processes:
            problems.append(f"batch_size {batch} is the global batch, shared equally by the "
                            f"{processes} processes: make it a multiple of {processes}")
        if issues is None and not problems:
            self._wait_for_data_check()
            return False
        started = self._launch(problems, lambda: self.controller.start(
            self.doc, self._anchored(), processes=processes, folder=self.project_dir))
        if started and self.project.analysis.left_out_errors:  # say why those did not stop it
            self.append_log(left_out_text(self.doc, self.project.analysis))
        return started

    def _wait_for_data_check(self) -> None:
        """Start once the data still being read is checked (never on unchecked data),
        saying so; Cancel under the data preview stops waiting."""
        if not self.data.start_waiting:
            self.append_log(f"Start waits for the data check: {self.data.wanted} is still "
                            "being read (Cancel under the data preview stops waiting)")
        self.data.start_when_read(self.start)
        self.status_message.emit("Checking data before Start…")

    def _on_data_wait_cancelled(self, what: str) -> None:
        self.append_log(f"{what} cancelled while the data was being "
                        f"{'read' if what == 'Start' else 'compared'}: no run started")
        self.status_message.emit(f"{what} cancelled")

    def continue_selected(self) -> bool:
        """Continue the selected (or last) run from its saved model with the lr shown,
        once its data is found unchanged since the run, or the user chose to continue on
        it as it is (`_continue_when_compared`): False until then, or when refused."""
        self.reader.wait()
        self.data.stop_waiting()  # a Start waiting for its data check gives way
        record = self._selected_run()
        lr = self.continue_fields.learning_rate()
        to_epoch = self.continue_fields.to_epoch()
        problems = [] if record is not None else ["Select a stopped or finished run first"]
        if record is not None and lr is None and diverged(record):
            problems.append(f"{record.label}'s rate gave a NaN loss: type a smaller learning "
                            f"rate to continue it")

        def go():
            return self.controller.start(self.doc, self._anchored(), resume_from=record,
                                         learning_rate=lr, to_epoch=to_epoch,
                                         processes=record.processes if record else 1)

        if record is None or problems:
            return self._launch(problems, go)
        return self._continue_when_compared(record, go)

    def _continue_when_compared(self, record, go) -> bool:
        """`go` once the data the continuation of `record` trains on is compared, off the
        GUI thread, with its run's (`ChangeCheck`) and found unchanged or accepted: at
        once (True when it started) when that takes under GRACE_MS, else once it is done
        (False now), unless Cancel or another command came first."""
        spec = str(self._anchored().get("data", (self.doc.training or {}).get("data", "")))

        def compared(future) -> None:
            if self.data.waiting.take("Continue") is not None:
                if self._data_unchanged_or_accepted(record, spec, _changes(future)):
                    self._launch([], go)

        future = self.change_check.compare(record, spec, compared)
        if wait_briefly(future, self.change_check.results):
            return self._data_unchanged_or_accepted(record, spec, _changes(future)) and \
                self._launch([], go)
        self.data.waiting.wait("Continue", f"Checking data before Continue: comparing "
                               f"{spec} with the files {record.label} read…", go)
        self.append_log(f"Continue waits for the data check: comparing {spec} with the "
                        f"files {record.label} read (Cancel under the data preview stops "
                        "waiting)")
        self.status_message.emit("Checking data before Continue…")
        return False

    def _data_unchanged_or_accepted(self, record, spec: str, changes: list[str]) -> bool:
        """Whether the data the continuation of `record` trains on is as its run read it
        (no `changes`), or the user chose to continue on it as it is now (said in the log
        either way)."""
        if not changes:
            return True
        lines = "\n  ".join(changes)
        if ask_continue_changed(self, record.label, spec, changes):
            self.append_log(f"Continuing {record.label} on data changed since it started:"
                            f"\n  {lines}")
            return True
        self.append_log(f"Continue cancelled: the data {record.label} was trained on changed "
                        f"since it started:\n  {lines}")
        self.status_message.emit(f"Continue cancelled: {changes[0]}")
        return False

    def _data_issues(self, start: bool = False) -> list | None:
        """The data check a run makes before training, on the previewed data when it is
        the data the run reads: a run it would refuse is not started (nor numbered). At
        `start` a preview on its way is waited for (None: still being read)."""
        spec = str((self.doc.training or {}).get("data", "synthetic")).strip()
        check = self.data.check_before_start if start else self.data.check
        return check(anchor_spec(spec, self.project_dir), self.doc, self.project.analysis)

    def _on_analysis_changed(self, _event) -> None:
        self._data_issues()  # a fix applied (or an edit) shows in the preview at once

    def _anchored(self) -> dict:
        """Overrides that put the settings' relative paths in the project's folder."""
        return anchored_settings(self.doc.training, self.project_dir)

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


def _changes(future) -> list[str]:
    """What changed in the data by a comparison done (`ChangeCheck`); a comparison that
    failed is a change the user is asked about."""
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001  asked about, never raised on the GUI thread
        return [f"its files could not be compared with the run's: {exc}"]
