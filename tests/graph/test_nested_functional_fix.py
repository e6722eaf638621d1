"""The one-click fix of a nested model its class refuses: it becomes Functional.

Keras' Sequential lists one layer per entry, so a block of several layers (a
ResidualBlock) has no place in it; `tests/graph/test_fixes.py` builds the fixed graph and
compares it with Keras' own (`fix_cases.sequential_block_case`)."""

from __future__ import annotations

import pytest

from kerascanvas.graph.commands import UndoStack
from kerascanvas.graph.fixes import apply_fix, fix_label
from kerascanvas.graph.nested import FUNCTIONAL_FIX
from kerascanvas.graph.validate import analyze
from kerascanvas.runtime.build import build_model

from .fix_cases import sequential_block_case


def case():
    doc, tower, model = sequential_block_case()
    doc.outputs = [tower]
    return doc, tower, model


def offered(doc):
    return [i for i in analyze(doc).errors if FUNCTIONAL_FIX in i.fixes]


@pytest.mark.parametrize("kind", ["Sequential", "sequential", None])
def test_offered_whatever_the_class_field_holds(kind):
    doc, tower, model = case()
    doc.blocks["tower"]["model"]["class"] = kind
    (issue,) = offered(doc)
    assert issue.node == tower and issue.data["block"] == "tower"
    assert fix_label(FUNCTIONAL_FIX) == "Make the nested model Functional"
    stack = UndoStack()
    apply_fix(doc, issue, FUNCTIONAL_FIX, stack)
    assert doc.blocks["tower"]["model"]["class"] == "Functional" and not analyze(doc).errors
    assert build_model(doc).count_params() == model.count_params()
    stack.undo()
    assert doc.blocks["tower"]["model"]["class"] == kind and offered(doc)


def test_not_offered_for_a_sequential_chain_of_single_layers():
    doc, _, _ = case()
    doc.blocks["tower"]["nodes"][0] = {"id": "r", "kind": "Conv2D", "name": "conv",
                                       "params": {"filters": 4, "kernel_size": [3, 3]}}
    assert not analyze(doc).errors and not offered(doc)
