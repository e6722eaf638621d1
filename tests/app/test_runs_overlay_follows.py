"""A run another process trains (`kerascanvas run`), ticked in the Runs tab as an overlay,
follows that process's progress in the plots: it kept the curves it had when ticked, and
only the selected run's curves followed the index."""

from __future__ import annotations

from PySide6 import QtCore

from kerascanvas.runtime import runs_index
from tests.runtime.test_run import classifier, project

from .test_continue_records import open_panel  # noqa: F401  (the fixture)


def listed(uid: str, number: int, losses: list[float], status: str = runs_index.RUNNING
           ) -> dict:
    """Run `uid` as a process of this host lists it after len(losses) epochs."""
    epochs = list(range(1, len(losses) + 1))
    entry = {"uid": uid, "number": number, "status": status, "message": "training",
             "settings": {"epochs": 9}, "epochs": 9, "epoch": len(losses),
             "epochs_done": len(losses),
             "curves": {"batch_loss": [[], []], "lr": [[], []],
                        "epochs": {"loss": [epochs, losses]}, "last_epoch": len(losses)}}
    if status == runs_index.RUNNING:
        entry[runs_index.PROCESS] = runs_index.this_process("gone")
    return entry


def overlaid(panel) -> dict[str, list[float]]:
    return {label: curves.epochs["loss"].y.tolist() for label, curves, _ in
            panel.plots.overlays}


def test_a_ticked_run_of_another_process_follows_its_progress(open_panel, qtbot,  # noqa: F811
                                                               tmp_path):
    path = project(tmp_path, classifier())
    folder = tmp_path / "model.runs"
    runs_index.merge_index(folder, [listed("done", 1, [0.9, 0.5], "finished"),
                                    listed("cli", 2, [0.8])])
    panel = open_panel(path, classifier())
    first, second = (panel.runs.topLevelItem(i) for i in (0, 1))
    panel.runs.setCurrentItem(first)  # Run 1 shown, Run 2 ticked under it
    second.setCheckState(0, QtCore.Qt.Checked)
    assert overlaid(panel) == {"Run 2": [0.8]}
    for losses in ([0.8, 0.6], [0.8, 0.6, 0.4]):  # the other process goes on
        runs_index.merge_index(folder, [listed("cli", 2, losses)])
        qtbot.waitUntil(lambda losses=losses: overlaid(panel) == {"Run 2": losses},
                        timeout=10_000)
    runs_index.merge_index(folder, [listed("cli", 2, [0.8, 0.6, 0.4, 0.3], "finished")])
    qtbot.waitUntil(lambda: overlaid(panel) == {"Run 2": [0.8, 0.6, 0.4, 0.3]},
                    timeout=10_000)
    assert panel.plots.current is panel.controller.runs[0].curves  # still Run 1 shown
