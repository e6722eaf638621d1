"""The Search tab's options are the project's run settings: a project opens with the ones
its file holds in the boxes (and a study starts with them), a change marks the project
modified and undoes, and saving writes it where a reopen finds it."""

from __future__ import annotations

import json

from PySide6 import QtCore
from PySide6.QtTest import QTest

from tests.runtime.test_search import UNITS, mlp_project
from tests.runtime.test_search_settings_cli import with_run

from .test_search_panel import show_tab, type_into

RUN = {"trials": 7, "jobs": 3, "epochs": 2, "timeout": 90,
       "sampler": {"name": "random", "seed": 5},
       "pruner": {"name": "percentile", "percentile": 25.0}, "seed": 11}


def test_a_project_opens_with_its_saved_settings_in_the_boxes(make_window, qtbot, tmp_path):
    panel = show_tab(make_window(str(with_run(mlp_project(tmp_path, [UNITS]), RUN))), qtbot)
    shown = (panel.trials_box.value(), panel.jobs_box.value(), panel.epochs_box.value(),
             panel.limit_box.value(), panel.sampler_box.currentText(),
             panel.pruner_box.currentText(), panel.seed_box.value())
    assert shown == (7, 3, 2, 2, "random", "percentile", 11)  # 90 s shows as 2 whole min
    options = panel.options()  # what Start runs: the file's settings, options and all
    assert (options.trials, options.jobs, options.timeout, options.seed) == (7, 3, 90.0, 11)
    assert options.overrides["epochs"] == 2
    assert options.sampler == RUN["sampler"] and options.pruner == RUN["pruner"]
    assert "90 s" in panel.limit_box.toolTip() and "percentile=25.0" in \
        panel.pruner_box.toolTip()


def test_a_project_loaded_into_the_window_shows_its_own_settings(make_window, qtbot,
                                                                  tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = mlp_project(tmp_path / "a", [UNITS])  # no run settings: the defaults
    second = with_run(mlp_project(tmp_path / "b", [UNITS]), {"trials": 4, "seed": 2})
    window = make_window(str(second))
    panel = show_tab(window, qtbot)
    assert (panel.trials_box.value(), panel.seed_box.value()) == (4, 2)
    assert window.open_path(str(first), ask=False)
    assert (panel.trials_box.value(), panel.seed_box.text(), panel.limit_box.text(),
            panel.sampler_box.currentText()) == (20, "none", "none", "tpe")
    assert window.stack.is_clean  # showing a file's settings is no edit


def test_a_changed_box_marks_the_project_modified_undoes_and_is_saved(make_window, qtbot,
                                                                       tmp_path):
    path = mlp_project(tmp_path, [UNITS])
    window = make_window(str(path))
    panel = show_tab(window, qtbot)
    assert window.stack.is_clean and "run" not in window.doc.search
    type_into(panel.trials_box, "5")
    assert window.doc.search["run"] == {"trials": 5}
    assert window.isWindowModified()
    panel.sampler_box.setFocus()
    QTest.keyClick(panel.sampler_box, QtCore.Qt.Key_Down)  # tpe -> random
    type_into(panel.limit_box, "3")
    assert window.doc.search["run"] == {"trials": 5, "sampler": {"name": "random"},
                                        "timeout": 180}
    window.stack.undo()
    assert panel.limit_box.text() == "none" and "timeout" not in window.doc.search["run"]
    assert window.save()
    assert not window.isWindowModified()
    saved = json.loads(path.read_text())["search"]
    assert saved["run"] == {"trials": 5, "sampler": {"name": "random"}}
    again = show_tab(make_window(str(path)), qtbot)
    assert (again.trials_box.value(), again.sampler_box.currentText()) == (5, "random")


def test_the_sampler_box_offers_every_sampler_a_study_can_run(make_window, qtbot, tmp_path):
    """The command line takes five samplers; the box offered four (CMA-ES only from a file)."""
    from PySide6 import QtCore as Core

    from kerascanvas.runtime.search import study as studies

    panel = show_tab(make_window(str(mlp_project(tmp_path, [UNITS]))), qtbot)
    box = panel.sampler_box
    offered = [box.itemText(i) for i in range(box.count())]
    assert set(offered) == set(studies.SAMPLERS)
    for i in range(box.count()):
        assert box.itemData(i, Core.Qt.ToolTipRole)
    box.setCurrentText("cmaes")
    assert panel.options().sampler == {"name": "cmaes"}
    studies.SAMPLERS["cmaes"](seed=1)  # Optuna makes it with its defaults
