"""A refused run's data findings in the Issues panel: they quote the outputs and settings the
run started with, so they stay while those hold and go once an edit changes them."""

from __future__ import annotations

import copy

import pytest

from kerascanvas.graph import commands as cmd
from kerascanvas.graph import projectfile
from kerascanvas.runtime.data import check_data, load_data
from tests.runtime.test_data import classifier


def refused(make_window, tmp_path):
    """A window on a Dense(1) classifier, after a run refused the digits' ten class ids."""
    doc = classifier(units=1, activation="softmax", loss="sparse_categorical_crossentropy")
    path = tmp_path / "one_unit.json"
    projectfile.save(doc, path)
    window = make_window(str(path))
    found = check_data(window.doc, load_data("sklearn:digits", window.doc))
    assert found, "the digits' class ids should not fit one unit"
    window._on_training_data_issues(found)  # as a refused run reports them
    return window, found


def shown(window) -> list:
    panel = window.issues
    return [panel.issue_at(n) for n in range(panel.topLevelItemCount())]


def set_loss(doc, loss):
    training = copy.deepcopy(doc.training)
    training["loss"] = loss
    return cmd.SetTraining(doc, training)


STALE = {
    "units of the output": lambda doc: cmd.SetParam(doc, doc.find("out").id, "units", 10),
    "loss": lambda doc: set_loss(doc, "mean_squared_error"),
    "output renamed": lambda doc: cmd.Rename(doc, doc.find("out").id, "digit"),
    "outputs": lambda doc: cmd.SetOutputs(doc, [doc.find("flat").id]),
}


@pytest.mark.parametrize("edit", list(STALE))
def test_a_finding_goes_once_the_outputs_or_settings_it_quotes_change(make_window, tmp_path,
                                                                      edit):
    window, found = refused(make_window, tmp_path)
    assert set(found) <= set(shown(window))
    window.stack.push(STALE[edit](window.doc))
    window.refresh_panels()
    assert window.data_issues == []
    assert not set(found) & set(shown(window)), "a stale finding is still listed"
    errors = len(window.analysis.errors)
    assert window.problems_label.text().startswith(f"{errors} error")
    window.stack.undo()  # the graph it was found on is back, but the run's check is not
    assert window.data_issues == []


def test_a_finding_stays_through_edits_it_does_not_quote(make_window, tmp_path):
    window, found = refused(make_window, tmp_path)
    doc = window.doc
    window.stack.push(cmd.Rename(doc, doc.find("image").id, "pixels"))  # an input's name
    window.stack.push(cmd.Move(doc, {doc.find("flat").id: (40.0, 300.0)}))
    window.refresh_panels()
    assert window.data_issues == found
    assert set(found) <= set(shown(window))


def test_an_image_output_finding_offers_a_flatten_that_clears_it(make_window, tmp_path, qtbot):
    """Labels per sample on a Dense fed conv features: the finding's Insert Flatten button
    puts a Flatten before the Dense in one undoable step, and the labels then fit."""
    from PySide6 import QtCore
    from PySide6.QtTest import QTest

    from tests.runtime.test_data_fixes import image_classifier

    path = tmp_path / "no_flatten.json"
    projectfile.save(image_classifier("sparse_categorical_crossentropy"), path)
    window = make_window(str(path))
    found = check_data(window.doc, load_data("sklearn:digits", window.doc))
    window._on_training_data_issues(found)
    row = next(r for r, issue in enumerate(shown(window)) if issue.code == "label_shape")
    buttons = {b.text(): b for b in window.issues.fix_buttons(row)}
    assert {"Insert Flatten", "Insert GlobalAveragePooling2D"} <= set(buttons)
    QTest.mouseClick(buttons["Insert Flatten"], QtCore.Qt.LeftButton)
    window.refresh_panels()
    kinds = [window.doc.nodes[e.src].kind for e in window.doc.in_edges(window.doc.find("out").id)]
    assert kinds == ["Flatten"] and window.data_issues == []
    assert check_data(window.doc, load_data("sklearn:digits", window.doc)) == []
    window.undo()
    assert "Flatten" not in {n.kind for n in window.doc.nodes.values()}
