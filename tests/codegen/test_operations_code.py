"""Operation nodes without keras: validation, the code each style writes, and refusals
(a Sequential item, a shared operation, an index key that is code)."""

from __future__ import annotations

import pytest

from kerascanvas.codegen import generate
from kerascanvas.codegen.errors import CodegenError
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.layers.shared import KIND as SHARED_CALL
from kerascanvas.graph.validate import analyze
from tests.codegen.helpers import EXAMPLES, example, long_named_doc


def chain(*nodes):
    """Input x (4, 6) -> each (kind, params) in turn; the last is the output."""
    doc = Document()
    last = doc.add_node("Input", "x", {"shape": [4, 6]})
    for kind, params in nodes:
        node = doc.add_node(kind, params=params)
        doc.connect(Edge(last.id, 0, node.id, 0))
        last = node
    doc.set_outputs([last.id])
    return doc


def test_operations_are_written_as_keras_ops_calls_in_both_styles():
    doc = chain(("ops.get_item", {"key": ":, None, 1:3"}), ("ops.mean", {"axis": -1}),
                ("ops.multiply", {"constant": 0.5, "constant_first": True}))
    assert analyze(doc).valid
    assert analyze(doc).results[doc.outputs[0]].output_shapes == [(None, 1, 2)]
    code = generate(doc)
    # the chain's tensors are `x_1`, `x` being the Input's name (see codegen.chains)
    for line in ("x_1 = named_op(x[:, None, 1:3], 'get_item')",
                 "x_1 = named_op(keras.ops.mean(x_1, axis=-1), 'mean')",
                 "multiply = named_op(keras.ops.multiply(0.5, x_1), 'multiply')"):
        assert line in code
    assert code.count("def named_op(") == 1
    body = generate(doc, style="subclass")
    assert "named_op" not in body  # a subclassed model's operations make no config
    assert "multiply = keras.ops.multiply(0.5, x_1)" in body
    assert "self.mean" not in body  # an operation is no attribute: it has no state


def test_the_sequential_style_refuses_an_operation():
    with pytest.raises(CodegenError, match="operation"):
        generate(chain(("Dense", {"units": 3}), ("ops.square", {})), style="sequential")


def test_an_operation_cannot_be_shared():
    doc = chain(("ops.square", {}))
    square = doc.nodes[doc.outputs[0]]
    site = doc.add_node(SHARED_CALL, "square_call1", {"layer": square.id})
    doc.connect(Edge(square.id, 0, site.id, 0))
    doc.set_outputs([site.id])
    assert any(i.node == site.id and "no layer object" in i.message
               for i in analyze(doc).errors)


@pytest.mark.parametrize("key", ["__import__('os').system('x')", "0]; print(1); x[0",
                                 "len(x)"])
def test_an_index_key_that_is_code_is_an_error_on_the_key(key):
    doc = chain(("ops.get_item", {"key": key}))
    errors = analyze(doc).errors
    assert errors and errors[0].node == doc.outputs[0] and "key" in errors[0].message
    with pytest.raises(CodegenError):
        generate(doc)


def test_the_naming_helper_leaves_a_tensor_without_keras_history_alone():
    """Written into every module whose model has an operation: it must never be what breaks
    the code (an eager tensor, or a Keras without the history attribute, keeps its name)."""
    from kerascanvas.codegen.operations import NAMER, NAMER_SOURCE

    scope: dict = {}
    exec(compile(NAMER_SOURCE, "<namer>", "exec"), scope)  # noqa: S102 - our own source
    plain = [1.0, 2.0]
    assert scope[NAMER](plain, "split") is plain


def test_kernels_images_and_several_outputs_are_written_as_keras_ops_calls():
    """A convolution by a kernel tensor, a submodule's function (keras.ops.image), nested
    lists (pad_width), and the outputs of top_k and unstack unpacked in order; each line
    within the limit in both styles, and channels_last, keras.ops' configured default as
    a layer's, left out as a layer's is."""
    from kerascanvas.codegen.literals import LINE_LIMIT
    from tests.codegen.helpers import operations_doc

    doc = operations_doc()
    rows = doc.outputs[-1]
    assert analyze(doc).valid
    assert analyze(doc).results[rows].output_shapes == [(None, 6, 2)] * 6
    code = generate(doc)
    for line in ("x = named_op(keras.ops.conv(image, kernel, padding='same'), 'conv')",
                 "x = named_op(keras.ops.image.resize(x, size=(4, 4)), 'resize')",
                 "x = named_op(keras.ops.max_pool(x, pool_size=1), 'pool')",
                 "x = named_op(keras.ops.pad(x, pad_width=[[0, 0], [1, 1], [1, 1], "
                 "[0, 0]]), 'pad')",
                 "top_k, top_k_out1 = named_op(keras.ops.top_k(x, k=2), 'top_k')",
                 "keras.ops.unstack(top_k, num=6, axis=1)"):
        assert line in code, line
    subclass = generate(doc, style="subclass")
    assert "top_k, top_k_out1 = keras.ops.top_k(x, k=2)\n" in subclass  # it fits
    assert "rows_out5 = keras.ops.unstack(\n            top_k, num=6, axis=1\n" in subclass
    for text in (code, subclass):
        assert "data_format" not in text
        assert max(len(line) for line in text.splitlines()) <= LINE_LIMIT
    assert doc.add_node("ops.image.resize", params={"size": [4, 4]}).name == "resize_1"


def test_a_channels_first_operation_keeps_its_data_format():
    doc = chain(("ops.average_pool", {"pool_size": 2, "data_format": "channels_first"}))
    for style in ("functional", "subclass"):
        assert "data_format='channels_first'" in generate(doc, style=style)


def test_cast_outputs_of_a_split_wrap_under_mixed_precision():
    """An output operation is cast to float32 under mixed precision: each of unstack's
    outputs, the comprehension on lines of its own where one line would pass the limit."""
    from kerascanvas.codegen.literals import LINE_LIMIT
    from tests.codegen.helpers import operations_doc

    doc = operations_doc()
    doc.training = {"mixed_precision": "mixed_bfloat16"}
    code = generate(doc, style="subclass")
    assert ("rows_out5 = [\n            keras.ops.cast(t, 'float32')\n"
            "            for t in keras.ops.unstack(top_k, num=6, axis=1)\n        ]\n") in code
    assert max(len(line) for line in code.splitlines()) <= LINE_LIMIT
    compile(code, "<generated>", "exec")


def all_styles(doc: Document):
    """(style, precision, code) for each style and precision that applies to `doc`."""
    for precision in ("off", "mixed_float16"):
        doc.training = {**doc.training, "mixed_precision": precision}
        for style in ("functional", "subclass", "sequential"):
            try:
                yield style, precision, generate(doc, style=style)
            except CodegenError:  # a style that does not apply to this graph
                continue
        yield "script", precision, generate(doc, script=True)


@pytest.mark.parametrize("name", ["long_named", *EXAMPLES])
def test_every_generated_line_fits_the_limit(name):
    """Every example project and a long-named model, in each style and precision: each
    line within the limit (casts of several outputs, their targets, lists of tensors
    wrapped), and the code still compiles."""
    import ast

    from kerascanvas.codegen.literals import LINE_LIMIT

    doc = long_named_doc() if name == "long_named" else example(name)
    for style, precision, code in all_styles(doc):
        longest = max(code.splitlines(), key=len)
        assert len(longest) <= LINE_LIMIT, (style, precision, longest)
        ast.parse(code)
