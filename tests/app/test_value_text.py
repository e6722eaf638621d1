"""Floats in the properties and settings fields, and in the Runs table, read as Python and
Keras configs write them: a learning rate of 1e9 showed as "1000000000.0" (lr=1000000000.0
in the Runs table). Whatever the text, it reads back as the same float."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from kerascanvas.app.panels.editors import format_value, parse_text
from kerascanvas.app.training.records import RunRecord

from .conftest import add_chain


# The texts `repr` and Keras' JSON configs use for small numbers, and their exponent form
# for large round ones; a number with many digits keeps them.
@pytest.mark.parametrize("value, text", [
    (1e9, "1e+09"), (1e-07, "1e-07"), (0.003, "0.003"), (1e-05, "1e-05"), (2.5e8, "2.5e+08"),
    (-2e6, "-2e+06"), (0.5, "0.5"), (250.0, "250.0"), (123456789.0, "123456789.0"),
    (1e16, "1e+16"), (0.0, "0.0")])
def test_a_float_reads_compactly(value, text):
    assert format_value(value) == text
    assert format_value((3, value)) == f"3, {text}"


@given(st.floats(allow_nan=False, allow_infinity=False))
@example(1 / 3).via("shown as 1/3, also inside a tuple")
@example(5e-324).via("no finite reciprocal")
def test_every_float_reads_back_as_itself(value):
    text = format_value(value)
    assert parse_text(text) == value and isinstance(parse_text(text), float), text
    assert list(parse_text(format_value((value, value)))) == [value, value]


def test_the_properties_field_shows_an_exponent(window):
    (node,) = add_chain(window, "LayerNormalization")
    window.doc.nodes[node].params["epsilon"] = 2e6
    window.properties.show_node(node)
    assert window.properties.editors["epsilon"][1].edit.text() == "2e+06"


def test_the_runs_table_shows_an_exponent():
    record = RunRecord(1, {"optimizer": {"name": "sgd", "learning_rate": 1e9}})
    assert record.summary().startswith("sgd lr=1e+09 ")
