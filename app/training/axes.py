"""Plot axes that stay readable: on a log scale, and with whole epochs.

On a log axis pyqtgraph labels every minor tick (2..9 times each power of ten) once
the labels fit on average; but they crowd at the top of each decade, so a learning
rate cut from 0.003 to 0.0003 showed 0.0006, 0.0007, 0.0008, 0.0009 and 0.001 written
over one another. Minor ticks keep their marks; only 2 and 5 keep a label.
"""

from __future__ import annotations

import math
import os

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import pyqtgraph as pg  # noqa: E402  (the binding must be chosen first)

LABELLED = (1, 2, 5)  # the leading digits whose log ticks keep a label


def leading_digit(log_value: float) -> int:
    """The first digit of 10 ** log_value (10 counts as 1).

    >>> [leading_digit(math.log10(v)) for v in (0.002, 0.0007, 0.01, 3e-4)]
    [2, 7, 1, 3]
    """
    digit = round(10 ** (log_value - math.floor(log_value)))
    return 1 if digit == 10 else digit


class ReadableAxis(pg.AxisItem):
    """An AxisItem whose log-scale labels are 1, 2 and 5 times each power of ten."""

    def logTickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph's name)
        strings = super().logTickStrings(values, scale, spacing)
        return [text if leading_digit(float(value)) in LABELLED else ""
                for value, text in zip(values, strings, strict=True)]


class EpochAxis(pg.AxisItem):
    """Epochs are whole: no tick at 1.5 or 2.5 when a study trains three epochs a trial."""

    def tickValues(self, minVal, maxVal, size):  # noqa: N802, N803 (pyqtgraph's names)
        levels = [(spacing, [v for v in values if float(v).is_integer()])
                  for spacing, values in super().tickValues(minVal, maxVal, size)
                  if spacing >= 1]
        if not levels:  # a span of an epoch or two: every whole epoch in it
            levels = [(1.0, [float(v) for v in range(math.ceil(minVal), int(maxVal) + 1)])]
        return levels
