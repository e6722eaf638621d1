"""Floats as a person reads them in a field: Python's shortest exact text, but with an
exponent for large round numbers too (`1e+09`, not `1000000000.0`), as Keras configs and
`repr` write small ones (`1e-07`). Read back, the text is the same float."""

from __future__ import annotations

import math
from decimal import Decimal

POSITIONAL_DIGITS = 6  # below 10**6 a round float keeps its digits: 100000.0, 250.0


def reciprocal(value: float) -> int | None:
    """n where `value` is exactly the float 1/n and its decimal is long (1/255 is
    0.00392156862745098); None otherwise (0.5, 0.1 read well as they are).

    >>> reciprocal(1 / 255), reciprocal(1 / 127.5), reciprocal(0.25), reciprocal(0.004)
    (255, None, None, None)
    """
    if not isinstance(value, float) or not math.isfinite(value) or not 1e-7 < value < 1:
        return None  # (1/n for n up to 10**6; 1/5e-324 is no finite number)
    n = round(1 / value)
    return n if 2 <= n <= 10**6 and 1 / n == value and len(repr(value)) > 8 else None


def float_text(value: float) -> str:
    """The shortest exact text of `value`, with an exponent where its digits would be
    mostly zeros before the point, and 1/n where it is exactly that (`1/255`, which
    a field reads back as the same float).

    >>> [float_text(x) for x in (1e9, 1e-07, 0.003, 123456789.0, 1.5e7, 250.0, -2e6)]
    ['1e+09', '1e-07', '0.003', '123456789.0', '1.5e+07', '250.0', '-2e+06']
    >>> float_text(1 / 255)
    '1/255'
    """
    if (n := reciprocal(value)) is not None:
        return f"1/{n}"
    text = repr(float(value))
    if "e" in text or not math.isfinite(value) or value == 0:
        return text  # repr already uses an exponent below 1e-4 and from 1e16
    digits = Decimal(text).normalize()
    count, exponent = len(digits.as_tuple().digits), digits.adjusted()
    if exponent < max(count, POSITIONAL_DIGITS):
        return text
    return f"{value:.{count - 1}e}"
