"""One test per kind of issue: its code, node, port, and a message that repeats the values."""

from __future__ import annotations

import pytest

from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.validate import analyze


def make_doc(nodes, edges=(), outputs=(), training=None) -> Document:
    """A document whose node ids are the node names.

    nodes: (name, kind, params); edges: (src, dst, dst_port[, src_port]).
    """
    doc = Document()
    for name, kind, params in nodes:
        doc.add_node(kind, name, params, node_id=name)
    for e in edges:
        doc.connect(Edge(e[0], e[3] if len(e) > 3 else 0, e[1], e[2]))
    doc.set_outputs(list(outputs))
    if training is not None:
        doc.set_training(training)
    return doc


def only_issue(doc, code):
    """The single issue with `code`, after checking there is exactly one."""
    found = [i for i in analyze(doc).issues if i.code == code]
    assert len(found) == 1, [(i.code, i.message) for i in analyze(doc).issues]
    return found[0]


IMG = ("x", "Input", {"shape": [8, 8, 3]})
VEC = ("v", "Input", {"shape": [16]})


def test_valid_graph_has_no_issues():
    doc = make_doc([VEC, ("d", "Dense", {"units": 4})], [("v", "d", 0)], ["d"])
    result = analyze(doc)
    assert result.valid and result.issues == []
    assert result.results["d"].output_shapes == [(None, 4)]


# ---- ports ------------------------------------------------------------------
def test_unconnected_single_input():
    doc = make_doc([VEC, ("d", "Dense", {"units": 4})], outputs=["d"])
    issue = only_issue(doc, "unconnected_input")
    assert (issue.node, issue.port, issue.severity) == ("d", 0, "error")
    assert issue.message == "Input port in_0 of 'd' is not connected"


def test_gap_in_merge_ports():
    doc = make_doc([VEC, ("add", "Add", {})], [("v", "add", 0), ("v", "add", 2)], ["add"])
    issue = only_issue(doc, "unconnected_input")
    assert (issue.node, issue.port, issue.severity) == ("add", 1, "error")
    assert issue.message.startswith("Input port in_1 of 'add' is not connected, but in_2 is")
    assert analyze(doc).results["add"].output_shapes is None


def test_merge_with_one_input():
    doc = make_doc([VEC, ("add", "Add", {})], [("v", "add", 0)], ["add"])
    issue = only_issue(doc, "merge_one_input")
    assert (issue.node, issue.port, issue.fixes) == ("add", None, ("remove_node",))
    assert "Received 1 input" in issue.message


def test_port_beyond_max_inputs():
    doc = make_doc([VEC, ("d", "Dense", {"units": 4})], [("v", "d", 0)], ["d"])
    doc.edges.append(Edge("v", 0, "d", 3))  # connect() refuses it; a damaged doc may not
    issue = only_issue(doc, "extra_input")
    assert (issue.node, issue.port) == ("d", 3)
    assert "has 1 input port(s). Received a connection on port 3" in issue.message


def test_duplicate_port():
    doc = make_doc([VEC, ("d", "Dense", {"units": 4})], [("v", "d", 0)], ["d"])
    doc.edges.append(Edge("v", 0, "d", 0))
    issue = only_issue(doc, "duplicate_port")
    assert (issue.node, issue.port) == ("d", 0)
    assert "in_0 of 'd' has several connections" in issue.message


def test_nonexistent_source_port():
    doc = make_doc([VEC, ("d", "Dense", {"units": 4})], [("v", "d", 0, 2)], ["d"])
    issue = only_issue(doc, "bad_src_port")
    assert (issue.node, issue.port) == ("d", 0)
    assert "reads output 2 of 'v', which has 1 output(s)" in issue.message


def test_dangling_edge():
    doc = make_doc([VEC, ("d", "Dense", {"units": 4})], [("v", "d", 0)], ["d"])
    doc.edges.append(Edge("ghost", 0, "d", 1))
    issue = only_issue(doc, "dangling_edge")
    assert issue.node == "d" and "'ghost'" in issue.message


