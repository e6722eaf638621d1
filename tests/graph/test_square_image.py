"""`fixplan.square_image`, the image reading a Reshape fix offers for a vector: the most
nearly square height x width, found at once also for a size read from a file that is huge
(a Dense of 10**18 units in a mutated project stalled validation for minutes)."""

from __future__ import annotations

import math

import pytest

from kerascanvas.graph.fixplan import square_image


def _nearest_square(size: int) -> tuple[int, int, int]:
    """Every divisor up to the root, tried (what the reading means)."""
    for channels in (1, 3):
        side = math.isqrt(size // channels)
        if size % channels == 0 and side * side * channels == size:
            return (side, side, channels)
    height = max(d for d in range(1, math.isqrt(size) + 1) if size % d == 0)
    return (height, size // height, 1)


@pytest.mark.parametrize("size", [*range(1, 400), 784, 3072, 1_000_003, 6_000_000, 16_000_000])
def test_the_reading_is_the_most_nearly_square(size):
    assert square_image(size) == _nearest_square(size)


@pytest.mark.parametrize("size", [10**18 + 9, 2**61 - 1, 2 * (2**61 - 1), 10**18])
def test_a_huge_size_is_read_at_once_as_a_whole_image(size):
    height, width, channels = square_image(size)
    assert height * width * channels == size and height <= width
