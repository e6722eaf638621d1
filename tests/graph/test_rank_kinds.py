"""A layer of the wrong 1D/2D/3D variant (Conv1D on images) is offered the variant that
fits, "Change to Conv2D", first; the fix gives the shape Keras computes. Parametrized
over every family of the LayerSpec table."""

from __future__ import annotations

import keras
import pytest

from kerascanvas.graph import commands as cmd
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.fixes import apply_fix, fix_label
from kerascanvas.graph.rank_kinds import FIX, rank_variants
from kerascanvas.graph.spec import LAYER_SPECS, get_spec
from kerascanvas.graph.validate import analyze
from tests.keras_ref import call_layer, checked_eagerly, keras_layer, run_eagerly

CASES = [(kind, variant) for kind in sorted(LAYER_SPECS) for variant in rank_variants(kind)
         if LAYER_SPECS[variant].samples]


def _sample_shape(kind: str) -> tuple:
    """The input shape (batch left out) of the first one-input sample of `kind`."""
    for sample in get_spec(kind).samples:
        shapes = sample.inputs
        if len(shapes) == 1 and shapes[0][0] is None:
            return tuple(shapes[0][1:])
    pytest.skip(f"{kind} has no one-input sample with an unknown batch")


def _keras_shape(kind: str, params: dict, shape: tuple):
    """The output shape Keras gives `kind` with `params` on inputs of `shape`, or the
    error it raises."""
    spec = get_spec(kind)
    if checked_eagerly(spec):  # its symbolic build takes any rank; a call on arrays does not
        run_eagerly(spec, params, [(None, *shape)])
    return tuple(call_layer(spec, keras_layer(spec, params), [keras.Input(shape)], params).shape)


def test_the_families_are_the_1d_2d_3d_kinds():
    assert rank_variants("Conv1D") == ("Conv2D", "Conv3D")
    assert rank_variants("GlobalAveragePooling2D") == ("GlobalAveragePooling1D",
                                                       "GlobalAveragePooling3D")
    assert rank_variants("Conv2DTranspose") == ("Conv1DTranspose", "Conv3DTranspose")
    assert rank_variants("Dense") == rank_variants("Conv2DTranspose".lower()) == ()


@pytest.mark.parametrize(("kind", "variant"), CASES, ids=[f"{k}-on-{v}" for k, v in CASES])
def test_a_layer_on_the_input_of_another_variant_is_changed_to_one_that_fits(kind, variant):
    shape = _sample_shape(variant)
    doc = Document()
    x = doc.add_node("Input", "x", {"shape": list(shape)})
    node = doc.add_node(kind, "layer", get_spec(kind).initial_params())
    doc.connect(Edge(x.id, 0, node.id, 0))
    doc.set_outputs([node.id])
    try:
        _keras_shape(kind, dict(node.params), shape)
    except Exception:  # noqa: BLE001 - Keras refuses it: so must we, with the fix
        pass
    else:
        pytest.skip(f"Keras takes {kind} on {shape}")
    issues = [i for i in analyze(doc).issues if i.node == node.id and i.severity == "error"]
    assert issues, f"{kind} on {shape} is refused by Keras, not by validation"
    issue = issues[0]
    # first, or after dropping a batch axis or adding a channel axis where the Input feeds
    # it directly (its first dim may be a batch typed into the shape, its last may lack)
    fixes = issue.fixes[1:] if issue.fixes[0] in ("drop_batch_axis", "add_channel_axis") \
        else issue.fixes
    assert fixes[0] == FIX, issue
    fixed = issue.data["kind"]
    assert fixed in rank_variants(kind)
    assert fix_label(FIX, issue, doc) == f"Change to {fixed}"
    stack = cmd.UndoStack()
    apply_fix(doc, issue, FIX, stack)
    changed = doc.node(node.id)
    assert changed.kind == fixed and doc.in_edges(node.id)  # same node, still wired
    analysis = analyze(doc)
    assert not [i for i in analysis.issues if i.severity == "error"], analysis.issues
    got = analysis.results[node.id].output_shapes[0]
    assert tuple(got) == _keras_shape(fixed, dict(changed.params), shape)
    stack.undo()
    assert doc.node(node.id).kind == kind  # one undoable step
