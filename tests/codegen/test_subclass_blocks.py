"""The subclass style writes every graph the functional style writes, blocks included.

A block is written out in the subclass style: its layers made in `__init__` (one
attribute each, named `<node>_<inner>`), wired in `call()`. For every example, every
built-in block kind and user blocks (one, several instances, several inputs and
outputs, nested, holding a built-in block, oddly named), the class builds, counts the
functional model's weights, has its layers (names and configs) and, with the functional
model's weights copied in layer by layer by name, computes its outputs (atol 1e-5).
Blocks the functional style's helpers refuse (a shared layer or an LSTM's states inside)
are held to the model the app builds instead.
"""

from __future__ import annotations

import ast

import keras
import numpy as np
import pytest

from kerascanvas.codegen import CodegenError, generate
from kerascanvas.graph.commands import UndoStack
from kerascanvas.graph.document import Document
from kerascanvas.graph.userblock_commands import make_block
from kerascanvas.runtime.build import build_model
from tests.codegen.helpers import BLOCK_CASES, EXAMPLES, add, add_input, block_doc, example
from tests.codegen.test_chains import _statements, _writes, assert_each_x_read_once_next
from tests.codegen.test_code_lint import ruff_problems
from tests.codegen.test_execute import layer_configs, run_code
from tests.codegen.test_userblocks_codegen import nested_two_inputs, two_instances
from tests.roundtrip import copy_weights, sample_inputs


def two_way() -> Document:
    """A block of two inputs and two outputs (a sum and a product of two projections);
    its second output is a model output itself."""
    doc = Document()
    a, b = add_input(doc, "a", (None, 6)), add_input(doc, "b", (None, 4))
    pa = add(doc, "Dense", "pa", {"units": 5}, [a])
    pb = add(doc, "Dense", "pb", {"units": 5, "activation": "tanh"}, [b])
    total = add(doc, "Add", "sum", {}, [pa, pb])
    product = add(doc, "Multiply", "prod", {}, [pa, pb])
    doc.outputs = [add(doc, "Dense", "head", {"units": 2}, [total]), product]
    make_block(doc, UndoStack(), [pa, pb, total, product], "two_way",
               {"units": (pa, "units")})
    return doc


def tied_twice() -> Document:
    """A block whose Dense is called twice (a SharedCall inside it), placed twice: each
    instance has a Dense of its own, called twice."""
    doc = Document()
    x = add_input(doc, "x", (None, 6))
    dense = add(doc, "Dense", "tied", {"units": 6, "activation": "relu"}, [x])
    again = add(doc, "SharedCall", "tied_again", {"layer": dense}, [dense])
    head = add(doc, "Dense", "head", {"units": 2}, [again])
    doc.outputs = [head]
    first = make_block(doc, UndoStack(), [dense, again], "tied_block", {})
    second = add(doc, "UserBlock", "second", {"block": "tied_block"}, [first.id])
    doc.disconnect(doc.in_edges(head)[0])
    doc.connect(type(doc.edges[0])(second, 0, head, 0))
    return doc


def tied_embeddings() -> Document:
    """A block of tied embeddings: a ReversibleEmbedding embeds the ids, a Dense mixes them
    and the same embedding, called again with reverse=True, projects back to the
    vocabulary (its own call keyword); the block placed twice, on two inputs."""
    doc = Document()
    ids = add(doc, "Input", "ids", {"shape": [7], "dtype": "int32"})
    emb = add(doc, "ReversibleEmbedding", "emb", {"input_dim": 20, "output_dim": 8}, [ids])
    mix = add(doc, "Dense", "mix", {"units": 8, "activation": "tanh"}, [emb])
    back = add(doc, "SharedCall", "emb_back", {"layer": emb, "reverse": True}, [mix])
    doc.outputs = [back]
    first = make_block(doc, UndoStack(), [emb, mix, back], "tied_lm", {})
    other = add(doc, "Input", "other", {"shape": [7], "dtype": "int32"})
    second = add(doc, "UserBlock", "second", {"block": "tied_lm"}, [other])
    doc.outputs = [first.id, second]
    return doc


