"""A layer put on a wire starts as a dropped one does: required params at their initial
values, so it carries no 'needs a value' error (Dropout spliced onto a wire had no rate)."""

from __future__ import annotations

import pytest

from kerascanvas.graph.commands import UndoStack
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.fixes import insert_on_edge
from kerascanvas.graph.spec import LAYER_SPECS
from kerascanvas.graph.validate import analyze

SPLICEABLE = sorted(k for k, s in LAYER_SPECS.items()
                    if s.min_inputs <= 1 and s.max_inputs != 0 and not s.is_block)


def _chain() -> tuple[Document, Edge]:
    doc = Document()
    x = doc.add_node("Input", name="x", params={"shape": [8, 8, 3]})
    y = doc.add_node("Flatten", name="y")
    edge = Edge(x.id, 0, y.id, 0)
    doc.connect(edge)
    doc.outputs = [y.id]
    return doc, edge


@pytest.mark.parametrize("kind", SPLICEABLE)
def test_a_spliced_layer_gets_the_initial_values_of_its_required_params(kind):
    doc, edge = _chain()
    stack = UndoStack()
    node_id = insert_on_edge(doc, stack, edge, kind)
    node = doc.nodes[node_id]
    assert node.params == LAYER_SPECS[kind].initial_params()
    missing = [i for i in analyze(doc).issues if i.node == node_id and i.code == "missing_param"]
    assert not missing, missing


def test_given_params_win_over_the_initial_ones():
    doc, edge = _chain()
    node_id = insert_on_edge(doc, UndoStack(), edge, "Dropout", {"rate": 0.1})
    assert doc.nodes[node_id].params["rate"] == 0.1
