"""A residual block whose branch convolutions shrink it (padding='valid'): the fix that
pads them 'same' is offered first, names them, leaves other layers alone and is one
undoable step; where strides do not allow it, it is not offered."""

from __future__ import annotations

import keras
import pytest

from kerascanvas.graph.commands import UndoStack
from kerascanvas.graph.document import Edge
from kerascanvas.graph.fixes import apply_fix, fix_label
from kerascanvas.graph.projectfile import dumps
from kerascanvas.graph.validate import analyze
from kerascanvas.runtime.build import build_model

from .fix_cases import chain, merge, residual_valid_case
from .test_fixes import assert_shapes_match_keras

FIX = "set_branch_padding_same"


def merge_issue(doc, out):
    return next(i for i in analyze(doc).issues if i.node == out)


@pytest.mark.parametrize("kind", ["Add", "Concatenate"])
def test_the_branch_convs_are_offered_first_by_name_and_set_in_one_step(kind):
    doc, out, model = residual_valid_case(kind)
    doc.outputs = [out]
    issue = merge_issue(doc, out)
    assert issue.fixes[0] == FIX and "insert_padding" in issue.fixes
    names = [doc.nodes[n].name for n in issue.data["nodes"].split(",")]
    assert names == ["conv2d_1", "conv2d_3"]  # not the 1x1 conv, whose size 'same' keeps
    assert fix_label(FIX, issue) == "Set padding='same' on conv2d_1, conv2d_3"
    text, stack = dumps(doc), UndoStack()
    apply_fix(doc, issue, FIX, stack)
    assert doc.find("conv2d_2").params.get("padding", "valid") == "valid"
    after = analyze(doc)
    assert after.errors == []
    assert_shapes_match_keras(doc, after)
    assert build_model(doc).count_params() == model.count_params()
    stack.undo()
    assert dumps(doc) == text


def test_not_offered_when_a_stride_keeps_the_branch_smaller():
    doc, ids = chain(("Input", {"shape": [8, 8, 4]}))
    _, branch = chain(("Conv2D", {"filters": 4, "kernel_size": [3, 3], "strides": [2, 2]}),
                      doc=doc)
    doc.connect(Edge(ids[0], 0, branch[0], 0))
    out = merge(doc, "Add", [branch[0], ids[0]])
    issue = merge_issue(doc, out)
    assert issue.fixes and FIX not in issue.fixes


def test_keras_refuses_the_unfixed_block():
    """The mistake is real: Keras cannot build the block as drawn."""
    x = keras.Input((8, 8, 1))
    with pytest.raises(ValueError):
        keras.layers.Add()([keras.layers.Conv2D(1, 3)(x), x])
