"""The curves' legends: each names every curve drawn, a lone curve has none, and none
lies over the curves, in the Training panel driven by a scripted run."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6 import QtCore

from kerascanvas.app.training import legend as legends
from kerascanvas.app.training.plots import RunCurves, TrainingPlots

from .training_fakes import epoch, started, training_panel

panel = pytest.fixture(training_panel)


def drawn_names(plot) -> list[str]:
    return sorted(item.name() for item in plot.listDataItems()
                  if item.name() and item.xData is not None and len(item.xData))


def listed(plot) -> list[str]:
    legend = plot.legend
    if legend is None or not legend.isVisible():
        return []
    return sorted(label.text for _, label in legend.items)


def curve_scene_points(plot) -> list[QtCore.QPointF]:
    """Points along every curve of `plot` (the lines between its samples too), in scene
    coordinates."""
    found = []
    for item in plot.listDataItems():
        x, y = item.getData()
        if x is None or not len(x):
            continue
        for i in range(len(x)):
            ends = (i, min(i + 1, len(x) - 1))
            if not all(np.isfinite([x[j] for j in ends] + [y[j] for j in ends])):
                continue
            for t in np.linspace(0, 1, 25):
                a = x[ends[0]] + t * (x[ends[1]] - x[ends[0]])
                b = y[ends[0]] + t * (y[ends[1]] - y[ends[0]])
                found.append(plot.vb.mapViewToScene(QtCore.QPointF(a, b)))
    return found


def assert_legends_clear(plots: TrainingPlots) -> None:
    for name, plot in plots.plots.items():
        names = drawn_names(plot)
        assert listed(plot) == (names if len(names) > 1 else []), name
        if not listed(plot):
            continue
        legend = plot.legend.mapRectToScene(plot.legend.boundingRect())
        whole = plot.mapRectToScene(plot.boundingRect())
        assert whole.contains(legend), f"the {name} legend is cut: {legend} in {whole}"
        covered = [p for p in curve_scene_points(plot) if legend.contains(p)]
        assert not covered or too_short_for_a_row(plot), (
            f"the {name} legend covers its curves at {covered[:3]}")


def too_short_for_a_row(plot) -> bool:
    """Whether a legend row above the view would leave it shorter than MIN_VIEW (then the
    legend may lie in the corner covering the fewest points)."""
    room = legends._room_under_title(plot)
    short = room - legends._row_height(plot, plot.legend) < legends.MIN_VIEW
    plot.legend.setColumnCount(1)  # as placed in a corner
    return short


def shown_plots(qtbot, width: int, height: int) -> TrainingPlots:
    """A Training tab's plots alone, shown at `width` x `height`."""
    plots = TrainingPlots()
    qtbot.addWidget(plots)
    plots.resize(width, height)
    plots.show()
    qtbot.waitExposed(plots)
    return plots


def settled(plots: TrainingPlots, qtbot) -> None:
    """Redrawn, and the layouts and resizes the redraw posted done."""
    def geometries():
        return [(p.vb.sceneBoundingRect(), p.legend.pos(), p.legend.isVisible())
                for p in plots.plots.values()]
    plots.redraw()
    last = None
    for _ in range(50):
        qtbot.wait(40)
        now = geometries()
        if now == last:
            break
        last = now


@pytest.mark.parametrize("size", [(1300, 330), (1000, 420), (800, 800)])
def test_legends_name_every_curve_and_lie_off_them_through_a_run(panel, qtbot, size):
    """Under the canvas at 1024x700 the loss legend lay over the middle of the loss, the
    accuracy legend over its start (and named only 'train' while 'validation' was drawn:
    its second line was cut off), the learning rate had a legend for its only curve."""
    panel.resize(*size)
    run, _ = started(panel, qtbot)
    plots = panel.plots
    for e in range(6):
        losses = tuple(2.0 * 0.6 ** (e + b / 4) for b in range(4))
        run.push(*epoch(e, losses=losses, val_loss=losses[-1] * 1.1,
                        accuracy=1.0 - 0.5 * 0.5 ** e))
        qtbot.waitUntil(lambda e=e: plots.current is not None
                        and len(plots.current.epochs.get("loss", ())) == e + 1, timeout=5000)
        settled(plots, qtbot)
        assert_legends_clear(plots)
    assert listed(plots.plots["learning rate"]) == []  # its title names its one curve
    assert listed(plots.plots["accuracy"]) == ["train", "validation"]
    assert listed(plots.plots["loss"]) == ["batch loss", "train", "validation"]


