"""A chain of layers is written `x = layers.Conv2D(...)(x)`, as Keras' own model code is,
and runs of layers repeated alike are one function called per run (functional style).

Only a tensor read once, by the next statement, is `x`; the others keep their names. On
keras.applications models (imported, weights=None) the code passes ruff and rebuilds
Keras' model: every layer's get_config, count_params and the outputs with its weights.
"""

from __future__ import annotations

import ast

import pytest

keras = pytest.importorskip("keras")

from kerascanvas.codegen import generate  # noqa: E402
from kerascanvas.graph.commands import UndoStack  # noqa: E402
from kerascanvas.graph.document import Document  # noqa: E402
from kerascanvas.graph.userblock_commands import make_block  # noqa: E402
from kerascanvas.runtime.build import build_model  # noqa: E402
from kerascanvas.runtime.importer import import_model  # noqa: E402
from tests.codegen.helpers import EXAMPLES, add, add_input, example  # noqa: E402
from tests.codegen.test_code_lint import ruff_problems  # noqa: E402
from tests.roundtrip import (  # noqa: E402
    assert_rebuild_equal,
    assert_subclass_rebuild_equal,
)

APPLICATIONS = {
    "ResNet50": lambda: keras.applications.ResNet50(weights=None, input_shape=(64, 64, 3),
                                                    classes=5),
    "MobileNetV2": lambda: keras.applications.MobileNetV2(weights=None, alpha=0.35,
                                                          input_shape=(64, 64, 3), classes=5),
    "DenseNet121": lambda: keras.applications.DenseNet121(weights=None,
                                                          input_shape=(64, 64, 3), classes=5),
}


def _statements(code: str, function: str) -> list[ast.stmt]:
    """The statements of `function` (a def at any depth of the module)."""
    return next(n for n in ast.walk(ast.parse(code))
                if isinstance(n, ast.FunctionDef) and n.name == function).body


def _reads(statement: ast.stmt, name: str) -> int:
    return sum(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)
               for n in ast.walk(statement))


def _writes(statement: ast.stmt, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store)
               for n in ast.walk(statement))


def assert_each_x_read_once_next(statements: list[ast.stmt]) -> None:
    """Each value given to `x` is read by the next statement, once, and never after."""
    for i, statement in enumerate(statements):
        if not _writes(statement, "x"):
            continue
        assert _reads(statements[i + 1], "x") == 1, ast.unparse(statements[i + 1])
        for later in statements[i + 2:]:  # up to x's next value
            if _writes(statements[i + 1], "x") or _writes(later, "x"):
                break
            assert _reads(later, "x") == 0, ast.unparse(statement)


def run_functions(code: str) -> list[str]:
    """The functions taking a run's input and its layers' name prefix (then the values
    that differ among the runs)."""
    return [n.name for n in ast.parse(code).body if isinstance(n, ast.FunctionDef)
            and [a.arg for a in n.args.args][:2] == ["x", "prefix"]]


def assert_each_run_function_called_twice_or_more(code: str) -> None:
    for function in run_functions(code):
        assert code.count(f" = {function}(") >= 2, function


def test_mobilenet_blocks_differing_in_filters_share_a_function():
    """MobileNetV2's expand-depthwise-project runs differ in their filters by stage: those
    are arguments, so most of its 16 blocks are calls of a few functions."""
    model = APPLICATIONS["MobileNetV2"]()
    code = generate(import_model(model), model_name=model.name)
    blocks = sum(layer.name.endswith("_project_BN") for layer in model.layers) - 1  # block 0
    functions = run_functions(code)
    assert blocks == 16 and 0 < len(functions) <= 3
    assert sum(code.count(f" = {f}(") for f in functions) > blocks / 2
    for function in functions:
        assert f"def {function}(x, prefix, expand_filters, project_filters" in code


def test_densenet_conv_blocks_are_one_function_called_per_block():
    """DenseNet121's 58 conv blocks (one per `*_concat` layer Keras made) are one call each."""
    model = APPLICATIONS["DenseNet121"]()
    code = generate(import_model(model), model_name=model.name)
    blocks = sum(layer.name.endswith("_concat") for layer in model.layers)
    assert "conv_block" in run_functions(code)
    assert code.count(" = conv_block(") == blocks == 58


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_examples_chain_variable_is_read_once_by_the_next_statement(name):
    code = generate(example(name))
    assert_each_x_read_once_next(_statements(code, "build_model"))
    subclass = generate(example(name), style="subclass")
    assert_each_x_read_once_next(_statements(subclass, "call"))


