"""Live plots: numpy buffers, timer-driven redraws, NaN shown, overlays."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6 import QtCore
from PySide6.QtTest import QTest

from kerascanvas.app.training.plots import RunCurves, Series, TrainingPlots

from .conftest import assert_axis_labels_apart, axis_laid_out


def test_series_grows_past_its_capacity_and_keeps_every_point():
    series = Series(capacity=2)
    xs = np.linspace(0, 1, 1000)
    for i, x in enumerate(xs):
        series.append(x, float(i))
    assert len(series) == 1000 and series.x.dtype == np.float64
    np.testing.assert_array_equal(series.x, xs)
    np.testing.assert_array_equal(series.y, np.arange(1000.0))
    copied = series.copy()
    copied.append(2.0, -1.0)
    assert len(series) == 1000 and len(copied) == 1001


def test_curves_place_batches_within_their_epoch():
    curves = RunCurves()
    for batch in range(5):
        curves.add_batch(2, batch, 5, 1.0 / (batch + 1))
    curves.add_epoch(2, {"loss": 0.2, "val_loss": 0.3, "mae": 0.1, "val_mae": 0.2}, lr=0.01)
    np.testing.assert_allclose(curves.batch_loss.x, [2.2, 2.4, 2.6, 2.8, 3.0])
    assert curves.metric_names() == ["loss", "mae"]
    assert curves.last_epoch_logs() == {"loss": 0.2, "val_loss": 0.3, "mae": 0.1,
                                        "val_mae": 0.2}
    np.testing.assert_allclose(curves.lr.y, [0.01])


def test_a_nan_epoch_without_batch_events_is_noted():
    curves = RunCurves()
    curves.add_epoch(0, {"loss": 1.5})
    curves.add_epoch(1, {"loss": "nan"})
    assert [n[2] for n in curves.nan_notes] == ["NaN loss at epoch 2"]
    assert curves.nan_notes[0][:2] == (2.0, 1.5)  # marked at the last finite height


@pytest.fixture
def plots(qtbot):
    widget = TrainingPlots(rate_hz=50)
    qtbot.addWidget(widget)
    widget.show()  # hidden plots are not drawn (see the test below)
    return widget


def test_hidden_plots_are_drawn_once_shown(qtbot):
    widget = TrainingPlots(rate_hz=50)
    qtbot.addWidget(widget)
    curves = RunCurves()
    curves.add_epoch(0, {"loss": 0.5})
    widget.show_run(curves)
    qtbot.wait(200)
    assert widget.redraw_count == 0 and not widget.plots
    widget.show()
    qtbot.waitUntil(lambda: widget.redraw_count == 1, timeout=3000)
    np.testing.assert_array_equal(widget.items[("", "loss")].yData, [0.5])


def test_redraws_come_from_the_timer_not_from_each_event(plots, qtbot):
    curves = RunCurves()
    plots.show_run(curves)
    qtbot.waitUntil(lambda: plots.redraw_count == 1, timeout=2000)
    for batch in range(2000):
        curves.add_batch(batch // 100, batch % 100, 100, 1.0 / (1 + batch))
    assert plots.redraw_count == 1
    qtbot.waitUntil(lambda: plots.redraw_count == 2, timeout=2000)
    qtbot.wait(100)
    assert plots.redraw_count == 2  # nothing changed, nothing redrawn
    x, y = plots.items[("", "batch")].xData, plots.items[("", "batch")].yData
    np.testing.assert_array_equal(x, curves.batch_loss.x)
    np.testing.assert_array_equal(y, curves.batch_loss.y)


def test_every_plot_clips_and_downsamples(plots):
    curves = RunCurves()
    curves.add_epoch(0, {"loss": 1.0, "accuracy": 0.3, "val_accuracy": 0.2}, lr=1e-3)
    plots.show_run(curves)
    plots.redraw()
    assert list(plots.plots) == ["loss", "accuracy", "learning rate"]
    for plot in plots.plots.values():
        assert plot.clipToViewMode()
        ds, auto, method = plot.downsampleMode()
        assert auto and method == "peak"
    np.testing.assert_allclose(plots.items[("", "val_accuracy")].yData, [0.2])
    np.testing.assert_allclose(plots.items[("", "lr")].yData, [1e-3, 1e-3])  # held over epoch 1


def test_nan_is_marked_in_red_with_its_place(plots):
    curves = RunCurves()
    for batch, loss in enumerate([0.9, 0.8, math.nan, math.nan]):
        curves.add_batch(0, batch, 4, loss)
    curves.add_epoch(0, {"loss": math.nan})
    plots.show_run(curves)
    plots.redraw()
    assert plots.nan_notes == ["NaN loss at epoch 1, batch 3"]
    text = plots.nan_texts[0]
    assert text.pos().x() == pytest.approx(0.75) and text.pos().y() == pytest.approx(0.8)
    assert text.textItem.defaultTextColor().name() == "#ff4d4d"
    marks = plots.items[("", "nan")]
    np.testing.assert_allclose(marks.xData, [0.75])
    batch = plots.items[("", "batch")]
    assert np.isnan(batch.yData).sum() == 2  # kept: the finite check breaks the line there


def note_inside(plots, qtbot) -> bool:
    """Whether the first NaN note's text lies wholly inside the loss plot's view."""
    qtbot.waitUntil(lambda: plots.plots["loss"].getViewBox().width() > 100, timeout=3000)
    view = plots.plots["loss"].getViewBox()
    text = plots.nan_texts[0]
    return view.sceneBoundingRect().contains(text.mapRectToScene(text.boundingRect()))


@pytest.mark.parametrize("batches, last_epoch", [
    ([0.5, 3.0, 1e5, 1e12, 1e25, math.inf], 1),  # diverges at the end of the only epoch
    ([], 1),  # overflowed before any batch was drawn: the epoch's NaN alone
    ([0.9, 0.7, 0.6, 0.8, math.nan], 5),  # the last finite loss is the highest drawn
])
def test_a_nan_note_stays_inside_its_plot(plots, qtbot, batches, last_epoch):
    """A note was written up and to the right of its cross: at the last epoch, or at the
    top of the losses, it ran out of the plot."""
    plots.resize(900, 300)
    curves = RunCurves()
    curves.last_epoch = last_epoch
    for batch, loss in enumerate(batches):
        curves.add_batch(0, batch, len(batches), loss)
    curves.add_epoch(0, {"loss": math.inf, "val_loss": math.inf}, lr=10.0)
    plots.show_run(curves)
    plots.redraw()
    assert note_inside(plots, qtbot)


def test_a_loss_plot_with_only_a_nan_cross_gets_a_readable_axis(plots, qtbot):
    """All losses NaN from the first point: the cross alone, at 0, had an axis of
    "0, -1e-14, -2e-14"; it gets one unit each side, and autorange back with real values."""
    curves = RunCurves()
    curves.add_batch(0, 0, 4, math.nan)
    plots.show_run(curves)
    plots.redraw()
    low, high = plots.plots["loss"].viewRange()[1]
    assert (low, high) == pytest.approx((-1.0, 1.0))
    other = RunCurves()
    for batch, loss in enumerate([4.0, 3.0, 2.0, 1.0]):
        other.add_batch(0, batch, 4, loss)
    plots.show_run(other)
    plots.redraw()
    plots.plots["loss"].getViewBox().updateAutoRange()
    low, high = plots.plots["loss"].viewRange()[1]
    assert low <= 1.0 and high >= 4.0 and high - low < 10


def test_the_learning_rate_shows_from_the_first_batch(plots):
    """The rate plot stayed empty (its axis 1e-4 .. 1e-2, whatever the rate) until the
    first epoch ended; the batches' rate is held over the epoch in progress until the
    epoch's logged rate replaces it."""
    curves = RunCurves()
    curves.add_batch(0, 0, 10, 2.0, lr=50.0)
    plots.show_run(curves)
    plots.redraw()
    lr = plots.items[("", "lr")]
    np.testing.assert_allclose(lr.xData, [0, 1])
    np.testing.assert_allclose(lr.yData, [50.0, 50.0])
    low, high = plots.lr_axis_range()
    assert low < 50.0 < high
    curves.add_epoch(0, {"loss": 1.0}, lr=50.0)
    curves.add_batch(1, 0, 10, 1.0, lr=25.0)  # a plateau halved it
    plots.redraw()
    np.testing.assert_allclose(lr.xData, [0, 1, 1, 2])
    np.testing.assert_allclose(lr.yData, [50.0, 50.0, 25.0, 25.0])
    curves.add_epoch(1, {"loss": 0.5}, lr=25.0)
    plots.redraw()
    assert curves.lr_now is None and len(curves.lr) == 2  # only logged rates are kept
    np.testing.assert_allclose(lr.yData, [50.0, 50.0, 25.0, 25.0])


