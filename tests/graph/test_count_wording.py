"""A refused tuple parameter says how many values it takes in plain words: "a list of one
integer" for a Conv1D's kernel_size, not "a list of 1 integers"."""

from __future__ import annotations

import pytest

from kerascanvas.graph.errors import ParamError
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
