"""The Results tab's "Save trained model…" is enabled only for a run whose model file is
there: one whose file is missing (deleted, moved) has it disabled, its tooltip naming the
file."""

from __future__ import annotations

from kerascanvas.app.training.records import RunRecord
from kerascanvas.app.training.results import ResultsView
from kerascanvas.runtime.events import Result


def view_of(qtbot, record) -> ResultsView:
    view = ResultsView()
    qtbot.addWidget(view)
    view.show_run(record)
    return view


def test_a_run_whose_model_file_is_missing_cannot_be_saved(qtbot, tmp_path):
    model = tmp_path / "run_1.keras"
    model.write_text("model")
    record = RunRecord(1, {}, status="finished", result=Result("finished"),
                       saved_path=str(model))
    view = view_of(qtbot, record)
    assert view.save_button.isEnabled() and view.save_button.toolTip() == ""
    model.unlink()
    view.show_run(record)
    assert not view.save_button.isEnabled()
    assert view.save_button.toolTip() == f"The model file is missing: {model}"


def test_a_run_without_a_model_cannot_be_saved_and_says_nothing_missing(qtbot):
    view = view_of(qtbot, RunRecord(1, {}, status="killed", result=Result("killed")))
    assert not view.save_button.isEnabled() and view.save_button.toolTip() == ""
