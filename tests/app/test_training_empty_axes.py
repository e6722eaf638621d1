"""The Training tab's plots before any run: their epoch axes tick the epochs the settings
train (0 to N), as a run's will, not a blank axis."""

from __future__ import annotations

import pytest

from kerascanvas.app.training.plots import TrainingPlots
from kerascanvas.graph import commands as cmd

from .conftest import axis_labels
from .training_fakes import training_panel


@pytest.fixture
def panel(qtbot, tmp_path):
    yield from training_panel(qtbot, tmp_path)


def epoch_axes(plots: TrainingPlots) -> list:
    """The bottom axes the plots show (the lowest plot of each column)."""
    return [plot.getAxis("bottom") for plot in plots.plots.values()
            if plot.getAxis("bottom").isVisible()]


def ticked(plots: TrainingPlots) -> list[list[float]]:
    """The epochs labelled on each epoch axis shown."""
    return [[float(text) for _, text in axis_labels(axis)] for axis in epoch_axes(plots)]


def spans(plots: TrainingPlots, epochs: int) -> bool:
    """Whether the plots are built and every epoch axis spans 0 .. `epochs`, labelled."""
    if "learning rate" not in plots.plots or not epoch_axes(plots):
        return False
    low, high = plots.plots["learning rate"].viewRange()[0]
    room = 0.1 * (high - low)  # a few pixels at each end, for the marks drawn there
    return -room < low < 0 and epochs < high < epochs + room and \
        all(len(t) >= 2 for t in ticked(plots))


def test_an_empty_plot_ticks_whole_epochs(qtbot):
    """No epochs set: the axis spans 0 .. 1 with both labelled (the empty axis spanned
    exactly 0 .. 1, and pyqtgraph drops labels at the very ends: none showed)."""
    plots = TrainingPlots(rate_hz=50)
    qtbot.addWidget(plots)
    plots.resize(700, 250)
    plots.show()
    qtbot.waitExposed(plots)
    qtbot.waitUntil(lambda: spans(plots, 1), timeout=3000)
    assert ticked(plots) == [[0.0, 1.0]] * len(epoch_axes(plots))


@pytest.mark.parametrize("epochs", [3, 12, 40])
def test_empty_plots_span_the_epochs_setting(panel, qtbot, epochs):
    """The settings' epochs, and again as they are edited: whole ticks from 0 up."""
    panel.resize(1000, 400)
    qtbot.waitUntil(lambda: spans(panel.plots, 3), timeout=3000)  # mlp() trains 3 epochs
    panel.stack.push(cmd.SetTraining(panel.doc, {**panel.doc.training, "epochs": epochs}))
    qtbot.waitUntil(lambda: spans(panel.plots, epochs), timeout=3000)
    for ticks in ticked(panel.plots):
        assert all(tick.is_integer() and 0 <= tick <= epochs for tick in ticks), ticks
        assert ticks[0] == 0