def test_cycle():
    nodes = [VEC, ("a", "Dense", {"units": 16}), ("b", "Dense", {"units": 16}),
             ("c", "Dense", {"units": 2})]
    doc = make_doc(nodes, [("v", "a", 0), ("a", "b", 0), ("b", "c", 0)], ["c"])
    doc.edges.append(Edge("b", 0, "a", 1))  # a <-> b; c is only downstream of the cycle
    issues = [i for i in analyze(doc).issues if i.code == "cycle"]
    assert sorted(i.node for i in issues) == ["a", "b"]
    assert all("is on a cycle" in i.message for i in issues)


# ---- document -------------------------------------------------------------
def test_no_input_and_no_outputs():
    doc = make_doc([])
    assert {i.code for i in analyze(doc).errors} == {"no_input", "no_outputs"}
    assert all(i.node is None for i in analyze(doc).issues)


def test_output_that_is_no_node():
    doc = make_doc([VEC], outputs=["v"])
    doc.outputs.append("ghost")
    issue = only_issue(doc, "bad_output")
    assert "'ghost'" in issue.message and issue.severity == "error"


def test_invalid_and_duplicate_names():
    doc = make_doc([VEC, ("a", "Dense", {"units": 4}), ("b", "Dense", {"units": 4})],
                   [("v", "a", 0), ("a", "b", 0)], ["b"])
    doc.nodes["a"].name = "x/y"
    issue = only_issue(doc, "invalid_name")
    assert issue.node == "a" and "name='x/y'" in issue.message
    doc.nodes["a"].name = "b"
    issue = only_issue(doc, "duplicate_name")
    assert issue.node == "b" and "'b' is used by two nodes" in issue.message


def test_block_layer_names_clash_with_a_node():
    doc = make_doc([IMG, ("res", "ResidualBlock", {"filters": 3}),
                    ("res_add", "Flatten", {})], [("x", "res", 0), ("res", "res_add", 0)],
                   ["res_add"])
    issue = only_issue(doc, "duplicate_name")
    assert issue.node == "res_add" and "'res_add'" in issue.message


# ---- params -----------------------------------------------------------------
def test_param_out_of_range():
    doc = make_doc([VEC, ("d", "Dense", {"units": -3})], [("v", "d", 0)], ["d"])
    issue = only_issue(doc, "bad_param")
    assert (issue.node, issue.port) == ("d", None)
    assert "units" in issue.message and "Received: units=-3" in issue.message


def test_param_of_wrong_type():
    doc = make_doc([VEC, ("d", "Dense", {"units": 4, "use_bias": "yes"})], [("v", "d", 0)],
                   ["d"])
    issue = only_issue(doc, "bad_param")
    assert "Received: use_bias='yes'" in issue.message


def test_unknown_and_missing_params():
    doc = make_doc([VEC, ("d", "Dense", {"units": 4})], [("v", "d", 0)], ["d"])
    doc.nodes["d"].params["unitz"] = 5
    issue = only_issue(doc, "unknown_param")
    assert "'unitz'" in issue.message and "unitz=5" in issue.message
    del doc.nodes["d"].params["unitz"], doc.nodes["d"].params["units"]
    assert "units" in only_issue(doc, "missing_param").message


def test_params_in_conflict():
    conv = ("c", "Conv2D", {"filters": 4, "kernel_size": 3, "strides": 2, "dilation_rate": 2})
    doc = make_doc([IMG, conv], [("x", "c", 0)], ["c"])
    issue = only_issue(doc, "param_conflict")
    assert "strides=(2, 2)" in issue.message and "dilation_rate=(2, 2)" in issue.message


# ---- shapes -----------------------------------------------------------------
def test_rank_2_consumer_fed_rank_4():
    doc = make_doc([IMG, ("r", "RepeatVector", {"n": 3})], [("x", "r", 0)], ["r"])
    issue = only_issue(doc, "rank_mismatch")
    assert (issue.node, issue.port, issue.severity) == ("r", 0, "error")
    assert issue.fixes == ("insert_flatten", "insert_gap2d")
    assert "(None, 8, 8, 3)" in issue.message and "rank 4" in issue.message


