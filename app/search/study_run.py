"""The Search tab's study run as the tab tells it: Start (the checks, then the study), the
checks' words, the study's events into the table and plots, Pause and Resume as the trials
confirm them (`pause_state`), Stop, and the study's end: its counts, its error, or its time
limit reached (counted in search time, the time held paused left out).

`StudyRun` is a part of `panel.SearchPanel`: it reads the panel's runner, records, status
line and views.
"""

from __future__ import annotations

import copy
from pathlib import Path

from ...graph.initial_weights import anchored
from ...graph.layers import custom
from ...graph.projectfile import from_dict, to_dict
from ...graph.search import objective, search_params
from .status_line import PROBLEM, PROGRESS, RUN
from .views import fold_events, records_from


def limit_text(seconds: float) -> str:
    """A time limit as the tab says it: minutes, or seconds under one."""
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"


def end_text(counts: dict[str, int], limit_s: float | None) -> str:
    """The status line's word on a study that ended without an error: its trials' counts,
    and its time limit when that ended it (`limit_s`)."""
    text = ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "no trial"
    if limit_s is None:
        return f"The study ended ({text})."
    return (f"The study ended: its time limit, {limit_text(limit_s)} of search (the time "
            f"paused not counted), was reached ({text}).")


class StudyRun:
    """The tab's run of a study (see the module doc)."""

    def start(self) -> None:
        """Check the study in a process of its own, then run it; nothing here blocks."""
        if self.runner.running:
            return
        options = self.options()
        snapshot = from_dict(copy.deepcopy(to_dict(self.doc)))
        # The same graph: the project's trust and Keras' shapes serve it as they are.
        custom.set_context(snapshot, custom.context(self.doc))
        path = self._path()  # the initial weights file is read beside the project
        anchored(snapshot, Path(path).parent if path else None)
        metric, direction = objective(snapshot)
        self._set_study(snapshot, metric, direction == "maximize")
        self._study_label = (
            f"Study {options.study_name!r} in {options.storage}: "
            f"{'maximizing' if self.maximize else 'minimizing'} {self.metric_name}.")
        self._opened, self._own, self._driver = False, set(), None
        self.runner.start(snapshot, options)
        self.status.release()
        self._say("Checking the search before it starts...", PROGRESS)
        self._redraw()

    def _set_study(self, doc, metric: str, maximize: bool) -> None:
        self.metric_name, self.maximize = metric, maximize
        entries = search_params(doc)
        self.plots.set_study(metric, maximize, [e.key(doc) for e in entries],
                             {e.key(doc) for e in entries if e.log})

    def _on_runner_checking(self, step: str) -> None:
        self._say(f"Checking the search before it starts: {step}...", PROGRESS)

    def _on_runner_checked(self, found: list) -> None:
        if found:
            self.problems.setText("\n".join(found))
            self.problems.show()
            self._say("The search cannot start: " + "; ".join(found), PROBLEM)
        else:
            self._say("The checks passed; opening the study...", PROGRESS)

    def _on_runner_opened(self, earlier: list) -> None:
        """The trials the study already holds: earlier runs, other processes."""
        self._opened, self.records = True, records_from(earlier)
        self._driver = self.runner.driver  # gone from the runner once the study ended
        self._say(self._study_label, RUN)
        self._redraw()

    def toggle_pause(self) -> None:
        """Pause or resume the study; the tab says "pausing…" until each running trial says
        it holds, then where it holds (`pause_state`)."""
        if self.runner.driver is None or not self.runner.running:
            return
        self.status.release()
        (self.runner.resume if self.runner.driver.paused else self.runner.pause)()
        self._redraw()
        self._say_pause(acted=True)

    def _say_pause(self, acted: bool = False) -> None:
        text = self._pause_words.next(self.records, self._own, self.runner.driver, acted)
        if text:
            self._say(text, RUN)

    def _on_runner_events(self, events: list) -> None:
        self._own.update(e.number for e in events if hasattr(e, "number"))
        importances = fold_events(self.records, events)
        if importances is not None:
            self._importances = importances
            self.plots.show_importances(importances)
        self._redraw()
        self._say_pause()

    def _on_runner_settled(self, trials: list) -> None:
        """The study's trials as its storage holds them once the run is done: none is left
        "running" for want of an event (after an error), and another process's trials show
        as they stand now."""
        self.records = records_from(trials)
        self._redraw()

    def _on_runner_finished(self, error: str) -> None:
        # This window wrote what the file holds now; another process's trial may still run.
        self.stored.mark_seen(any(r.state == "running" for r in self.records.values()))
        if self.runner.cancelled or not self._opened:  # cancelled, refused, or no study
            if self.runner.cancelled:
                self._say("Checks cancelled: the study did not start.", RUN)
            elif error:
                self._say(f"The study did not start: {error}", PROBLEM)
            self._update_buttons()
            return
        counts = {}
        for record in self.records.values():
            counts[record.state] = counts.get(record.state, 0) + 1
        driver = self._driver
        if error:
            self._say(f"The study ended with an error: {error}", PROBLEM)
        else:
            self._say(end_text(counts, driver.options.timeout if driver.timed_out else None),
                      RUN)
        self._update_buttons()

    def stop(self) -> None:
        """Cancel the checks, or stop the study after its trials' current batch."""
        study = self.runner.running and not self.checking
        self.status.release()
        self.runner.stop()  # cancelled checks are told at once (`_on_runner_finished`)
        if study:
            self._say("Stopping: the running trials end after their current batch.", RUN)
        self._update_buttons()
