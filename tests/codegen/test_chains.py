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
from kerascanvas.runtime.importer import import_model  # noqa: E402
from tests.codegen.helpers import EXAMPLES, example  # noqa: E402
from tests.codegen.test_code_lint import ruff_problems  # noqa: E402
from tests.roundtrip import assert_rebuild_equal, assert_subclass_rebuild_equal  # noqa: E402

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


def test_a_user_block_function_call_gives_the_chain_variable():
    """A user block written as a function is called once, like a layer: its tensor is `x`
    for the next layer, and the code still builds the model the canvas builds."""
    from kerascanvas.graph.undo_stack import UndoStack
    from kerascanvas.graph.userblock_commands import make_block
    from kerascanvas.runtime.build import build_model
    from tests.roundtrip import assert_rebuild_equal

    doc = example("mnist_cnn")
    ids = {node.name: nid for nid, node in doc.nodes.items()}
    make_block(doc, UndoStack(), [ids["conv1"], ids["pool1"]], "conv_pool",
               {"filters": (ids["conv1"], "filters")})
    code = generate(doc)
    statements = _statements(code, "build_model")
    assert "x = conv_pool(image, name='conv_pool')" in [ast.unparse(s) for s in statements]
    assert_each_x_read_once_next(statements)
    namespace: dict = {}
    exec(compile(code, "model.py", "exec"), namespace)  # noqa: S102
    assert_rebuild_equal(build_model(doc), namespace["build_model"]())