def test_add_with_different_channels():
    other = ("y", "Input", {"shape": [8, 8, 5]})
    doc = make_doc([IMG, other, ("add", "Add", {})], [("x", "add", 0), ("y", "add", 1)],
                   ["add"])
    issue = only_issue(doc, "channel_mismatch")
    assert issue.node == "add" and issue.fixes == ("insert_projection",)
    assert "(None, 8, 8, 3)" in issue.message and "(None, 8, 8, 5)" in issue.message
    assert "axis 3 differs (in_0 has 3, in_1 has 5)" in issue.message


def test_concatenate_with_different_spatial_size():
    other = ("y", "Input", {"shape": [7, 8, 5]})
    doc = make_doc([IMG, other, ("cat", "Concatenate", {})], [("x", "cat", 0), ("y", "cat", 1)],
                   ["cat"])
    issue = only_issue(doc, "concat_mismatch")
    assert issue.node == "cat" and issue.fixes == ("insert_cropping", "insert_padding",
                                                   "insert_flatten", "insert_gap2d")
    assert "axis 1 differs (in_0 has 8, in_1 has 7)" in issue.message
    assert "axis 3" not in issue.message.split("but")[-1]  # channels may differ


def test_downstream_of_an_error_has_no_shapes_and_no_issues():
    nodes = [VEC, ("bad", "Dense", {"units": 0}), ("d2", "Dense", {"units": 4}),
             ("d3", "Dense", {"units": 2})]
    doc = make_doc(nodes, [("v", "bad", 0), ("bad", "d2", 0), ("d2", "d3", 0)], ["d3"])
    result = analyze(doc)
    assert [i.node for i in result.issues] == ["bad"]
    assert result.results["d2"].output_shapes is None
    assert result.results["d3"].output_shapes is None and result.results["d3"].count == (0, 0)


def test_analyze_never_raises_on_a_broken_document():
    doc = make_doc([VEC, ("d", "Dense", {"units": 4})], [("v", "d", 0)], ["d"])
    doc.nodes["d"].params["units"] = {"nested": [1, 2]}
    doc.nodes["v"].params["shape"] = "oops"
    doc.edges.append(Edge("d", 7, "d", 9))
    doc.outputs.append(None)
    doc.training = {"optimizer": 5, "loss": {"nobody": "mse"}}
    assert not analyze(doc).valid


# ---- warnings ---------------------------------------------------------------
def test_unused_node():
    nodes = [VEC, ("d", "Dense", {"units": 4}), ("side", "Dense", {"units": 3})]
    doc = make_doc(nodes, [("v", "d", 0), ("v", "side", 0)], ["d"])
    issue = only_issue(doc, "unused_node")
    assert (issue.node, issue.severity, issue.fixes) == ("side", "warning", ("remove_node",))
    assert analyze(doc).valid


def test_dropout_as_output():
    doc = make_doc([VEC, ("drop", "Dropout", {"rate": 0.5})], [("v", "drop", 0)], ["drop"])
    issue = only_issue(doc, "dropout_output")
    assert issue.node == "drop" and issue.severity == "warning"


@pytest.mark.parametrize("units, activation, loss, expect", [
    (10, "softmax", "binary_crossentropy", "Received activation 'softmax'"),
    (10, "sigmoid", "sparse_categorical_crossentropy", "Received activation 'sigmoid'"),
    (1, None, "sparse_categorical_crossentropy", "Received 1 unit"),
    (1, "softmax", None, "softmax over a single unit"),
    (10, None, "categorical_crossentropy", "Received activation 'linear'"),
])
def test_output_activation_that_does_not_fit_the_loss(units, activation, loss, expect):
    dense = ("out", "Dense", {"units": units, "activation": activation})
    training = {"loss": loss} if loss else {}
    doc = make_doc([VEC, dense], [("v", "out", 0)], ["out"], training)
    issue = only_issue(doc, "loss_mismatch")
    assert issue.node == "out" and issue.severity == "warning" and expect in issue.message


