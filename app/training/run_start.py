"""The Training panel's commands that start a run: Start and Continue check what the run
would refuse (blocking issues, training settings, missing data, the data check the run makes,
the batch shared by the processes) and say why in the log instead of starting it; Continue
asks before it goes on with data that changed since the run (`data_changed`); Pause and
Start/Stop toggle the controller."""

from __future__ import annotations

from ...graph.summary import left_out_text
from ...graph.training_paths import anchor_spec, anchored_settings, missing_data
from ...graph.training_schema import check_training
from .continue_plan import diverged
from .data_changed import ask_continue_changed, data_changes


class RunStartMixin:
    """Mixed into `TrainingPanel`: expects its `project`, `doc`, `controller`, `reader`,
    `data`, `processes`, `continue_fields`, `project_dir`, `tabs`, `log`, `append_log`,
    `status_message` and `_selected_run`."""

    def start(self) -> bool:
        """Start a run of the document; refuse (and say why) when it cannot train."""
        self.reader.wait()  # numbered after the project's saved runs
        problems = [i.message for i in self.project.analysis.blocking]
        problems += [i.message for i in check_training(self.doc) if i.severity == "error"]
        problems += missing_data(self.doc.training, self.project_dir)
        issues = self._data_issues(start=True)  # what the run's own check would refuse
        problems += [i.message for i in issues or []]  # None: still being read
        if issues:
            self.controller.data_issues_found.emit(issues)  # in Issues, with their fixes
            self.controller.data_refused.emit(issues)  # brought to the front
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

    def _on_data_start_cancelled(self) -> None:
        self.append_log("Start cancelled while the data was being read: no run started")
        self.status_message.emit("Start cancelled")

    def continue_selected(self) -> bool:
        """Continue the selected (or last) run from its saved model with the lr shown."""
        self.reader.wait()
        self.data.stop_waiting()  # a Start waiting for its data check gives way
        record = self._selected_run()
        lr = self.continue_fields.learning_rate()
        problems = [] if record is not None else ["Select a stopped or finished run first"]
        if record is not None and lr is None and diverged(record):
            problems.append(f"{record.label}'s rate gave a NaN loss: type a smaller learning "
                            f"rate to continue it")
        if record is not None and not problems and not self._data_unchanged_or_accepted(
                record):
            return False
        return self._launch(problems, lambda: self.controller.start(
            self.doc, self._anchored(), resume_from=record, learning_rate=lr,
            to_epoch=self.continue_fields.to_epoch(),
            processes=record.processes if record is not None else 1))

    def _data_unchanged_or_accepted(self, record) -> bool:
        """Whether the data the continuation of `record` trains on is as its run read it,
        or the user chose to continue on it as it is now (said in the log either way)."""
        spec = self._anchored().get("data", (self.doc.training or {}).get("data", ""))
        changes = data_changes(record, str(spec))
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
