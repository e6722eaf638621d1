"""A layer name torch cannot build ('.') is an error on its node's name, with a rename fix.

Plain Keras on the torch backend: `keras.Model(x, keras.layers.Dense(3, name="a.b")(x))`
raises `KeyError: 'parameter name can\\'t contain "."'` (torch's register_parameter), while
'', 'a b' and 'a-b' build; '/' Keras itself refuses (`graph.names.name_problem`).
"""

from __future__ import annotations

import keras
import pytest

from kerascanvas.graph.commands import UndoStack
from kerascanvas.graph.fixes import FIX_LABELS, apply_fix
from kerascanvas.graph.names import torch_name_problem
from kerascanvas.graph.param_fixes import TORCH_NAME_FIX
from kerascanvas.graph.validate import analyze
from kerascanvas.runtime.build import build_model

from .test_validate import make_doc


def keras_dense(name: str) -> keras.Model:
    x = keras.Input((4,))
    return keras.Model(x, keras.layers.Dense(3, name=name)(x))


@pytest.mark.parametrize("name", ["a.b", ".", "block.1.dense", "", "a b", "a-b", "ü"])
def test_refused_exactly_where_keras_on_torch_fails(name):
    try:
        keras_dense(name)
        builds = True
    except KeyError as exc:
        assert 'contain "."' in exc.args[0]
        builds = False
    assert (torch_name_problem(name) is None) == builds


def dotted(*taken: str):
    nodes = [("v", "Input", {"shape": [4]}), ("d", "Dense", {"units": 3})]
    nodes += [(t, "Dense", {"units": 2}) for t in taken]
    doc = make_doc(nodes, [("v", "d", 0), *((t and "v", t, 0) for t in taken)],
                   ["d", *taken])
    doc.rename("d", "a.b")
    return doc


def torch_issues(doc):
    return [i for i in analyze(doc).issues if i.code == "torch_name"]


def test_the_error_is_on_the_node_and_its_name_field():
    (issue,) = torch_issues(dotted())
    assert issue.node == "d" and issue.severity == "error" and issue.data["field"] == "name"
    assert "'a.b' (Dense)" in issue.message and "Received: name='a.b'" in issue.message
    assert issue.fixes == (TORCH_NAME_FIX,) and FIX_LABELS[TORCH_NAME_FIX]


@pytest.mark.parametrize("taken, expected", [((), "a_b"), (("a_b",), "a_b_2"),
                                             (("a_b", "a_b_2"), "a_b_3")])
def test_the_fix_renames_uniquely_in_one_undo_step_and_builds_as_keras(taken, expected):
    doc = dotted(*taken)
    stack = UndoStack()
    apply_fix(doc, torch_issues(doc)[0], TORCH_NAME_FIX, stack)
    assert doc.nodes["d"].name == expected and not analyze(doc).errors
    model = build_model(doc)
    assert model.get_layer(expected).count_params() == keras_dense(expected).count_params()
    stack.undo()
    assert doc.nodes["d"].name == "a.b" and torch_issues(doc)


def test_a_weightless_layer_named_with_a_dot_is_left_alone():
    """Plain Keras on torch builds `ReLU(name="a.b")` and `Input(name="a.b")`: no weights
    are registered under those names."""
    x = keras.Input((4,), name="in.put")
    keras.Model(x, keras.layers.ReLU(name="a.b")(x))
    doc = make_doc([("v", "Input", {"shape": [4]}), ("r", "ReLU", {})], [("v", "r", 0)], ["r"])
    doc.rename("r", "a.b")
    doc.rename("v", "in.put")
    assert not analyze(doc).errors
    assert build_model(doc).count_params() == 0


def test_a_nested_model_named_with_a_dot_is_left_alone():
    """Plain Keras on torch builds a Functional model named 'a.b' nested in another (a
    Sequential one is built under Keras' default name, then named)."""
    from .fix_cases import sequential_block_case

    doc, tower, model = sequential_block_case()
    doc.outputs = [tower]
    doc.blocks["tower"]["model"]["class"] = "Functional"
    doc.rename(tower, "a.b")
    assert not analyze(doc).errors
    assert build_model(doc).count_params() == model.count_params()
