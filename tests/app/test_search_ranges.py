"""A range typed in the Search tab's table: one that does not read as the parameter's kind
is refused, the entry kept, and the message names the parameter and what was typed."""

from __future__ import annotations

import pytest

from kerascanvas.graph.search import search_params
from tests.runtime.test_search import LR, UNITS, mlp_project

# (row, text, what the message quotes): row 0 is the learning rate (float, log), row 1
# hidden.units (int, step 4).
REFUSED = [
    (1, "4.5 .. 8", "low=4.5"),            # was silently 4 .. 8
    (1, "4 .. 32 step 2.5", "step=2.5"),   # was silently step 2
    (1, "4 .. 1e400", "high=1e400"),       # was an OverflowError out of the slot
    (1, "x .. 8", "low='x'"),
    (0, "nan .. 0.1 log", "low=nan"),
    (0, "1e-4 .. inf log", "high=inf"),
    (1, "abc", "'abc'"),
]


@pytest.fixture()
def panel(make_window, tmp_path):
    window = make_window(str(mlp_project(tmp_path, [LR, UNITS])))
    panel = window.search_panel()
    messages = []
    panel.status_message.connect(messages.append)
    return window, panel, messages


@pytest.mark.parametrize(("row", "text", "quoted"), REFUSED)
def test_a_range_that_does_not_read_as_its_kind_is_refused(panel, row, text, quoted):
    window, panel, messages = panel
    before = [e.to_json() for e in search_params(window.doc)]
    key = panel.params.item(row, 0).text()
    panel.params.item(row, 1).setText(text)  # as the table's editor commits it
    assert [e.to_json() for e in search_params(window.doc)] == before
    (message,) = messages
    assert message.startswith(f"{key}: ") and quoted in message
    assert panel.params.item(row, 1).text() != text  # the table shows the range kept


def test_a_whole_number_written_as_a_float_is_taken(panel):
    window, panel, messages = panel
    panel.params.item(1, 1).setText("8.0 .. 64 step 8")
    units = search_params(window.doc)[1]
    assert (units.low, units.high, units.step) == (8, 64, 8) and messages == []
    assert all(isinstance(v, int) for v in (units.low, units.high, units.step))
