"""One-click fixes: each turns a broken graph into a valid one whose shapes match Keras."""

from __future__ import annotations

import pytest

from kerascanvas.graph.commands import UndoStack
from kerascanvas.graph.diagnose import diagnose_shape_error
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.fixes import FIXES, apply_fix, expand_block, fix_label
from kerascanvas.graph.projectfile import dumps
from kerascanvas.graph.spec import get_spec
from kerascanvas.graph.validate import analyze
from kerascanvas.runtime.build import build_model

from .fix_cases import CASES, batch_axis_case, chain, layout_case, merge


def test_every_fix_has_a_case():
    from kerascanvas.graph.data_fixes import DATA_FIXES
    from kerascanvas.graph.scale_fix import SCALE_FIXES

    # The fixes of a run's data findings need data: tests/runtime/test_data_fixes.py and
    # tests/runtime/test_input_scale.py; those of settings change no shape:
    # tests/graph/test_rate_check.py, tests/graph/test_value_fix.py.
    settings = {"use_default_rate", "use_typed_value"}
    assert set(FIXES) - set(DATA_FIXES) - set(SCALE_FIXES) - settings == \
        {name.split("-")[0] for name in CASES}


def assert_shapes_match_keras(doc, analysis):
    """Build the fixed graph with Keras: every layer's output shape is the one we show."""
    model = build_model(doc)
    for node in doc.nodes.values():
        if node.kind == "Input" or node.spec.is_block or node.id not in analysis.results:
            continue
        shown = analysis.results[node.id].output_shapes
        made = model.get_layer(node.name).output
        made = made if isinstance(made, list | tuple) else [made]
        assert [tuple(t.shape) for t in made] == shown, node.name
    assert sum(analysis.total_params) == model.count_params()


@pytest.mark.parametrize("name", sorted(CASES))
def test_fix_makes_graph_match_keras(name):
    code = name.split("-")[0]
    doc, out, model = CASES[name]()
    if out is not None:
        doc.outputs = [out]
    before = analyze(doc)
    issue = next(i for i in before.issues if code in i.fixes)
    stack = UndoStack()
    text = dumps(doc)
    apply_fix(doc, issue, code, stack)
    after = analyze(doc)
    assert after.errors == [], after.errors
    final = doc.outputs[0]
    assert after.results[final].output_shapes[0] == tuple(model.outputs[0].shape)
    assert sum(after.total_params) == model.count_params()
    assert [i for i in after.issues if code in i.fixes] == []
    assert_shapes_match_keras(doc, after)
    stack.undo()
    assert dumps(doc) == text


def test_fix_offered_only_when_it_passes():
    spec = get_spec("Add")
    shapes = [(None, 8, 8, 8), (None, 7, 5, 3)]  # no 1x1 stride maps 5 onto 8
    from kerascanvas.graph.errors import ShapeError

    found = diagnose_shape_error("add", spec, {}, shapes, ShapeError("mismatch", port=1))
    assert "insert_projection" not in found.fixes
    assert found.message.startswith("'add' (Add), input port in_1: ")


def test_expand_block_matches_block_and_undoes():
    doc, ids = chain(("Input", {"shape": [16, 16, 8]}),
                     ("ResidualBlock", {"filters": 16, "stride": 2, "use_projection": True}),
                     ("GlobalAveragePooling2D", {}))
    doc.outputs = [ids[-1]]
    before = analyze(doc)
    text, stack = dumps(doc), UndoStack()
    new = expand_block(doc, ids[1], stack)
    after = analyze(doc)
    assert after.errors == []
    assert ids[1] not in doc.nodes and len(new) > 5
    assert after.results[ids[-1]].output_shapes == before.results[ids[-1]].output_shapes
    assert after.total_params == before.total_params
    assert all(doc.nodes[n].name.startswith("residual_block_") for n in new)
    stack.undo()
    assert dumps(doc) == text