def residual_inside() -> Document:
    """A user block holding a built-in block (a residual block) and a pooling layer,
    nested in another block with a head."""
    doc = Document()
    x = add_input(doc, "image", (None, 8, 8, 4))
    res = add(doc, "ResidualBlock", "res", {"filters": 4}, [x])
    pool = add(doc, "GlobalAveragePooling2D", "pool", {}, [res])
    dense = add(doc, "Dense", "dense", {"units": 3}, [pool])
    doc.outputs = [dense]
    stack = UndoStack()
    inner = make_block(doc, stack, [res, pool], "res_pool", {"filters": (res, "filters")})
    make_block(doc, stack, [inner.id, dense], "classifier", {})
    return doc


def lstm_states() -> Document:
    """A block whose LSTM gives its states too: its outputs are further ports."""
    doc = Document()
    x = add_input(doc, "seq", (None, 5, 3))
    lstm = add(doc, "LSTM", "lstm", {"units": 4, "return_state": True}, [x])
    state = add(doc, "Concatenate", "states", {}, [(lstm, 1), (lstm, 2)])
    doc.outputs = [add(doc, "Dense", "score", {"units": 1}, [lstm]), state]
    make_block(doc, UndoStack(), [lstm, state], "encoder", {})
    return doc


def hostile_names() -> Document:
    """A block's inner layers and instances named with quotes, backslashes, unicode and
    names the code itself uses."""
    doc = Document()
    x = add_input(doc, "x", (None, 4))
    first = add(doc, "Dense", "x'y\"z", {"units": 3}, [x])
    second = add(doc, "Dense", "名前", {"units": 3}, [first])
    third = add(doc, "Dense", "a\\b", {"units": 2}, [second])
    doc.outputs = [third]
    block = make_block(doc, UndoStack(), [first, second], "odd", {})
    doc.rename(block.id, "self")
    more = add(doc, "UserBlock", "'''", {"block": "odd"}, [block.id])
    doc.disconnect(doc.in_edges(third)[0])
    doc.connect(type(doc.edges[0])(more, 0, third, 0))
    return doc


USER_BLOCKS = {"two_instances": two_instances, "two_inputs_nested": nested_two_inputs,
               "two_way": two_way, "residual_inside": residual_inside,
               "hostile_names": hostile_names, "tied_twice": tied_twice,
               "tied_embeddings": tied_embeddings}
# blocks the functional style's helpers cannot write: the runtime's build is the reference
BEYOND_HELPERS = {"lstm_states": (lstm_states, "LSTM")}


def _built(source: str, label: str):
    keras.backend.clear_session(free_memory=False)
    keras.utils.set_random_seed(0)
    return run_code(source, label)


def _called(model, data):
    got = model(data[0] if len(data) == 1 else data, training=False)
    return [keras.ops.convert_to_numpy(t) for t in keras.tree.flatten(got)]


def assert_computes_like(reference, subclassed) -> None:
    """Same weight count, layers and, with the reference's weights, outputs (atol 1e-5)."""
    assert subclassed.count_params() == reference.count_params()
    assert layer_configs(subclassed) == layer_configs(reference)
    copy_weights(reference, subclassed)
    data = sample_inputs(reference)
    expected, got = _called(reference, data), _called(subclassed, data)
    assert len(got) == len(expected)
    for want, have in zip(expected, got, strict=True):
        np.testing.assert_allclose(have, want, rtol=1e-5, atol=1e-5)


def assert_subclass_like_functional(doc: Document, label: str) -> str:
    """The subclass code's model against the functional code's; the subclass code."""
    source = generate(doc, style="subclass")
    compile(source, f"<{label}>", "exec")
    reference = _built(generate(doc), f"{label}_functional")
    assert_computes_like(reference, _built(source, f"{label}_subclass"))
    return source


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_as_subclass_computes_the_functional_model(name):
    assert_subclass_like_functional(example(name), name)


