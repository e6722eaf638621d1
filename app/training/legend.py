"""Where a plot's legend goes: a corner of the view that holds none of the curves, else a
row between the title and the view.

pyqtgraph pins a legend to one corner. Accuracy climbs to the top right of its plot
and a loss falls to the bottom; in a small dock every corner may hold a curve, and a
legend there hid the curves it named (a short plot even cut its second name off). The
legend goes to the corner whose box covers none of the curves drawn (ties keep it where
it is, then prefer the top right); with none free it is laid out as a row (or as few
lines as the width allows) above the view, which gives up that height, unless the view
would be left shorter than MIN_VIEW pixels (a plot of a small dock, unreadable so): then
it stays in the corner covering the fewest points. A plot with one
curve has no legend: its title names it. Placing costs a few thousand comparisons, so
the plots place a legend when its names, the epochs or the points drawn in its plot
change (the loss plot's batches: at most once a redraw), or the view is resized.
"""

from __future__ import annotations

import os

import numpy as np

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import pyqtgraph as pg  # noqa: E402  (the binding must be chosen first)

MARGIN = 10  # pixels between the legend and the view's edge
ROW_GAP = 4  # pixels under a legend laid out above the view
TEXT_SIZE = "8pt"  # the names: small enough for narrow plots
MIN_VIEW = 90  # pixels a view keeps under a legend row; shorter, the legend stays in a corner
SAMPLES = 400  # points per curve at which coverage is measured (the lines between too)
# corner -> (anchor, offset): the legend's corner pinned to the same corner of the view
CORNERS = {
    "top right": ((1, 0), (-MARGIN, MARGIN)),
    "bottom right": ((1, 1), (-MARGIN, -MARGIN)),
    "top left": ((0, 0), (MARGIN, MARGIN)),
    "bottom left": ((0, 1), (MARGIN, -MARGIN)),
}


def curve_points(plot: pg.PlotItem, x_range: tuple[float, float]) -> np.ndarray:
    """(n, 2) points along every curve of `plot` within `x_range`, as drawn (log axes
    included), the lines between samples followed at SAMPLES steps."""
    xs = np.linspace(x_range[0], x_range[1], SAMPLES)
    found = []
    for item in plot.listDataItems():
        x, y = item.getData()
        if x is None or len(x) == 0:
            continue
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        keep = np.isfinite(x) & np.isfinite(y)
        x, y = x[keep], y[keep]
        if len(x) == 1:
            found.append(np.column_stack([x, y]))
        elif len(x) > 1:
            order = np.argsort(x, kind="stable")
            ys = np.interp(xs, x[order], y[order], left=np.nan, right=np.nan)
            inside = np.isfinite(ys)
            found.append(np.column_stack([xs[inside], ys[inside]]))
    return np.concatenate(found) if found else np.empty((0, 2))


def corner_boxes(view: tuple[tuple[float, float], tuple[float, float]],
                 size: tuple[float, float]) -> dict[str, tuple[float, float, float, float]]:
    """Each corner's legend box (x0, x1, y0, y1) in data units, for a legend of `size`
    (width, height, margins included) in a view of ((x0, x1), (y0, y1)).

    >>> corner_boxes(((0, 10), (0, 1)), (2, 0.25))["top right"]
    (8, 10, 0.75, 1)
    """
    (x0, x1), (y0, y1) = view
    w, h = size
    return {"top right": (x1 - w, x1, y1 - h, y1), "bottom right": (x1 - w, x1, y0, y0 + h),
            "top left": (x0, x0 + w, y1 - h, y1), "bottom left": (x0, x0 + w, y0, y0 + h)}


def best_corner(points: np.ndarray, boxes: dict, current: str) -> str:
    """The corner whose box holds the fewest points; ties keep `current`, then the order
    of CORNERS."""
    def covered(box) -> int:
        x0, x1, y0, y1 = box
        return int(np.count_nonzero((points[:, 0] >= x0) & (points[:, 0] <= x1)
                                    & (points[:, 1] >= y0) & (points[:, 1] <= y1)))

    counts = {corner: covered(box) for corner, box in boxes.items()}
    least = min(counts.values())
    return current if counts.get(current) == least else \
        next(c for c in CORNERS if counts.get(c) == least)


def _fractions(plot: pg.PlotItem) -> np.ndarray:
    """The curves' points as fractions of the view (0, 0 top left; 1, 1 bottom right): the
    same whether or not a legend row above the view takes some of its height."""
    view = plot.vb
    view.updateAutoRange()
    view.updateMatrix()  # the range just fitted, mapped from now on (not at the next paint)
    (x0, x1), (y0, y1) = view.viewRange()
    points = curve_points(plot, (x0, x1))
    return np.column_stack([(points[:, 0] - x0) / ((x1 - x0) or 1.0),
                            (y1 - points[:, 1]) / ((y1 - y0) or 1.0)])


