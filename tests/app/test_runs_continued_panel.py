"""A run another `kerascanvas run --resume` continued, writing over its model: the Training
panel offers no Continue on it and says which run to continue; Continue on that run is
offered."""

from __future__ import annotations

from kerascanvas.app.training.controller import TrainingController
from kerascanvas.app.training.panel import TrainingPanel
from kerascanvas.graph.project import Project
from kerascanvas.runtime import runs_index
from kerascanvas.runtime.cli.run_continued import superseded
from kerascanvas.runtime.worker import TrainingRun
from tests.runtime.test_run import classifier, project


def test_continue_is_offered_on_the_continuing_run_not_on_the_one_it_wrote_over(
        qtbot, tmp_path):
    path = project(tmp_path, classifier())
    folder = tmp_path / "model.runs"
    (tmp_path / "net.keras").write_bytes(b"model")  # the continuing run's --save
    killed = {"number": 1, "uid": "a", "status": "interrupted", "saved": "../net.last.keras",
              "settings": {}, "message": "The process of `kerascanvas run` ended during "
              "training. A snapshot of the model as trained after epoch 2 is kept at X."}
    ended = {"number": 2, "uid": "b", "status": "finished", "saved": "../net.keras",
             "settings": {}, "resumed_from": 1, "message": "Finished."}
    gone = superseded(killed, ended, folder, str(tmp_path / "net.last.keras"))  # removed
    runs_index.merge_index(folder, [gone, ended])
    panel = TrainingPanel(Project.open(path), TrainingController(TrainingRun))
    qtbot.addWidget(panel)
    try:
        panel.follow_project(path)
        qtbot.waitUntil(lambda: not panel.reader.busy, timeout=10_000)
        first, second = (panel.runs.topLevelItem(i) for i in range(2))
        panel.runs.setCurrentItem(first)
        assert not panel.continue_button.isEnabled()
        record = panel.controller.runs[0]
        assert (record.status, record.saved_path) == ("interrupted", None)
        assert "Continue Run 2 to go on from it" in record.message
        assert "Continue Run 2 to go on from it" in panel.results.title.text()
        panel.runs.setCurrentItem(second)
        assert panel.continue_button.isEnabled()
    finally:
        panel.shutdown()
