"""A data finding pinned to a node (labels that do not fit its output) is an error in the
Issues list and in the status bar's count: the node drew only the ring of its graph
issues (none, or a warning's orange), and its tooltip left the finding out."""

from __future__ import annotations

from kerascanvas.graph.commands import SetParam
from kerascanvas.graph.projectfile import dumps

from .conftest import show_at
from .training_fakes import mlp


def test_a_node_with_a_data_error_is_ringed_as_an_error(make_window, qtbot, tmp_path):
    doc = mlp()  # iris: 3 classes
    out = doc.outputs[0]
    doc.nodes[out].params["units"] = 2  # class id 2 does not fit
    path = tmp_path / "p.json"
    path.write_text(dumps(doc))
    window = show_at(make_window(str(path)), 1500, 920)
    window.training_panel()
    qtbot.waitUntil(lambda: bool(getattr(window, "data_issues", None)), timeout=60_000)
    item = window.canvas.views[out]
    qtbot.waitUntil(lambda: item.status == "error", timeout=2_000)
    assert window.data_issues[0].message in item.tip


    window.stack.push(SetParam(window.doc, out, "units", 3))  # the labels fit: no finding
    qtbot.waitUntil(lambda: not window.data_issues, timeout=60_000)
    qtbot.waitUntil(lambda: item.status is None, timeout=2_000)
