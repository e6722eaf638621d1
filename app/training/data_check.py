"""The data check of the Training dock's data preview (`data_preview.DataPreview`): the
previewed data checked against the model as a run checks it before training
(`preview_read.preview_issues`), the findings shown in red under the preview and told
(`checked`), stale data read again (at once, or once its tab is shown), and Start
waiting for a read to be checked (`start_when_read`, `data_wait.DataWait`)."""

from __future__ import annotations

from collections.abc import Callable

from .preview_read import Previewed, issues_text, preview_issues


class DataCheckMixin:
    """Mixed into `DataPreview`: expects its `_data`, `_wanted`, `_future`, `_issues`,
    `_shown`, `_closed`, `waiting`, `info`, `problems`, the signals `checked` and
    `files_changed`, and `request` and `settle`."""

    def check(self, spec: str, doc, analysis=None, read_now: bool = False) -> list:
        """The data check's issues for `doc` as it is now, on the previewed data, when
        the preview shown is of `spec` (the data a run of `doc` reads), read for the losses,
        outputs and inputs `doc` has from the files as they are; else none (the run checks
        its data itself), and a preview is read again when it is stale: at once when the
        preview can be seen or `read_now`, else once its tab is shown (`follow`)."""
        data: Previewed | None = self._data
        if data is None or data.spec != spec or spec != self._wanted:
            return []
        try:
            if data.stale(doc, analysis):
                self._read_again(spec, doc, read_now, analysis)
                return []
            issues = preview_issues(doc, data.data, analysis) if data.data is not None else []
        except Exception:  # noqa: BLE001  the run's own check says it, with its context
            return []
        self._shown.cancel()  # the data read stands for `doc` again (an edit undone)
        self._show_issues(issues, doc)
        return issues

    def _read_again(self, spec: str, doc, now: bool, analysis=None) -> None:
        """Read stale data again, or while its tab is behind another remember to: the
        findings of the data read before go (the edit may have undone them)."""
        if not self._shown.run(lambda: self.request(spec, doc, analysis), now):
            self._show_issues([])

    def check_before_start(self, spec: str, doc, analysis=None) -> list | None:
        """`check` on the data a run would read now: the preview still being read, or read
        again because it is stale (a file changed, the labels' losses; a read waiting for
        the tab is made now), is waited for briefly first (`settle`); None when it is not
        yet checked (Start waits for it, `start_when_read`)."""
        if spec != self._wanted:  # never read (the dock hidden since it opened): read it
            self.request(spec, doc, analysis)
        for _ in range(2):  # the second: stale, read again
            if not self.start_waiting:  # a Start waiting already does not wait again
                self.settle()
            if self._reading(spec) or spec != self._wanted or self._closed:
                return None  # still read, or another spec typed while it was
            issues = self.check(spec, doc, analysis, read_now=True)
            if not self._reading(spec):
                return issues
        return None

    def _reading(self, spec: str) -> bool:
        """Whether the preview of `spec` is being read (its check not yet made)."""
        return self._future is not None and spec == self._wanted

    def start_when_read(self, start: Callable[[], object]) -> None:
        """Call `start` once the data being read is shown (Start checks it then), saying
        so under the preview with a Cancel if it takes long (`DataWait`); a later call
        replaces the one waiting."""
        if not self._closed:
            self.waiting.wait("Start", f"Checking data before Start: {self._wanted} is "
                              "still being read…", start)

    @property
    def start_waiting(self) -> bool:
        """Whether a Start waits for the data being read to be checked."""
        return self.waiting.waiting == "Start"

    def stop_waiting(self) -> None:
        """Forget the Start (or Continue) waiting for its data check (if any)."""
        self.waiting.stop()

    def _on_watch_changed(self) -> None:
        """A file changed: say so when the data shown is not as read (a read on its way
        took the files' times before reading: its check sees the change)."""
        if (data := self._data) is not None and data.spec == self._wanted and \
                data.files_changed():
            self.files_changed.emit()

    def _show_issues(self, issues: list | None, doc=None) -> None:
        """Show `issues` (None: no check made yet) and tell them when they changed."""
        # A source the run's reader refuses may be said in red above, in place of a preview.
        shown = [i for i in issues or [] if i.message not in self.info.text()]
        self.problems.setText(issues_text(shown, doc))
        self.problems.setVisible(bool(shown))
        if issues is None:
            return
        changed = [i.message for i in issues] != [i.message for i in self._issues or []]
        self._issues = issues
        if changed:
            self.checked.emit(list(issues))
