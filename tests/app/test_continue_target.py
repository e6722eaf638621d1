"""Continue states the epoch it trains to, as Keras counts it (fit(initial_epoch=6,
epochs=30) trains 24 more), defaulting to the rest of the run's plan; after a NaN loss
it offers the last rate with a finite loss, not a tenth of the rate that diverged."""

from __future__ import annotations

import math

import pytest

from .training_fakes import FakeRun, epoch, started, training_panel


@pytest.fixture
def panel(qtbot, tmp_path):
    yield from training_panel(qtbot, tmp_path)


def _ended(panel, qtbot, epochs: int, done: int, status="stopped", rates=None, **result):
    """A run set to `epochs` that ended after `done` epochs (at `rates`), its model saved."""
    run, record = started(panel, qtbot)
    run.push({"event": "train_begin", "epochs": epochs, "steps": 4, "samples": 120})
    for e in range(done):
        rate = rates[e] if rates else 1e-3
        losses = (math.nan,) * 4 if rate is None else (1.0, 0.8, 0.7, 0.6)
        run.push(*epoch(e, losses=losses, lr=rate if rate is not None else 1e-3))
    open(run.save_path, "wb").close()
    run.push({"event": "result", "status": status, "saved": run.save_path, **result})
    qtbot.waitUntil(lambda: record.status == status, timeout=3000)
    return run, record


@pytest.mark.parametrize("epochs, done, target", [
    (30, 6, 30),   # stopped at epoch 6 of 30: the 24 left, not 30 more
    (3, 3, 6),     # trained them all: the settings' 3 epochs more
])
def test_continue_trains_to_the_stated_epoch(panel, qtbot, epochs, done, target):
    run, record = _ended(panel, qtbot, epochs, done)
    box = panel.continue_to
    assert box.isVisible() and panel.continue_to_label.text() == "to epoch"
    assert box.value() == target and box.text() == f"{target} ({target - done} more)"
    panel.continue_button.click()
    second = FakeRun.made[-1]
    assert second.extra["initial_epoch"] == done and second.overrides["epochs"] == target


def test_the_user_can_ask_for_more_epochs_than_planned(panel, qtbot):
    _ended(panel, qtbot, 30, 6)
    panel.continue_to.lineEdit().selectAll()
    qtbot.keyClicks(panel.continue_to.lineEdit(), "40")
    assert panel.continue_to.value() == 40 and "(34 more)" in panel.continue_to.text()
    panel.continue_button.click()
    assert FakeRun.made[-1].overrides["epochs"] == 40


def test_the_target_cannot_be_an_epoch_already_trained(panel, qtbot):
    _, record = _ended(panel, qtbot, 30, 6)
    assert panel.continue_to.minimum() == 7
    with pytest.raises(ValueError, match="has trained 6 epochs"):
        panel.controller.start(panel.doc, resume_from=record, to_epoch=6)


def test_after_a_nan_loss_a_tenth_of_the_last_finite_rate_is_offered(panel, qtbot):
    """Not the settings' 10, nor 0.2, the rate the weights kept ended with: the epoch after
    them diverged (at that very rate, were it constant)."""
    panel.doc.training = {**panel.doc.training, "optimizer": {"name": "sgd",
                                                              "learning_rate": 10.0}}
    _ended(panel, qtbot, 30, 3, status="failed", rates=[0.5, 0.2, None], nan=True,
           epochs_run=2, dropped_epoch=3)
    assert panel.continue_lr.text() == "0.02"
    assert "offers 0.02, a tenth of 0.2, the rate of its last epoch with a finite loss" in \
        panel.log.toPlainText()


def test_after_a_nan_loss_with_no_finite_epoch_no_rate_is_offered(panel, qtbot):
    panel.doc.training = {**panel.doc.training, "optimizer": {"name": "sgd",
                                                              "learning_rate": 10.0}}
    _ended(panel, qtbot, 30, 1, status="failed", rates=[None], nan=True, dropped_epoch=1)
    assert panel.continue_lr.text() == ""
    assert "type a learning rate well below 10" in panel.log.toPlainText()
    made = len(FakeRun.made)
    assert not panel.continue_selected()  # not at the rate that diverged
    assert len(FakeRun.made) == made
    assert "type a smaller learning rate" in panel.log.toPlainText()