@pytest.mark.parametrize("style", ["functional", "subclass"])
@pytest.mark.parametrize("name", APPLICATIONS)
def test_a_large_application_is_chained_and_rebuilds_keras_model(name, style, tmp_path):
    model = APPLICATIONS[name]()
    # a subclassed model named with a dot ('mobilenetv2_0.35_64') fails to build on torch
    code = generate(import_model(model), style=style, model_name=model.name.replace(".", "_"))
    path = tmp_path / "model.py"
    path.write_text(code, encoding="utf-8")
    assert ruff_problems(path) == ""
    statements = _statements(code, "build_model" if style == "functional" else "call")
    assert_each_x_read_once_next(statements)
    if style == "functional":  # runs of layers repeated alike are calls
        assert run_functions(code)
        assert_each_run_function_called_twice_or_more(code)
    else:
        assert sum(_writes(s, "x") for s in statements) > len(model.layers) / 3
    namespace: dict = {}
    exec(compile(code, str(path), "exec"), namespace)  # noqa: S102
    rebuilt = namespace["build_model"]()
    if style == "functional":
        assert_rebuild_equal(model, rebuilt)
    else:
        assert_subclass_rebuild_equal(model, rebuilt)


@pytest.mark.parametrize(("name", "function"), [("small_resnet", "residual_block"),
                                                ("inception_net", "inception_module")])
def test_a_block_call_takes_and_gives_the_chain_variable(name, function):
    """The functional style calls a block's function once on its input, as a layer is
    called, so a chain runs through it: `x = residual_block(x, ...)`."""
    calls = [ast.unparse(s) for s in _statements(generate(example(name)), "build_model")
             if f"{function}(" in ast.unparse(s)]
    assert len(calls) >= 2
    assert all(call.startswith(f"x = {function}(x, ") for call in calls), calls



def _conv_pool_block():
    """mnist_cnn with conv1 and pool1 made one user block `conv_pool`."""
    doc = example("mnist_cnn")
    ids = {node.name: nid for nid, node in doc.nodes.items()}
    make_block(doc, UndoStack(), [ids["conv1"], ids["pool1"]], "conv_pool",
               {"filters": (ids["conv1"], "filters")})
    return doc, "conv_pool", ["x = conv_pool(image, name='conv_pool')"]


def _residual_block():
    """Dense, Dense and an Add of the block's input: the input is read again at the end."""
    doc = Document()
    image = add_input(doc, "image", (None, 6))
    first = add(doc, "Dense", "first", {"units": 6}, [image])
    second = add(doc, "Dense", "second", {"units": 6}, [first])
    total = add(doc, "Add", "total", {}, [image, second])
    head = add(doc, "Dense", "head", {"units": 2}, [total])
    doc.outputs = [head]
    make_block(doc, UndoStack(), [first, second, total], "skip")
    return doc, "skip", ["x = skip(image, name='skip')"]


@pytest.mark.parametrize("make", [_conv_pool_block, _residual_block])
def test_a_user_block_function_chains_x_and_builds_the_canvas_model(make):
    """A user block written as a function is called once, like a layer, so its tensor is
    `x` for the next layer; inside it, a run of layers is `x` too, but never while the
    block's input `x` is still to be read (a shortcut). The model is the canvas'."""
    doc, function, calls = make()
    code = generate(doc)
    model_lines = [ast.unparse(s) for s in _statements(code, "build_model")]
    assert all(call in model_lines for call in calls), model_lines
    assert_each_x_read_once_next(_statements(code, "build_model"))
    assert_each_x_read_once_next(_statements(code, function))
    namespace: dict = {}
    exec(compile(code, "model.py", "exec"), namespace)  # noqa: S102
    assert_rebuild_equal(build_model(doc), namespace["build_model"]())


def test_a_user_block_run_of_layers_is_x_in_its_function():
    code = generate(_conv_pool_block()[0])
    body = [ast.unparse(s) for s in _statements(code, "conv_pool")]
    assert body[2].startswith("x = layers.Conv2D(") and body[2].endswith("(x)")
    assert body[3].endswith("(x)")
