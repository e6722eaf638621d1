"""A refused tuple parameter says how many values it takes in plain words: "a list of one
integer" for a Conv1D's kernel_size, not "a list of 1 integers"."""

from __future__ import annotations

import pytest

from kerascanvas.graph.errors import ParamError, ShapeError
from kerascanvas.graph.spec import get_spec


@pytest.mark.parametrize(("kind", "param", "said"), [
    ("Conv1D", "kernel_size", "an integer or a list of one integer >= 1"),
    ("Conv2D", "kernel_size", "an integer or a list of 2 integers >= 1"),
    ("Conv3D", "strides", "an integer or a list of 3 integers >= 1"),
])
def test_refusal_counts_in_words(kind, param, said):
    with pytest.raises(ParamError) as caught:
        get_spec(kind).param(param).coerce(0)
    assert said in str(caught.value) and f"Received: {param}=" in str(caught.value)


@pytest.mark.parametrize(("kind", "shapes", "said"), [
    ("Concatenate", [(None, 32)], "Received: 1 input with shape [(None, 32)]"),
    ("Add", [], "Received: 0 inputs"),
    ("Subtract", [(None, 4)] * 3, "Received: 3 inputs with shapes [(None, 4), (None, 4)"),
])
def test_a_merge_short_of_inputs_counts_them_in_plain_words(kind, shapes, said):
    """A Concatenate with one input wired said "Received: 1 inputs with shapes"."""
    with pytest.raises(ShapeError) as caught:
        get_spec(kind).shape({}, shapes)  # refused before any parameter is read
    assert said in str(caught.value)
