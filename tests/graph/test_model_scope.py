"""Which errors block: those of the model's nodes and those pinned to no node; an error on a
node left out of the model (it leads to no model output) stays shown and blocks nothing."""

from __future__ import annotations

import pytest

from kerascanvas.graph.document import Edge
from kerascanvas.graph.model_scope import left_out_ids, model_node_ids
from kerascanvas.graph.summary import format_summary, left_out_text
from kerascanvas.graph.validate import analyze
from tests.graph.test_validate import make_doc

VEC = ("v", "Input", {"shape": [16]})
MODEL = [VEC, ("d", "Dense", {"units": 4})]
WIRED = [("v", "d", 0)]

# (label, extra nodes, extra edges): each adds spare nodes holding an error beside the model
SPARE_ERRORS = [
    ("bad param", [("spare", "Dense", {"units": -3})], [("v", "spare", 0)]),
    ("rank mismatch", [("spare", "Conv2D", {"filters": 2, "kernel_size": 3})],
     [("v", "spare", 0)]),
    ("unwired input", [("spare", "Dense", {"units": 2})], []),
    ("merge fed once, after the model", [("spare", "Add", {})], [("d", "spare", 0)]),
    ("error downstream of an error", [("bad", "Dense", {"units": 0}),
                                      ("spare", "Concatenate", {})],
     [("v", "bad", 0), ("bad", "spare", 0), ("v", "spare", 1)]),
    ("user block with no definition", [("spare", "UserBlock", {"block": "missing"})],
     [("v", "spare", 0)]),
    ("name of a model node", [("dup", "Dense", {"units": 2})], [("v", "dup", 0)]),
]


def spare_doc(extra_nodes, extra_edges, outputs=("d",)):
    """The model with the spare nodes listed first, so that they take a name first."""
    doc = make_doc(extra_nodes + MODEL, WIRED + extra_edges, list(outputs))
    if "dup" in doc.nodes:
        doc.nodes["dup"].name = "d"  # as a file may hold it: two nodes named 'd'
    return doc


@pytest.mark.parametrize(("label", "nodes", "edges"), SPARE_ERRORS,
                         ids=[case[0] for case in SPARE_ERRORS])
def test_errors_on_nodes_left_out_block_nothing_but_stay_shown(label, nodes, edges):
    doc = spare_doc(nodes, edges)
    analysis = analyze(doc)
    spare = {n[0] for n in nodes}
    assert analysis.errors, label  # still an error, shown red on its node
    assert {i.node for i in analysis.errors} <= spare
    assert analysis.valid and analysis.blocking == []
    assert analysis.left_out_errors == analysis.errors
    assert set(analysis.left_out) == spare
    assert "do not block" in left_out_text(doc, analysis)


@pytest.mark.parametrize(("label", "nodes", "edges"), SPARE_ERRORS[:3],
                         ids=[case[0] for case in SPARE_ERRORS[:3]])
def test_the_same_error_on_a_model_node_blocks(label, nodes, edges):
    """Marking the spare node an output takes it into the model: its error blocks."""
    doc = spare_doc(nodes, edges, outputs=("d", "spare"))
    analysis = analyze(doc)
    assert not analysis.valid and analysis.left_out == []
    assert [i.node for i in analysis.blocking] == [i.node for i in analysis.errors]


def test_a_name_clash_with_a_model_node_is_the_spare_nodes_error():
    doc = spare_doc(*SPARE_ERRORS[-1][1:])
    (issue,) = analyze(doc).errors
    assert (issue.node, issue.code) == ("dup", "duplicate_name")
    doc.set_outputs(["d", "dup"])  # both in the model: the clash blocks
    assert not analyze(doc).valid


