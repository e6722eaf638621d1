"""Where a plot's legend goes: the corner of the view where it hides the least of the curves.

pyqtgraph pins a legend to one corner. Accuracy climbs to the top right of its plot
as training goes on, and a legend there lay over the very curves it names; a loss
falls to the bottom, where a legend at the bottom would do the same. Each redraw
moves the legend to the corner whose box covers the fewest samples of the curves
drawn (ties keep it where it is, then prefer the top right). A legend wider than its
plot (many plots side by side, earlier runs overlaid) is cut whatever its corner: it
keeps to a left one, so the names are cut at their ends, not their starts.
"""

from __future__ import annotations

import os

import numpy as np

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import pyqtgraph as pg  # noqa: E402  (the binding must be chosen first)

MARGIN = 10  # pixels between the legend and the view's edge
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


def place_legend(plot: pg.PlotItem) -> str | None:
    """Move the legend of `plot` to its best corner; the corner, or None without one."""
    legend = plot.legend
    if legend is None or not legend.items:
        return None
    view = plot.vb
    view.updateAutoRange()
    (x0, x1), (y0, y1) = view.viewRange()
    px, py = view.viewPixelSize()
    size = ((legend.width() + MARGIN) * px, (legend.height() + MARGIN) * py)
    boxes = corner_boxes(((x0, x1), (y0, y1)), size)
    if legend.width() + 2 * MARGIN > view.width():  # cut either way: keep the names' starts
        boxes = {c: box for c, box in boxes.items() if c.endswith("left")}
    current = getattr(legend, "corner", "top right")
    corner = best_corner(curve_points(plot, (x0, x1)), boxes, current)
    if corner != getattr(legend, "corner", None):
        anchor, offset = CORNERS[corner]
        legend.anchor(itemPos=anchor, parentPos=anchor, offset=offset)
        legend.corner = corner
    return corner