def test_overlays_draw_earlier_runs_in_other_colors(plots):
    old, new = RunCurves(), RunCurves()
    old.add_epoch(0, {"loss": 2.0, "val_loss": 2.5})
    new.add_epoch(0, {"loss": 1.0})
    plots.show_run(new)
    plots.set_overlays([("Run 1", old)])
    plots.redraw()
    item = plots.items[("Run 1", "val_loss")]
    np.testing.assert_allclose(item.yData, [2.5])
    assert item.opts["pen"].color().name() != plots.items[("", "loss")].opts["pen"].color().name()
    plots.set_overlays([])
    plots.redraw()
    hidden = plots.items[("Run 1", "val_loss")].yData
    assert hidden is None or len(hidden) == 0


def test_learning_rate_axis_scales_to_its_values(plots, qtbot):
    """A constant 0.003 sits inside a narrow axis, on the log scale and on the linear one."""
    curves = RunCurves()
    for epoch in range(3):
        curves.add_epoch(epoch, {"loss": 1.0 / (epoch + 1)}, lr=0.003)
    plots.show_run(curves)
    plots.redraw()
    low, high = plots.lr_axis_range()
    assert 0 < low < 0.003 < high < 0.01
    box = plots.lr_log  # the option, clicked off as a user would
    QTest.mouseClick(box, QtCore.Qt.LeftButton, QtCore.Qt.NoModifier,
                     QtCore.QPoint(8, box.height() // 2))
    assert not plots.lr_log.isChecked()
    low, high = plots.lr_axis_range()
    assert 0 < low < 0.003 < high < 0.01


def test_plots_go_side_by_side_in_a_wide_short_view_and_stack_in_a_tall_one(qtbot):
    """Under the canvas the Training tab is wide and short: three stacked plots were about
    70 pixels tall each, their legends cut off. Side by side each is as tall as the view."""
    plots = TrainingPlots()
    qtbot.addWidget(plots)
    plots.resize(1000, 260)
    plots.show()
    qtbot.waitExposed(plots)
    curves = RunCurves()
    curves.add_epoch(0, {"loss": 1.0, "accuracy": 0.3, "val_accuracy": 0.2}, lr=1e-3)
    plots.show_run(curves)
    plots.redraw()
    layout = plots.view.ci
    names = list(plots.plots)
    assert [layout.getItem(0, col) for col in range(3)] == [plots.plots[n] for n in names]
    assert all(p.getAxis("bottom").isVisible() for p in plots.plots.values())
    plots.resize(420, 900)
    qtbot.waitUntil(lambda: plots.columns() == 1)
    assert [layout.getItem(row, 0) for row in range(3)] == [plots.plots[n] for n in names]
    shown = [plots.plots[n].getAxis("bottom").isVisible() for n in names]
    assert shown == [False, False, True]  # the x axes are linked: one labelled at the foot
    assert plots.plots["loss"].height() > 150  # and each plot is readable


def tab_plots(qtbot) -> TrainingPlots:
    """Plots as wide and short as the Training tab under the canvas, shown."""
    plots = TrainingPlots()
    qtbot.addWidget(plots)
    plots.resize(1100, 260)
    plots.show()
    qtbot.waitExposed(plots)
    return plots


def test_legends_move_off_the_curves(qtbot):
    """Accuracy climbs to the top right of its plot, where the legend was pinned: after a
    few epochs 'train' and 'validation' were written over the curves they name."""
    plots = tab_plots(qtbot)
    curves = RunCurves()
    for epoch in range(15):
        acc = 1.0 - 0.5 * 0.5 ** epoch
        curves.add_epoch(epoch, {"loss": 2.0 * 0.5 ** epoch, "val_loss": 2.1 * 0.5 ** epoch,
                                 "accuracy": acc, "val_accuracy": acc - 0.01}, lr=1e-3)
    plots.show_run(curves)
    plots.redraw()
    qtbot.wait(50)
    plots.redraw()
    for name in ("loss", "accuracy"):
        plot = plots.plots[name]
        legend = plot.legend.mapRectToScene(plot.legend.boundingRect())
        for item in plot.listDataItems():
            x, y = item.getData()
            if x is None or len(x) < 2:
                continue
            xs = np.linspace(x[0], x[-1], 200)  # the lines between the points too
            inside = [legend.contains(plot.vb.mapViewToScene(QtCore.QPointF(a, b)))
                      for a, b in zip(xs, np.interp(xs, x, y), strict=True)]
            assert not any(inside), f"the {name} legend covers its curve"


def test_log_scale_labels_of_the_learning_rate_do_not_overlap(qtbot):
    """A run continued at a tenth of its rate (0.003 then 0.0003): on the log axis the
    labels 0.0006 to 0.001 were drawn over one another."""

    plots = tab_plots(qtbot)
    curves = RunCurves()
    for epoch in range(30):
        curves.add_epoch(epoch, {"loss": 1.0 / (epoch + 1)}, lr=0.003 if epoch < 15 else 3e-4)
    plots.show_run(curves)
    plots.redraw()
    axis = plots.plots["learning rate"].getAxis("left")
    qtbot.waitUntil(lambda: axis_laid_out(axis), timeout=10_000)
    assert_axis_labels_apart(axis)  # still labelled


def test_a_rate_change_is_drawn_as_a_step_at_the_epoch_boundary(plots):
    """A rate cut from 0.01 to 0.001 after epoch 2 was drawn as a slope across epoch 3,
    as if the rate had passed through 0.005; the rate an epoch trained at holds over it."""
    curves = RunCurves()
    for epoch, rate in enumerate([0.01, 0.01, 0.001, 0.001]):
        curves.add_epoch(epoch, {"loss": 1.0}, lr=rate)
    plots.show_run(curves)
    plots.redraw()
    item = plots.items[("", "lr")]
    x, y = item.xData, item.yData
    assert list(zip(x, y, strict=True)) == [
        (0.0, 0.01), (1.0, 0.01), (1.0, 0.01), (2.0, 0.01),
        (2.0, 0.001), (3.0, 0.001), (3.0, 0.001), (4.0, 0.001)]
    # Halfway through epoch 3 the line is at the new rate, not between the two.
    halfway = np.interp(2.5, x[4:], y[4:])
    assert halfway == pytest.approx(0.001)
    assert item.opts["symbol"] is None


def test_an_empty_learning_rate_axis_spans_usual_rates(plots, qtbot):
    """Before any run the log axis spanned 1 to 10, labelled '2' and '5'."""
    plots.show_run(None)
    plots.redraw()
    low, high = plots.lr_axis_range()
    assert low == pytest.approx(1e-4) and high == pytest.approx(1e-2)


def _room_right_of(plots: TrainingPlots, epoch: float) -> dict[str, float]:
    """Pixels between `epoch` and the right edge of each plot's view."""
    room = {}
    for name, plot in plots.plots.items():
        box = plot.getViewBox()
        point = box.mapViewToScene(QtCore.QPointF(epoch, plot.viewRange()[1][0]))
        room[name] = box.sceneBoundingRect().right() - point.x()
    return room


@pytest.mark.parametrize("size", [(300, 900), (1600, 300)])
def test_marks_at_the_last_epoch_are_drawn_whole(qtbot, size):
    """A run's last epoch sat 4 px from the right edge of a narrow plot: its marks (the
    NaN cross is 14 px wide) were cut in half. Every plot, in one column or side by side,
    and again after a resize, leaves room for the widest mark."""
    plots = TrainingPlots(rate_hz=50)
    qtbot.addWidget(plots)
    plots.resize(*size)
    plots.show()
    qtbot.waitExposed(plots)
    curves = RunCurves()
    curves.last_epoch = 3
    curves.add_epoch(0, {"loss": 1.0, "accuracy": 0.3}, lr=1e-3)
    curves.add_epoch(1, {"loss": 0.5, "accuracy": 0.5}, lr=1e-3)
    curves.add_epoch(2, {"loss": math.nan, "accuracy": 0.6}, lr=1e-3)
    plots.show_run(curves)
    qtbot.waitUntil(lambda: plots.redraw_count > 0 and len(plots.plots) == 3, timeout=3000)
    half_mark = plots.items[("", "nan")].opts["symbolSize"] / 2
    qtbot.waitUntil(lambda: min(_room_right_of(plots, 3.0).values()) > half_mark + 2,
                    timeout=3000)
    plots.resize(size[0] // 2 + 100, size[1])
    qtbot.waitUntil(lambda: min(_room_right_of(plots, 3.0).values()) > half_mark + 2,
                    timeout=3000)


def test_plots_of_a_row_share_its_width_and_long_titles_elide(qtbot):
    """A long metric name's title asked for its whole width: in a narrow tab its plot took
    ~300 px and the loss plot shrank to ~70 px. The plots of a row now get equal widths
    (within their axes' label widths); the long title is cut, its full name in a tooltip."""
    long = "sparse_top_k_categorical_accuracy"
    plots = TrainingPlots()
    qtbot.addWidget(plots)
    plots.resize(700, 260)
    plots.show()
    qtbot.waitExposed(plots)
    curves = RunCurves()
    for epoch in range(5):
        curves.add_epoch(epoch, {"loss": 1.0 / (epoch + 1), "accuracy": 0.3, long: 0.5},
                         lr=1e-3)
    plots.show_run(curves)
    plots.redraw()
    assert plots.columns() == len(plots.plots) == 4  # one row
    title = plots.plots[long].titleLabel
    qtbot.waitUntil(lambda: title.text != long, timeout=10_000)
    widths = [plot.geometry().width() for plot in plots.plots.values()]
    assert max(widths) - min(widths) < 0.1 * max(widths), widths
    assert title.text.endswith("…") and long.startswith(title.text[:-1])
    assert title.toolTip() == long
    assert title.itemRect().width() <= title.rect().width()  # drawn within its plot
    plots.resize(1600, 260)  # room for the whole name: shown whole
    qtbot.waitUntil(lambda: title.text == long, timeout=10_000)


def test_metrics_logged_besides_the_expected_ones_are_drawn(plots, qtbot):
    """Two outputs: the accuracies expected from the settings got their plots first, the
    per-output losses logged later came after them, and the plots' order never matched
    the sorted names again: every tick rebuilt the grid and none drew a curve (the
    customer_tickets example trained 5 epochs with only its first batches shown)."""
    curves = RunCurves()
    curves.expected = ["department_accuracy", "priority_accuracy"]
    plots.show_run(curves)
    qtbot.waitUntil(lambda: "priority_accuracy" in plots.plots, timeout=3000)
    logs = {"loss": 1.0, "department_accuracy": 0.5, "department_loss": 0.7,
            "priority_accuracy": 0.6, "priority_loss": 0.3}
    curves.add_epoch(0, {**logs, **{f"val_{k}": v for k, v in logs.items()}}, lr=1e-3)
    curves.add_epoch(1, logs, lr=1e-3)

    def drawn(name: str) -> bool:
        item = plots.items.get(("", name))
        return item is not None and item.getData()[1] is not None and \
            len(item.getData()[1]) == 2
    qtbot.waitUntil(lambda: all(drawn(n) for n in logs), timeout=3000)
    assert list(plots.plots) == [*curves.metric_names(), "learning rate"]


def test_a_legend_over_a_curve_keeps_its_names_readable(plots, qtbot):
    """In small plots (six metrics under the canvas) every corner holds a curve, and a
    line ran straight through 'batch loss': the legend's box was transparent."""
    curves = RunCurves()
    curves.add_epoch(0, {"loss": 1.0, "val_loss": 1.1, "accuracy": 0.5}, lr=1e-3)
    plots.show_run(curves)
    plots.redraw()
    for name, plot in plots.plots.items():
        brush = plot.legend.opts["brush"]
        assert brush is not None and brush.color().alpha() >= 160, name
        assert brush.color().lightness() < 60, name  # dark, as the plot's background


@pytest.mark.parametrize("epochs", [1, 2, 3, 5, 40])
def test_the_epoch_axes_tick_whole_epochs_only(qtbot, epochs):
    """A run of three epochs ticked 0.5, 1, 1.5 ... on the Training tab's curves."""
    plots = TrainingPlots()
    qtbot.addWidget(plots)
    plot = plots._new_plot("loss")  # how every curve's plot is made
    levels = plot.getAxis("bottom").tickValues(0, epochs, 400)
    ticks = [value for _, values in levels for value in values]
    assert ticks and all(float(value).is_integer() for value in ticks), ticks