def test_an_unused_input_stays_in_the_model_and_its_error_blocks():
    """Keras keeps an Input that feeds no output as a model input (as the code does)."""
    doc = make_doc(MODEL + [("w", "Input", {"shape": [0]})], WIRED, ["d"])
    analysis = analyze(doc)
    assert "w" in model_node_ids(doc) and analysis.left_out == []
    assert [i.code for i in analysis.issues_for("w")] == ["bad_param", "unused_input"]
    assert [i.node for i in analysis.blocking] == ["w"]


def test_a_multi_output_node_feeding_a_spare_node_from_another_port():
    doc = make_doc([("v", "Input", {"shape": [5, 3]}),
                    ("lstm", "LSTM", {"units": 4, "return_state": True}),
                    ("d", "Dense", {"units": 2}),
                    ("spare", "Conv2D", {"filters": 2, "kernel_size": 3})],
                   [("v", "lstm", 0), ("lstm", "d", 0), ("lstm", "spare", 0, 2)], ["d"])
    analysis = analyze(doc)
    assert analysis.left_out == ["spare"] and analysis.valid
    doc.set_outputs(["d", "lstm:2"])  # an output on port 2 keeps its node, not the spare one
    assert analyze(doc).left_out == ["spare"]


def test_the_owner_of_a_shared_layer_called_in_the_model_is_part_of_it():
    """The call site builds the owner's layer: the owner (and what feeds it) is in the
    model although no output is reached from it, so its error blocks."""
    doc = make_doc([VEC, ("w", "Input", {"shape": [16]}), ("pre", "Dense", {"units": 16}),
                    ("emb", "Dense", {"units": 4}),
                    ("call", "SharedCall", {"layer": "emb"})],
                   [("w", "pre", 0), ("pre", "emb", 0), ("v", "call", 0)], ["call"])
    assert model_node_ids(doc) == {"v", "w", "pre", "emb", "call"}
    assert left_out_ids(doc) == []
    doc.set_param("pre", "units", -1)
    assert [i.node for i in analyze(doc).blocking][:1] == ["pre"]


def cycle_beside_the_model():
    doc = make_doc(MODEL + [("a", "Dense", {"units": 2}), ("b", "Dense", {"units": 2})],
                   WIRED + [("a", "b", 0)], ["d"])
    doc.connect(Edge("b", 0, "a", 0), check_cycle=False)
    return doc


def test_a_cycle_blocks_even_beside_the_model():
    """The document is no DAG: a cycle blocks wherever it is (the rule's fixed codes)."""
    analysis = analyze(cycle_beside_the_model())
    assert {i.code for i in analysis.blocking} == {"cycle"}
    assert set(analysis.left_out) == {"a", "b"}


def test_a_connection_to_a_missing_node_blocks_even_on_a_spare_node():
    """What the missing node fed is unknown, so whether it is in the model is too."""
    doc = spare_doc(*SPARE_ERRORS[0][1:])
    doc.edges.append(Edge("ghost", 0, "spare", 0))
    analysis = analyze(doc)
    assert "dangling_edge" in {i.code for i in analysis.blocking}


@pytest.mark.parametrize("change", ["no outputs", "setting keyword"])
def test_errors_pinned_to_no_node_block(change):
    doc = spare_doc(*SPARE_ERRORS[0][1:])
    if change == "no outputs":
        doc.set_outputs([])
    else:
        doc.set_training({"optimizer": {"name": "adam", "not a keyword": 1}})
    analysis = analyze(doc)
    assert not analysis.valid
    assert any(i.node is None for i in analysis.blocking)


def test_the_summary_counts_blocking_errors_apart_and_names_the_nodes_left_out():
    doc = spare_doc(*SPARE_ERRORS[1][1:])
    text = format_summary(doc, analyze(doc))
    assert "Issues (0 errors, 1 warning, 1 error on a node left out of the model, not blocking)" \
        in text
    assert "(left out of the model: does not block)" in text
    assert text.endswith("Left out of the model, as they lead to no model output: 'spare' "
                         "(1 error). Errors on them do not block code, training or export.")
