"""The list of problems a refused run or export prints names each node once."""

from __future__ import annotations

from kerascanvas.graph.validate import analyze
from kerascanvas.runtime.build import describe_issues
from tests.graph.test_validate import make_doc


def test_each_problem_names_its_node_once():
    doc = make_doc([("x", "Input", {"shape": [4]}), ("head", "Dense", {"units": -3})],
                   [("x", "head", 0)], ["head"])
    issues = analyze(doc).errors
    assert issues[0].message.startswith("'head' (Dense): ")
    text = describe_issues(doc, issues, "the graph is invalid")
    assert text.splitlines()[1] == ("  - error: head (Dense): Received an invalid value for "
                                    "units, expected an integer >= 1. Received: units=-3")