def test_a_legend_with_no_free_corner_goes_above_the_view_whole(qtbot):
    """A falling loss and a rising validation loss cross the view, corner to corner, and
    an earlier run's curves the other two: no corner is free, and the view is tall
    enough to give up a row: the legend is laid out between the title and the view,
    within the plot, off the curves."""
    plots = shown_plots(qtbot, 900, 700)
    old, new = RunCurves(), RunCurves()
    for e in range(9):
        new.add_epoch(e, {"loss": 9.0 - e, "val_loss": 1.0 + e}, lr=1e-3)
        old.add_epoch(e, {"loss": 5.0 + 0.1 * e, "val_loss": 5.0 - 0.1 * e}, lr=1e-3)
    plots.show_run(new, "Run 2")
    plots.set_overlays([("Run 1", old)])
    settled(plots, qtbot)
    plot = plots.plots["loss"]
    assert plot.legend.corner == "above"
    assert plot.vb.height() >= legends.MIN_VIEW
    assert_legends_clear(plots)
    assert listed(plots.plots["learning rate"]) == ["Run 1", "Run 2"]  # two curves: named


def test_a_legend_stays_in_a_corner_where_a_row_would_leave_the_view_unreadable(qtbot):
    """At 1024x700 a row above a short plot left its view some 15-25 pixels tall: in a
    view that short the legend stays in the corner covering the fewest points, and the
    view keeps its height."""
    plots = shown_plots(qtbot, 1100, 200)
    run = RunCurves()
    for e in range(4):
        run.add_epoch(e, {"loss": 1.0 / (e + 1), "val_loss": 1.2 / (e + 1),
                          "accuracy": 1 - 0.5 ** (e + 1), "val_accuracy": 0.9 - 0.5 ** (e + 2)},
                      lr=1e-3)
    plots.show_run(run, "Run 1")
    settled(plots, qtbot)
    for name in ("loss", "accuracy"):
        plot = plots.plots[name]
        assert plot.legend.corner in legends.CORNERS, name
        assert getattr(plot, "legend_spacer", None) is None or plot.legend_spacer.height() == 0
    assert_legends_clear(plots)


def test_the_loss_legend_moves_off_the_batch_curve_within_an_epoch(panel, qtbot):
    """The batch loss is drawn as its batches come, but the legend was placed again only
    when an epoch ended: a loss climbing into the legend's corner within an epoch ran under
    it until the epoch's end (an hour, for a large model). The legend follows the batches."""
    panel.resize(1200, 900)
    run, _ = started(panel, qtbot)
    run.push({"event": "train_begin", "epochs": 2, "steps": 4, "samples": 120})
    plots = panel.plots
    run.push(*epoch(0, losses=(2.0, 1.6, 1.3, 1.0), val_loss=1.1))
    qtbot.waitUntil(lambda: len(plots.current.epochs.get("loss", ())) == 1, timeout=5000)
    settled(plots, qtbot)
    assert_legends_clear(plots)
    before = plots.plots["loss"].legend.corner
    for batch, loss in enumerate((1.5, 2.2, 2.9, 3.6)):  # epoch 2 climbs to the top right
        run.push({"event": "batch_end", "epoch": 1, "batch": batch, "steps": 4,
                  "logs": {"loss": loss}})
        qtbot.waitUntil(lambda b=batch: len(plots.current.batch_loss) == 5 + b, timeout=5000)
        settled(plots, qtbot)
        assert_legends_clear(plots)
    assert plots.plots["loss"].legend.corner != before
