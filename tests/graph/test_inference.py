"""Shape inference against Keras, parameter totals against Keras, and incremental updates."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kerascanvas.graph import LAYER_SPECS, inference
from kerascanvas.graph.commands import (
    Connect,
    Disconnect,
    RemoveNode,
    RemoveNodes,
    Rename,
    SetParam,
    UndoStack,
)
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.project import Project
from kerascanvas.graph.shapes import fmt
from kerascanvas.graph.summary import format_summary, summary_rows
from kerascanvas.graph.validate import LiveAnalysis, analyze
from tests.graph.test_validate import make_doc

keras = pytest.importorskip("keras")
from tests.keras_ref import checked_eagerly, keras_output  # noqa: E402

SINGLE = [s for s in LAYER_SPECS.values()
          if s.max_inputs == 1 and not s.is_block and hasattr(keras.layers, s.kind)]
PROBE_SHAPES = [(None, 16), (None, 10, 16), (None, 8, 8, 3), (None, 2, 2, 3),
                (None, 6, 6, 6, 2)]


def input_node(name: str, shape) -> tuple:
    params = {"shape": list(shape[1:])}
    if shape[0] is not None:
        params["batch_size"] = shape[0]
    return (name, "Input", params)


def single_layer_doc(kind: str, params: dict, shapes) -> Document:
    names = [f"in{i}" for i in range(len(shapes))]
    nodes = [input_node(n, s) for n, s in zip(names, shapes, strict=True)]
    edges = [(n, "layer", i) for i, n in enumerate(names)]
    return make_doc([*nodes, ("layer", kind, dict(params))], edges, ["layer"])


def keras_verdict(spec, params, shapes):
    try:  # the analysis judges a model: Keras must build one of the layer
        return keras_output(spec, params, shapes, as_model=True)
    except Exception:  # noqa: BLE001 - Keras refusing is the verdict
        return None


# ---- one layer, through the whole analysis, against Keras -------------------
# Kinds checked by a run on arrays repeat test_specs_keras' costly cases here: slow.
@pytest.mark.parametrize("spec", [
    pytest.param(s, marks=[pytest.mark.slow] if checked_eagerly(s) else [])
    for s in LAYER_SPECS.values()
    if not s.is_block and s.kind != "Input" and hasattr(keras.layers, s.kind)],
    ids=lambda s: s.kind)
def test_samples_match_keras_through_analyze(spec):
    for sample in spec.samples:
        assert_same_verdict(spec, dict(sample.params), list(sample.inputs))


@pytest.mark.parametrize("spec", [
    pytest.param(s, marks=[pytest.mark.slow] if checked_eagerly(s) else []) for s in SINGLE],
    ids=lambda s: s.kind)
@pytest.mark.parametrize("shape", PROBE_SHAPES, ids=str)
def test_verdict_matches_keras_on_other_ranks(spec, shape):
    """Whatever Keras refuses at build time is an error here, and nothing else is."""
    assert_same_verdict(spec, dict(spec.samples[0].params), [shape])


def assert_same_verdict(spec, params, shapes):
    expected = keras_verdict(spec, params, shapes)
    result = analyze(single_layer_doc(spec.kind, params, shapes))
    layer = result.results["layer"]
    if expected is None:
        assert not result.valid, f"Keras refuses {spec.kind}{params} on {shapes}; we accept"
        assert any(i.node == "layer" and i.severity == "error" for i in result.issues)
    else:
        assert result.valid, result.errors
        assert (layer.output_shapes, layer.count) == (expected[0], expected[1])


# ---- whole graphs against Keras ---------------------------------------------
def _keras_mlp():
    x = keras.Input((20,))
    h = keras.layers.Dense(64, activation="relu")(x)
    h = keras.layers.Dropout(0.3)(h)
    return keras.Model(x, keras.layers.Dense(5, activation="softmax")(h))


def _doc_mlp():
    return make_doc([("x", "Input", {"shape": [20]}),
                     ("h", "Dense", {"units": 64, "activation": "relu"}),
                     ("drop", "Dropout", {"rate": 0.3}),
                     ("out", "Dense", {"units": 5, "activation": "softmax"})],
                    [("x", "h", 0), ("h", "drop", 0), ("drop", "out", 0)], ["out"])


def _keras_cnn():
    x = keras.Input((28, 28, 1))
    h = keras.layers.Conv2D(16, 3, activation="relu")(x)
    h = keras.layers.MaxPooling2D()(h)
    h = keras.layers.SeparableConv2D(24, 3, padding="same")(h)
    h = keras.layers.DepthwiseConv2D(3, use_bias=False)(h)
    h = keras.layers.Flatten()(h)
    return keras.Model(x, keras.layers.Dense(10)(h))


def _doc_cnn():
    nodes = [("x", "Input", {"shape": [28, 28, 1]}),
             ("c1", "Conv2D", {"filters": 16, "kernel_size": 3, "activation": "relu"}),
             ("p", "MaxPooling2D", {}),
             ("c2", "SeparableConv2D", {"filters": 24, "kernel_size": 3, "padding": "same"}),
             ("c3", "DepthwiseConv2D", {"kernel_size": 3, "use_bias": False}),
             ("f", "Flatten", {}), ("out", "Dense", {"units": 10})]
    chain = [n[0] for n in nodes]
    return make_doc(nodes, [(a, b, 0) for a, b in zip(chain, chain[1:], strict=False)], ["out"])


def _keras_branches():
    L = keras.layers
    x = keras.Input((16, 16, 8), name="x")
    a = L.Conv2D(8, 3, padding="same", name="a")(x)
    b = L.Conv2D(8, 1, name="b")(x)
    s = L.Add(name="s")([a, b, x])
    up = L.UpSampling2D(name="up")(L.AveragePooling2D(2, name="pool")(x))
    g = L.GlobalAveragePooling2D(name="g")(L.Concatenate(name="c")([s, up]))
    return keras.Model(x, [L.Dense(3, name="o1")(g), L.Dense(1, name="o2")(g)])


def _doc_branches():
    nodes = [("x", "Input", {"shape": [16, 16, 8]}),
             ("a", "Conv2D", {"filters": 8, "kernel_size": 3, "padding": "same"}),
             ("b", "Conv2D", {"filters": 8, "kernel_size": 1}), ("s", "Add", {}),
             ("pool", "AveragePooling2D", {"pool_size": 2}), ("up", "UpSampling2D", {}),
             ("c", "Concatenate", {}), ("g", "GlobalAveragePooling2D", {}),
             ("o1", "Dense", {"units": 3}), ("o2", "Dense", {"units": 1})]
    edges = [("x", "a", 0), ("x", "b", 0), ("a", "s", 0), ("b", "s", 1), ("x", "s", 2),
             ("x", "pool", 0), ("pool", "up", 0), ("s", "c", 0), ("up", "c", 1),
             ("c", "g", 0), ("g", "o1", 0), ("g", "o2", 0)]
    return make_doc(nodes, edges, ["o1", "o2"])


def _weights(ws) -> int:
    return sum(math.prod(w.shape) for w in ws)


@pytest.mark.parametrize("build_doc, build_keras", [
    (_doc_mlp, _keras_mlp), (_doc_cnn, _keras_cnn), (_doc_branches, _keras_branches)],
    ids=["mlp", "cnn", "branches"])
def test_parameter_totals_match_keras(build_doc, build_keras):
    result = analyze(build_doc())
    model = build_keras()
    assert result.valid, result.errors
    assert sum(result.total_params) == model.count_params()
    assert result.total_params == (_weights(model.trainable_weights),
                                   _weights(model.non_trainable_weights))
    outputs = [result.results[o].output_shapes[0] for o in build_doc().outputs]
    assert outputs == [tuple(t.shape) for t in model.outputs]


def test_batchnorm_split_matches_keras():
    if "BatchNormalization" not in LAYER_SPECS:
        pytest.skip("BatchNormalization is not in the table yet")
    doc = make_doc([("x", "Input", {"shape": [8, 8, 6]}), ("bn", "BatchNormalization", {}),
                    ("d", "Dense", {"units": 2})], [("x", "bn", 0), ("bn", "d", 0)], ["d"])
    x = keras.Input((8, 8, 6))
    model = keras.Model(x, keras.layers.Dense(2)(keras.layers.BatchNormalization()(x)))
    assert analyze(doc).total_params == (_weights(model.trainable_weights),
                                         _weights(model.non_trainable_weights))


# ---- incremental ---------------------------------------------------------------
def residual_chain(blocks: int) -> Document:
    """Input -> (conv -> conv -> add with the block input) * blocks -> pool -> dense."""
    nodes = [("x", "Input", {"shape": [16, 16, 8]})]
    edges, last = [], "x"
    for i in range(blocks):
        conv = {"filters": 8, "kernel_size": 3, "padding": "same"}
        nodes += [(f"a{i}", "Conv2D", dict(conv)), (f"b{i}", "Conv2D", dict(conv)),
                  (f"add{i}", "Add", {})]
        edges += [(last, f"a{i}", 0), (f"a{i}", f"b{i}", 0), (f"b{i}", f"add{i}", 0),
                  (last, f"add{i}", 1)]
        last = f"add{i}"
    nodes += [("gap", "GlobalAveragePooling2D", {}), ("out", "Dense", {"units": 3})]
    edges += [(last, "gap", 0), ("gap", "out", 0)]
    return make_doc(nodes, edges, ["out"])


@pytest.fixture
def counted(monkeypatch):
    """The ids of the nodes inferred, in order, while the fixture is active."""
    calls: list[str] = []
    original = inference.infer_node

    def counting(doc, node, edges, results):
        calls.append(node.id)
        return original(doc, node, edges, results)

    monkeypatch.setattr(inference, "infer_node", counting)
    return calls


def assert_same(live: LiveAnalysis, doc: Document):
    full = analyze(doc)
    assert live.analysis.results == full.results
    assert live.analysis.issues == full.issues


def test_param_edit_reinfers_only_downstream(counted):
    doc = residual_chain(6)
    live = LiveAnalysis(doc)
    _ = live.analysis
    assert len(counted) == len(doc.nodes)
    counted.clear()
    doc.set_param("a3", "filters", 16)  # changes a3's output, b3's count, not b3's output
    _ = live.analysis
    assert counted == ["a3", "b3"]
    assert set(counted) <= doc.downstream(["a3"])
    assert_same(live, doc)


def test_shape_change_propagates_to_the_end(counted):
    doc = residual_chain(4)
    live = LiveAnalysis(doc)
    _ = live.analysis
    counted.clear()
    doc.set_param("b2", "filters", 4)  # add2 now fails; everything after it loses shapes
    analysis = live.analysis
    assert set(counted) == doc.downstream(["b2"]) and len(counted) == len(set(counted))
    assert not analysis.valid and analysis.results["out"].output_shapes is None
    assert_same(live, doc)
    doc.set_param("b2", "filters", 8)
    assert_same(live, doc)
    assert live.analysis.valid


def test_bursts_are_analyzed_once(counted):
    doc = residual_chain(3)
    live = LiveAnalysis(doc)
    _ = live.analysis
    counted.clear()
    for value in (9, 10, 11, 8):
        doc.set_param("a0", "filters", value)
    _ = live.analysis
    assert counted.count("a0") == 1
    live.close()
    doc.set_param("a0", "filters", 12)
    assert live.analysis.results["a0"].output_shapes[0][-1] == 8  # no longer following


def test_undoing_a_delete_infers_no_node_again(counted):
    """The nodes come back as they were, fed as they were: their results are taken back."""
    doc = residual_chain(3)
    live, stack = LiveAnalysis(doc), UndoStack()
    stack.bulk = doc.events.bulk
    _ = live.analysis
    stack.push(RemoveNodes(doc, list(doc.nodes)))
    assert not live.analysis.results
    counted.clear()
    stack.undo()
    _ = live.analysis
    assert counted == [] and live.recomputed == []
    assert_same(live, doc)
    stack.redo()
    _ = live.analysis
    counted.clear()
    stack.undo()  # the same again: the redo's removal kept them
    _ = live.analysis
    assert counted == []
    assert_same(live, doc)


def test_nodes_back_with_other_inputs_or_params_are_inferred_again(counted):
    doc = make_doc([("x", "Input", {"shape": [4]}), ("d1", "Dense", {"units": 3}),
                    ("d2", "Dense", {"units": 2}), ("d3", "Dense", {"units": 6})],
                   [("x", "d1", 0), ("d1", "d2", 0), ("d2", "d3", 0)], ["d3"])
    live = LiveAnalysis(doc)
    _ = live.analysis
    with doc.events.bulk():
        removal = doc.remove_nodes(["d2", "d3"])
    _ = live.analysis
    doc.set_param("d1", "units", 5)  # d2 is fed (None, 5) now, not (None, 3)
    counted.clear()
    doc.restore(removal)
    assert live.analysis.results["d2"].input_shapes == [(None, 5)]
    assert counted == ["d1", "d2"]  # d3 is fed as it was: its result is taken back
    assert_same(live, doc)
    _ = live.analysis
    with doc.events.bulk():
        removal = doc.remove_nodes(["d2", "d3"])
    _ = live.analysis
    counted.clear()
    with doc.events.bulk():  # changed once back, before the analysis is read
        doc.restore(removal)
        doc.set_param("d2", "units", 7)
    assert live.analysis.results["d2"].output_shapes == [(None, 7)]
    assert counted == ["d2", "d3"]  # d3 is fed (None, 7) now
    assert_same(live, doc)
    with doc.events.bulk():  # changed in the edit that removes it: its result was older
        doc.set_param("d2", "units", 9)
        removal = doc.remove_nodes(["d2", "d3"])
    _ = live.analysis
    doc.restore(removal)
    assert live.analysis.results["d2"].output_shapes == [(None, 9)]
    assert_same(live, doc)


EDITS = st.lists(st.tuples(st.sampled_from(["param", "disconnect", "connect", "remove",
                                            "rename", "undo"]),
                           st.integers(0, 10_000), st.integers(1, 20)), max_size=12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EDITS)
def test_live_analysis_equals_full_analysis_after_any_edits(edits):
    doc = residual_chain(3)
    live, stack = LiveAnalysis(doc), UndoStack()
    for action, pick, value in edits:
        ids = list(doc.nodes)
        nid = ids[pick % len(ids)]
        try:
            if action == "param" and doc.nodes[nid].kind == "Conv2D":
                stack.push(SetParam(doc, nid, "filters", value))
            elif action == "disconnect" and doc.edges:
                stack.push(Disconnect(doc, doc.edges[pick % len(doc.edges)]))
            elif action == "connect":
                stack.push(Connect(doc, Edge(ids[value % len(ids)], 0, nid, pick % 3)))
            elif action == "remove":
                stack.push(RemoveNode(doc, nid))
            elif action == "rename":
                stack.push(Rename(doc, nid, f"renamed{value}"))
            elif action == "undo":
                stack.undo()
        except Exception:  # noqa: BLE001 - refused edits leave the document as it was
            pass
        assert_same(live, doc)


EXAMPLE_FILES = sorted((Path(__file__).parents[2] / "resources" / "examples").glob("*.json"))


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_example_totals_match_the_built_model(path):
    """Counts and output shapes equal those of the Keras model the runtime builds."""
    from kerascanvas.runtime import build

    doc = Project.open(path).doc
    result = analyze(doc)
    model = build.build_model(doc)
    assert result.total_params == (_weights(model.trainable_weights),
                                   _weights(model.non_trainable_weights))
    assert [result.results[o].output_shapes[port] for o, port in doc.output_refs()] == [
        tuple(t.shape) for t in model.outputs]


def test_summary_rows_match_keras_layer_by_layer():
    doc = _doc_branches()
    model = _keras_branches()
    rows = summary_rows(doc, analyze(doc))
    assert [r.name for r in rows][:1] == ["x"] and len(rows) == len(doc.nodes)
    for row in rows:
        layer = model.get_layer(row.name)
        assert row.params == layer.count_params(), row.name
        assert row.output_shapes == fmt(layer.output.shape), row.name
    text = format_summary(doc, analyze(doc))
    assert f"Total params: {model.count_params():,}" in text
    assert "s (Add)" in text and "a, b, x" in text