def test_binary_loss_fix_sets_only_that_outputs_loss():
    """A one-unit sigmoid head under sparse cross-entropy (always 0) gets binary
    cross-entropy; the other output keeps its loss, and Keras compiles the result."""
    from kerascanvas.graph.training import resolve_training

    doc = Document()
    x = doc.add_node("Input", "x", {"shape": [6]}).id
    yes = doc.add_node("Dense", "is_cat", {"units": 1, "activation": "sigmoid"}).id
    kind = doc.add_node("Dense", "kind", {"units": 3, "activation": "softmax"}).id
    for node in (yes, kind):
        doc.connect(Edge(x, 0, node, 0))
    doc.outputs = [yes, kind]
    doc.training = {"loss": "sparse_categorical_crossentropy"}
    issue = next(i for i in analyze(doc).issues if "use_binary_loss" in i.fixes)
    assert issue.node == yes
    apply_fix(doc, issue, "use_binary_loss", UndoStack())
    loss = resolve_training(doc)["loss"]
    assert loss == {"is_cat": "binary_crossentropy", "kind": "sparse_categorical_crossentropy"}
    model = build_model(doc)
    model.compile(optimizer="adam", loss=loss)
    import numpy as np

    data = np.random.default_rng(0).normal(size=(8, 6)).astype("float32")
    labels = {"is_cat": np.ones((8, 1), "float32"), "kind": np.zeros((8,), "int32")}
    assert np.isfinite(model.evaluate(data, labels, verbose=0)).all()
    assert not [i for i in analyze(doc).issues if i.code == "loss_mismatch"]


def test_a_batch_axis_or_a_layout_is_offered_before_the_layers_that_would_hide_it():
    """Input(shape=(32, 28, 28, 1)) into a Conv2D: dropping the batch axis comes first,
    before a Reshape; a channels-first Conv2D on a channels-last image is offered the
    layout, not 'same' padding (which would make a (4, 28, 1) image of it)."""
    doc, conv, _ = batch_axis_case((32, 28, 28, 1))
    doc.outputs = [conv]
    (issue,) = analyze(doc).issues
    assert issue.fixes[0] == "drop_batch_axis" and issue.port == 0
    doc, conv, _ = CASES["add_channel_axis"]()  # grey images typed as (28, 28)
    doc.outputs = [conv]
    (issue,) = analyze(doc).issues
    assert issue.fixes[:2] == ("add_channel_axis", "use_rank_kind") and issue.port == 0
    assert fix_label("add_channel_axis", issue, doc) == \
        "Make the Input (28, 28, 1)"
    doc, ids = chain(("Input", {"shape": [28, 28]}), ("Rescaling", {"scale": 0.5}),
                     ("Conv2D", {"filters": 2, "kernel_size": 3}))  # through a Rescaling
    doc.outputs = [ids[-1]]
    (issue,) = analyze(doc).issues
    assert issue.fixes[0] == "add_channel_axis"
    apply_fix(doc, issue, "add_channel_axis", UndoStack())
    assert doc.nodes[ids[0]].params["shape"] == [28, 28, 1] and analyze(doc).valid
    for shape, kind in (((28, 28, 3), "Conv3D"), ((100, 3), "Conv2D")):  # channels already
        doc, ids = chain(("Input", {"shape": list(shape)}),
                         (kind, {"filters": 2, "kernel_size": 1}))
        doc.outputs = [ids[-1]]
        (issue,) = analyze(doc).issues
        assert "add_channel_axis" not in issue.fixes, shape
    doc, conv, _ = layout_case((28, 28, 1), "channels_first", "channels_last")
    doc.outputs = [conv]
    (issue,) = analyze(doc).issues
    assert issue.fixes == ("set_channels_last",)


@pytest.mark.parametrize("shape, width, named", [
    ((16,), 8, "Dense(16)"), ((6, 6, 3), 8, "1x1 Conv2D(8)"), ((10, 2), 5, "1x1 Conv1D(5)")])
def test_the_projection_button_names_the_layer_it_inserts(shape, width, named):
    """The button said "Insert 1x1 projection" for vectors too, where a Dense goes in."""
    doc, ids = chain(("Input", {"shape": list(shape)}), ("Dense", {"units": width}))
    out = merge(doc, "Multiply", [ids[0], ids[1]])
    issue = next(i for i in analyze(doc).issues if "insert_projection" in i.fixes)
    assert fix_label("insert_projection", issue, doc) == f"Insert a {named} projection"
    apply_fix(doc, issue, "insert_projection", UndoStack())
    (added,) = [e.src for e in doc.in_edges(out) if e.src not in ids]
    node = doc.nodes[added]
    width = node.params.get("units", node.params.get("filters"))
    assert named.split(" ")[-1] == f"{node.kind}({width})"
