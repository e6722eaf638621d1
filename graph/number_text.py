"""Floats as a person reads them in a field: Python's shortest exact text, but with an
exponent for large round numbers too (`1e+09`, not `1000000000.0`), as Keras configs and
`repr` write small ones (`1e-07`). Read back, the text is the same float."""

from __future__ import annotations

import math
from decimal import Decimal

POSITIONAL_DIGITS = 6  # below 10**6 a round float keeps its digits: 100000.0, 250.0


def float_text(value: float) -> str:
    """The shortest exact text of `value`, with an exponent where its digits would be
    mostly zeros before the point.

    >>> [float_text(x) for x in (1e9, 1e-07, 0.003, 123456789.0, 1.5e7, 250.0, -2e6)]
    ['1e+09', '1e-07', '0.003', '123456789.0', '1.5e+07', '250.0', '-2e+06']
    """
    text = repr(float(value))
    if "e" in text or not math.isfinite(value) or value == 0:
        return text  # repr already uses an exponent below 1e-4 and from 1e16
    digits = Decimal(text).normalize()
    count, exponent = len(digits.as_tuple().digits), digits.adjusted()
    if exponent < max(count, POSITIONAL_DIGITS):
        return text
    return f"{value:.{count - 1}e}"
