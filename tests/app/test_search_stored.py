"""The Search tab lists the study its project's journal already holds when the window opens
(earlier runs, the command line), marks the best, applies it, and tells a damaged file."""

from __future__ import annotations

import pytest

from kerascanvas.runtime.search.options import default_storage
from tests.runtime.test_search import LR, UNITS, mlp_project
from tests.runtime.test_search_listing import journal

from .test_search_panel import click, show_tab


def stored_project(tmp_path, trials: int):
    project = mlp_project(tmp_path, [UNITS, {**LR, "high": 1.0}])
    return project, journal(default_storage(project), trials, name=project.stem)


def test_an_opened_project_lists_its_studys_trials_and_applies_the_best(make_window, qtbot,
                                                                       tmp_path):
    project, written = stored_project(tmp_path, 3)
    window = make_window(str(project))
    panel = show_tab(window, qtbot)
    qtbot.waitUntil(lambda: panel.trials.rowCount() == 3, timeout=30000)
    best = written.best_trial
    assert [panel.trials.item(row, 0).text() for row in range(3)] == ["0", "1", "2"]
    assert panel.trials.item(best.number, 0).font().bold()  # the best is marked
    assert f"best: trial {best.number}" in panel.status.text()
    assert panel.plots.best_number == best.number
    assert panel.apply_button.isEnabled()
    click(panel.apply_button)
    assert window.doc.find("hidden").params["units"] == best.params["hidden.units"]
    assert window.doc.training["optimizer"]["learning_rate"] == pytest.approx(
        best.params["training.optimizer.learning_rate"])
    window.stack.undo()
    assert window.doc.find("hidden").params["units"] == 16


def test_trials_another_process_adds_appear_in_the_tab(make_window, qtbot, tmp_path):
    from kerascanvas.runtime.search import study as studies
    from tests.runtime.test_search_listing import objective

    project, _ = stored_project(tmp_path, 1)
    panel = show_tab(make_window(str(project)), qtbot)
    qtbot.waitUntil(lambda: panel.trials.rowCount() == 1, timeout=30000)
    studies.load_study(project.stem, default_storage(project)).optimize(objective, n_trials=2)
    qtbot.waitUntil(lambda: panel.trials.rowCount() == 3, timeout=30000)


def test_a_damaged_study_file_is_told_and_left_as_it_is(make_window, qtbot, tmp_path):
    project, _ = stored_project(tmp_path, 2)
    storage = default_storage(project)
    with open(storage, "a") as handle:
        handle.write("not json\n{}\n")
    before = open(storage, "rb").read()
    panel = show_tab(make_window(str(project)), qtbot)
    qtbot.waitUntil(lambda: "could not be listed" in panel.status.text(), timeout=30000)
    assert storage in panel.status.text()
    assert panel.trials.rowCount() == 0 and not panel.apply_button.isEnabled()
    assert open(storage, "rb").read() == before


DAMAGES = {"last line": ("{}not json\n", "ends with a damaged line"),
           "a line before others": ("not json\n{}\n", "cannot be read as a study journal")}


@pytest.mark.parametrize("where", sorted(DAMAGES))
def test_start_on_a_damaged_study_file_says_so_and_writes_nothing(tmp_path, where):
    from kerascanvas.app.search.runner import _opened
    from kerascanvas.graph.projectfile import load
    from kerascanvas.runtime.search.driver import SearchDriver
    from kerascanvas.runtime.search.options import SearchOptions
    from kerascanvas.runtime.search.study import StudyError

    project, _ = stored_project(tmp_path, 1)
    storage = default_storage(project)
    damage, message = DAMAGES[where]
    with open(storage, "a") as handle:
        handle.write(damage)
    before = open(storage, "rb").read()
    driver = SearchDriver(load(project), SearchOptions(storage=storage, study_name="mlp"))
    with pytest.raises(StudyError, match=message) as caught:
        _opened(driver, storage)
    assert storage in str(caught.value)
    assert open(storage, "rb").read() == before
