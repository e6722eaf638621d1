"""NaN losses on the training plots: a red cross where each stretch of NaN begins, a red
note naming it, and axes that still frame what is drawn.

A diverging run's last finite loss is its highest, often at the end of the drawn epochs,
so a note always written up and to the right of its cross ran out of the plot ("N" of
"NaN loss at epoch 1" showed at the edge). A note goes to the left of its cross past the
middle of the epoch axis and under it in the upper half of the losses. A plot whose values
are all one number or not finite (a run whose loss overflowed before its first point: the
cross alone, at 0) got an axis pyqtgraph cannot scale, "0, -1e-14, -2e-14"; it is given
a tenth of that value, at least one unit, on each side instead.
"""

from __future__ import annotations

import math
import os

import numpy as np

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import pyqtgraph as pg  # noqa: E402  (the binding must be chosen first)

from .lr_plot import LR_PLOT  # noqa: E402

NAN_COLOR = "#ff4d4d"
NAN_MARK_SIZE = 14
NOTES_SHOWN = 5  # notes written; every NaN stretch keeps its cross


def note_anchor(x: float, y: float, x_span: tuple[float, float],
                y_span: tuple[float, float] | None) -> tuple[float, float]:
    """The anchor of a note's text at its cross (x, y): (0, 1) writes it up and to the
    right, (1, 0) down and to the left. Leftward past the middle of `x_span`, downward in
    the upper half of `y_span` (the finite values drawn) or without one.

    >>> note_anchor(0.9, 10.0, (0.0, 1.0), (0.0, 10.0)), note_anchor(0.2, 1.0, (0, 4), (0, 10))
    ((1, 0), (0, 1))
    """
    left = x > (x_span[0] + x_span[1]) / 2
    down = y_span is None or y >= (y_span[0] + y_span[1]) / 2
    return (1 if left else 0, 0 if down else 1)


def finite_values(plot: pg.PlotItem) -> np.ndarray:
    """The finite y values of the curves and marks drawn in `plot`."""
    found = [np.asarray(item.yData, dtype=float) for item in plot.listDataItems()
             if item.yData is not None and len(item.yData)]
    values = np.concatenate(found) if found else np.empty(0)
    return values[np.isfinite(values)]


class NanMarksMixin:
    """Mixed into `TrainingPlots`: expects `plots`, `items`, `_item`, `_touched`, and sets
    `nan_texts` and `_notes_shown` (made in `_init_nan_marks`)."""

    def _init_nan_marks(self) -> None:
        self.nan_texts: list[pg.TextItem] = []
        self._notes_shown: tuple | None = None
        self._pinned_y: dict[str, tuple[float, float]] = {}  # plots given a y range

    @property
    def nan_notes(self) -> list[str]:
        """The NaN notes shown now."""
        return [t.textItem.toPlainText() for t in self.nan_texts]

    def _draw_nan(self, curves) -> None:
        notes = tuple(curves.drawn_notes()) if curves is not None else ()
        key = ("", "nan")
        plot = self.plots["loss"]
        finite = finite_values(plot)
        y_span = (float(finite.min()), float(finite.max())) if len(finite) else None
        # The epochs drawn: the run's last one once known (a run that failed ends the
        # axis at the epoch it reached), else as far as the notes go.
        x_span = (0.0, float(curves.last_epoch or max((n[0] for n in notes), default=1.0))) \
            if curves is not None else (0.0, 1.0)
        if key in self.items and (notes, x_span, y_span) == self._notes_shown:
            self._touched.add(key)
            return
        self._notes_shown = (notes, x_span, y_span)
        for text in self.nan_texts:
            plot.removeItem(text)
        self.nan_texts = []
        marks = self._item(key, "loss", NAN_COLOR, 0.0)
        marks.setPen(None)
        marks.setSymbol("x")
        marks.setSymbolSize(NAN_MARK_SIZE)
        marks.setSymbolBrush(NAN_COLOR)
        marks.setSymbolPen(pg.mkPen(NAN_COLOR, width=2))
        marks.setData([n[0] for n in notes], [n[1] for n in notes])
        for x, y, message in notes[:NOTES_SHOWN]:
            text = pg.TextItem(message, color=NAN_COLOR,
                               anchor=note_anchor(x, y, x_span, y_span))
            text.setPos(x, y)
            plot.addItem(text, ignoreBounds=True)  # sized in pixels: no data range
            self.nan_texts.append(text)

    def _frame_flat_plots(self) -> None:
        """Give a plot whose finite values are one number (or none but a NaN cross) a
        tenth of it, at least one unit, each side of it; hand the axis back to autorange
        once the values spread."""
        for name, plot in self.plots.items():
            if name == LR_PLOT:  # fitted to its rates (`lr_plot`)
                continue
            finite = finite_values(plot)
            flat = len(finite) and math.isclose(finite.min(), finite.max(), rel_tol=1e-9,
                                                abs_tol=1e-12)
            value = float(finite[0]) if flat else 0.0
            room = max(abs(value) / 10, 1.0)
            wanted = (value - room, value + room) if flat else None
            if wanted is not None and self._pinned_y.get(name) != wanted:
                self._pinned_y[name] = wanted
                plot.setYRange(*wanted, padding=0)
            elif wanted is None and self._pinned_y.pop(name, None) is not None:
                plot.enableAutoRange(y=True)