@pytest.mark.parametrize("units, activation, loss", [
    (10, "softmax", "sparse_categorical_crossentropy"),
    (1, "sigmoid", "binary_crossentropy"),
    (3, None, "mean_squared_error"),
    (10, "softmax", None),
])
def test_fitting_output_activation_gives_no_warning(units, activation, loss):
    dense = ("out", "Dense", {"units": units, "activation": activation})
    doc = make_doc([VEC, dense], [("v", "out", 0)], ["out"], {"loss": loss} if loss else {})
    assert analyze(doc).issues == []


def test_dense_on_image_feeding_a_vector_consumer():
    nodes = [IMG, ("fc", "Dense", {"units": 4}), ("r", "RepeatVector", {"n": 2})]
    doc = make_doc(nodes, [("x", "fc", 0), ("fc", "r", 0)], ["r"])
    issue = only_issue(doc, "dense_on_image")
    assert (issue.node, issue.port, issue.severity) == ("fc", 0, "warning")
    assert issue.fixes == ("insert_flatten", "insert_gap2d")
    assert "(None, 8, 8, 3)" in issue.message
    assert only_issue(doc, "rank_mismatch").node == "r"


def test_dense_on_image_as_classifier_output():
    dense = ("fc", "Dense", {"units": 10, "activation": "softmax"})
    doc = make_doc([IMG, dense], [("x", "fc", 0)], ["fc"])
    assert only_issue(doc, "dense_on_image").node == "fc"
    regression = make_doc([IMG, ("fc", "Dense", {"units": 10})], [("x", "fc", 0)], ["fc"])
    assert analyze(regression).issues == []


def test_bad_training_settings_are_reported_not_raised():
    doc = make_doc([VEC, ("d", "Dense", {"units": 4})], [("v", "d", 0)], ["d"],
                   {"loss": {"nobody": "mse"}})
    issue = only_issue(doc, "bad_training")
    assert "'nobody'" in issue.message and issue.severity == "warning"


def test_sequence_layer_fed_rank_4_offers_only_the_fix_that_works():
    # Flatten or pooling would give rank 2, which LSTM refuses too; the image read as
    # a sequence of its rows (8 steps of 8 * 3 values) is what it takes
    # (tests/graph/test_fixes.py applies it and builds the result with Keras).
    doc = make_doc([IMG, ("lstm", "LSTM", {"units": 4})], [("x", "lstm", 0)], ["lstm"])
    issue = only_issue(doc, "rank_mismatch")
    assert (issue.node, issue.port, issue.fixes) == ("lstm", 0, ("insert_reshape",))
    assert "(None, 8, 8, 3)" in issue.message


def test_named_ports_in_messages():
    seq = ("s", "Input", {"shape": [5, 8]})
    mha = ("att", "MultiHeadAttention", {"num_heads": 2, "key_dim": 4})
    doc = make_doc([seq, mha], [("s", "att", 0), ("s", "att", 2)], ["att"])
    issue = only_issue(doc, "unconnected_input")
    assert (issue.node, issue.port) == ("att", 1)
    assert issue.message == "Input port value of 'att' is not connected"
    optional_key = make_doc([seq, mha], [("s", "att", 0), ("s", "att", 1)], ["att"])
    assert analyze(optional_key).valid


def test_state_outputs_can_be_read_by_port():
    seq = ("s", "Input", {"shape": [5, 8]})
    lstm = ("lstm", "LSTM", {"units": 6, "return_state": True})
    doc = make_doc([seq, lstm, ("d", "Dense", {"units": 2})], [("s", "lstm", 0),
                                                               ("lstm", "d", 0, 2)], ["d"])
    result = analyze(doc)
    assert result.valid and result.results["lstm"].output_shapes == [(None, 6)] * 3
    doc.set_param("lstm", "return_state", False)
    issue = only_issue(doc, "bad_src_port")
    assert "reads output 2 of 'lstm', which has 1 output(s)" in issue.message