@pytest.mark.parametrize("frozen", [False, True], ids=["trainable", "frozen"])
@pytest.mark.parametrize("case", BLOCK_CASES)
def test_every_block_kind_as_subclass_computes_the_functional_model(case, frozen):
    kind, params = BLOCK_CASES[case]
    doc = block_doc(kind, {**params, "trainable": not frozen})
    source = assert_subclass_like_functional(doc, case)
    assert_each_x_read_once_next(_statements(source, "call"))


@pytest.mark.parametrize("make", USER_BLOCKS.values(), ids=list(USER_BLOCKS))
def test_user_blocks_as_subclass_compute_the_functional_model(make, tmp_path):
    source = assert_subclass_like_functional(make(), make.__name__)
    assert_each_x_read_once_next(_statements(source, "call"))
    path = tmp_path / "model.py"
    path.write_text(source, encoding="utf-8")
    assert ruff_problems(path) == ""


@pytest.mark.parametrize("case", BEYOND_HELPERS)
def test_blocks_no_helper_can_write_build_the_model_the_app_builds(case):
    """A shared layer or a layer of several outputs inside a block: the functional style
    refuses (a helper would make a new layer at each use, or cannot give the ports yet);
    the subclass style writes the model the app builds."""
    make, kind = BEYOND_HELPERS[case]
    doc = make()
    with pytest.raises(CodegenError, match=kind):
        generate(doc)
    source = generate(doc, style="subclass")
    keras.backend.clear_session(free_memory=False)
    assert_computes_like(build_model(doc), _built(source, case))


@pytest.mark.parametrize("make", [tied_twice, tied_embeddings])
def test_a_shared_layer_inside_a_plain_block_is_one_layer_per_instance(make):
    """The functional style writes a plain block whose layer is called twice (it refused):
    the helper makes the layer once per call of the helper and calls it at each site with
    that site's own call keywords, as the app's build inlines each instance."""
    doc = make()
    source = generate(doc)
    assert source.count("_layer = layers.") == 1  # in the helper, once
    keras.backend.clear_session(free_memory=False)
    assert_computes_like(build_model(doc), _built(source, make.__name__))


def test_a_shared_layer_inside_a_block_is_one_attribute_per_instance():
    init = _statements(generate(tied_twice(), style="subclass"), "__init__")
    assert ast.unparse(ast.Module(init, [])).count("layers.Dense(") == 3  # and the head


def test_inner_layers_are_attributes_named_node_then_inner_name():
    source = generate(two_instances(), style="subclass")
    for name in ("conv_bn_conv", "conv_bn_bn", "second_conv", "second_relu"):
        assert f"self.{name} = layers." in source
        assert f"name='{name}'" in source
    assert "def conv_bn(" not in source  # no helper: it would make new layers at each call


@pytest.mark.parametrize("make", [two_instances, residual_inside,
                                  lambda: block_doc("TransitionLayer", {})],
                         ids=["user_blocks", "nested_with_residual", "transition"])
def test_a_chain_runs_through_the_blocks_in_call(make):
    """Each layer, in and across blocks, reads the one before it alone: all but the head
    and the return write `x`, as the functional style's helpers do."""
    statements = _statements(generate(make(), style="subclass"), "call")
    assert [_writes(s, "x") for s in statements] == [True] * (len(statements) - 2) + [
        False, False], ast.unparse(ast.Module(statements, []))


def test_a_model_output_inside_a_block_is_returned_in_order():
    source = generate(two_way(), style="subclass")
    returned = _statements(source, "call")[-1]
    assert ast.unparse(returned) == "return [head, two_way_prod]"


def test_dict_outputs_from_a_block_keep_their_keys():
    doc = two_way()
    doc.output_keys = dict(zip(doc.outputs, ["score", "mix"], strict=True))
    source = assert_subclass_like_functional(doc, "keyed")
    assert "return {'score': head, 'mix': two_way_prod}" in source
