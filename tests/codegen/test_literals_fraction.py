"""A float that is exactly 1/n is written `1 / n`, as people write a Rescaling's scale; the
code Keras runs holds the very same float."""

from __future__ import annotations

import pytest

from kerascanvas.codegen.literals import literal
from kerascanvas.graph.number_text import reciprocal


@pytest.mark.parametrize("n", [3, 7, 127, 255, 65535])
def test_one_over_n_is_written_so_and_evaluates_to_the_same_float(n):
    value = 1 / n
    text = literal(value)
    assert text == f"1 / {n}" or reciprocal(value) is None
    assert eval(compile(text, "<literal>", "eval")) == value  # noqa: S307 - our own text


@pytest.mark.parametrize("value", [0.5, 0.25, 0.1, 0.003, 1 / 127.5, 2 / 255, 0.9])
def test_other_floats_keep_their_shortest_text(value):
    assert literal(value) == repr(value)
