"""A graph error before an output leaves it without a shape, so synthetic labels cannot be
drawn for it: the graph's own error says so, and the data preview adds no second error for
the same cause (the Issues panel listed both)."""

from __future__ import annotations

import pytest

from kerascanvas.app.training.preview_read import preview_issues
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.validate import analyze
from kerascanvas.runtime.dataset import DataError
from kerascanvas.runtime.synthetic import UNSHAPED, synthetic_labels


def stacked_lstms() -> Document:
    """x -> lstm -> lstm_1 -> dense: lstm_1 is refused (no return_sequences)."""
    doc, ids = Document(), []
    for kind, params in (("Input", {"shape": [10, 4]}), ("LSTM", {"units": 4}),
                         ("LSTM", {"units": 4}), ("Dense", {"units": 1})):
        ids.append(doc.add_node(kind, params=params).id)
        if len(ids) > 1:
            doc.connect(Edge(ids[-2], 0, ids[-1], 0))
    doc.outputs = [ids[-1]]
    return doc


def test_an_unshaped_output_is_the_graphs_error_alone():
    doc = stacked_lstms()
    analysis = analyze(doc)
    assert [i.code for i in analysis.errors] == ["rank_mismatch"]
    with pytest.raises(DataError) as raised:
        synthetic_labels(doc, 8, analysis=analysis)
    (issue,) = raised.value.issues
    assert issue.code == UNSHAPED and issue.node == doc.outputs[0]
    assert preview_issues(doc, raised.value, analysis) == []


def test_a_source_refused_for_another_reason_is_still_shown():
    refusal = DataError("Could not read x.npz: no such file")
    (issue,) = preview_issues(stacked_lstms(), refusal)
    assert issue.code == "data_source" and "x.npz" in issue.message
