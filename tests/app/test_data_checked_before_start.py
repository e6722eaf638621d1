"""Labels that do not fit the model are found by the preview, with the check a run makes
before training (`runtime.datacheck`), so Start refuses at once: the run is neither
started nor numbered (the worker said so ~10 s later, as "Run 3 failed")."""

from __future__ import annotations

import pytest

from kerascanvas.graph.fixes import apply_fix
from kerascanvas.runtime.dataset import DataError
from kerascanvas.runtime.train import load_checked_data, prepare

from .training_fakes import FakeRun, started, training_panel


@pytest.fixture
def panel(qtbot, tmp_path):
    yield from training_panel(qtbot, tmp_path)


def _out(panel):
    return panel.doc.nodes[panel.doc.outputs[0]]


def _previewed(panel, qtbot):
    """Wait for the preview's data and its check (made once it is read)."""
    qtbot.waitUntil(lambda: panel.data._issues is not None, timeout=30_000)


def _runtime_issues(doc) -> list:
    """What the worker's own check raises for `doc` (the run that would fail)."""
    doc, settings = prepare(doc)
    with pytest.raises(DataError) as raised:
        load_checked_data(doc, settings)
    return list(raised.value.issues)


def test_class_ids_beyond_the_units_stop_start_with_the_runs_message_and_fix(panel, qtbot):
    """Iris has 3 classes; a Dense(2) output cannot take class id 2."""
    panel.project.stack.push(_set_units(panel, 2))
    qtbot.waitUntil(panel.data.problems.isVisible, timeout=30_000)
    expected = _runtime_issues(panel.doc)
    assert [i.code for i in expected] == ["label_range"]
    assert panel.data.problems.isVisible()
    assert expected[0].message in panel.data.problems.text()
    assert "fix: Set units to the number of classes, in Issues" in panel.data.problems.text()
    heard = []
    panel.controller.data_issues_found.connect(heard.append)
    assert not panel.start()
    assert FakeRun.made == [] and panel.controller.runs == []  # not started, not numbered
    assert [i.message for i in heard[-1]] == [i.message for i in expected]
    assert heard[-1][0].fixes == ("set_units_to_labels",)
    assert expected[0].message in panel.log.toPlainText()
    # The fix, as the Issues table applies it: the preview clears, and Start runs Run 1.
    apply_fix(panel.doc, heard[-1][0], "set_units_to_labels", panel.project.stack)
    assert _out(panel).params["units"] == 3
    # The labels are read again for the new output (as a run adapts them), then checked.
    qtbot.waitUntil(lambda: heard[-1] == [], timeout=30_000)
    assert not panel.data.problems.isVisible()
    run, record = started(panel, qtbot)
    assert record.label == "Run 1"
    run.push({"event": "result", "status": "finished"})


def test_data_that_fits_starts_as_before(panel, qtbot):
    _previewed(panel, qtbot)
    assert not panel.data.problems.isVisible()
    run, record = started(panel, qtbot)
    assert record.label == "Run 1"
    run.push({"event": "result", "status": "finished"})


def _set_units(panel, units: int):
    from kerascanvas.graph.commands import SetParam

    return SetParam(panel.doc, _out(panel).id, "units", units)