def _corner(plot: pg.PlotItem, legend: pg.LegendItem, height: float) -> tuple[str, bool]:
    """The corner where the legend (one column) covers the fewest points of the curves in
    a view `height` pixels tall, and whether it covers none (False too when it does not
    fit in the view)."""
    legend.setColumnCount(1)
    width = plot.vb.width() or 1.0
    height = height or 1.0
    w, h = (legend.width() + MARGIN) / width, (legend.height() + MARGIN) / height
    # Boxes in fractions, y downwards: "top" is 0 .. h.
    boxes = corner_boxes(((0.0, 1.0), (1.0, 0.0)), (w, -h))
    boxes = {c: (x0, x1, min(y0, y1), max(y0, y1)) for c, (x0, x1, y0, y1) in boxes.items()}
    points = _fractions(plot)
    corner = best_corner(points, boxes, getattr(legend, "corner", "top right"))
    if w + MARGIN / width > 1 or h + MARGIN / height > 1:
        return corner, False
    x0, x1, y0, y1 = boxes[corner]
    clear = not np.any((points[:, 0] >= x0) & (points[:, 0] <= x1)
                       & (points[:, 1] >= y0) & (points[:, 1] <= y1))
    return corner, clear


def _row_height(plot: pg.PlotItem, legend: pg.LegendItem) -> float:
    """The height of the legend laid out as a row (as few lines as the plot's width
    allows), its columns left so."""
    for cols in range(len(legend.items), 0, -1):
        legend.setColumnCount(cols)
        if legend.width() <= plot.width() - 2 * MARGIN:
            break
    return legend.height() + ROW_GAP


def _row_above(plot: pg.PlotItem, legend: pg.LegendItem) -> None:
    """Lay the legend out as a row (as few lines as the plot's width allows) between the
    title and the view, the view giving up that height."""
    legend.setParentItem(plot)
    _row_height(plot, legend)
    if _spacer(plot).height() != legend.height() + ROW_GAP:
        _spacer(plot).setFixedHeight(legend.height() + ROW_GAP)
        plot.layout.activate()  # laid out now: not at some later resize of the plot
    title = plot.layout.itemAt(0, 1)
    top = title.geometry().height() if title is not None else 0.0
    # Wider than the plot even in one column (a plot a few names wide): cut at the names'
    # ends, their starts kept.
    side = 0.5 if legend.width() <= plot.width() else 0.0
    legend.anchor(itemPos=(side, 0), parentPos=(side, 0), offset=(0, top))


def place_legend(plot: pg.PlotItem) -> str | None:
    """Move the legend of `plot` to the corner of its view that holds none of the curves,
    else to a row above the view ("above"); None without a legend (fewer than two
    curves: the title names a lone one)."""
    # Placing resizes the view (a row above it taken or given back), and the view's
    # resize asks for a placing: not within this one, where the two could take turns.
    if getattr(plot, "placing_legend", False):
        return getattr(plot.legend, "corner", None)
    plot.placing_legend = True
    try:
        return _place(plot)
    finally:
        plot.placing_legend = False


def _place(plot: pg.PlotItem) -> str | None:
    """The placing itself (see `place_legend`)."""
    legend = plot.legend
    if legend is None or len(legend.items) < 2:
        if legend is not None:
            legend.hide()
        _release_row(plot)
        return None
    legend.show()
    room = _room_under_title(plot)
    corner, clear = _corner(plot, legend, room)
    if not clear and room - _row_height(plot, legend) >= MIN_VIEW:
        _row_above(plot, legend)
        legend.corner = "above"
        return legend.corner
    # A corner clear of the curves; or, where a row would leave the view too short to
    # read, the corner covering the fewest points (the legend's box is see-through).
    _release_row(plot)
    legend.setColumnCount(1)
    if legend.height() + MARGIN > room:  # too short for a column: the names side by side
        legend.setColumnCount(len(legend.items))
    legend.setParentItem(plot.vb)
    anchor, offset = CORNERS[corner]
    legend.anchor(itemPos=anchor, parentPos=anchor, offset=offset)
    legend.corner = corner
    return corner


def _room_under_title(plot: pg.PlotItem) -> float:
    """The view's height with no legend row above it: from the title's foot to the view's,
    whether or not a row asked for has been laid out yet (deciding on the view's height
    alone flipped the legend between a corner and the row as the layout caught up)."""
    title = plot.layout.itemAt(0, 1)
    top = title.geometry().bottom() if title is not None else 0.0
    return plot.vb.geometry().bottom() - top


def _spacer(plot: pg.PlotItem) -> pg.GraphicsWidget:
    """An empty item in the row between the title and the view, as tall as the legend
    laid out there (a row holding only the hidden top axis took no height)."""
    spacer = getattr(plot, "legend_spacer", None)
    if spacer is None:
        spacer = plot.legend_spacer = pg.GraphicsWidget()
        spacer.setFixedWidth(0)
        spacer.setFixedHeight(0)
        plot.layout.addItem(spacer, 1, 0)
    return spacer


def _release_row(plot: pg.PlotItem) -> None:
    spacer = getattr(plot, "legend_spacer", None)
    if spacer is not None and spacer.height():
        spacer.setFixedHeight(0)
        plot.layout.activate()
