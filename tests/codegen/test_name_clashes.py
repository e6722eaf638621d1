"""User names that the generated code itself uses: a block, a node or an input named
`load_data`, `model`, `keras`, `input`, `class`, `名前`... The code still compiles,
binds each top-level name once, and builds the model the app builds: the same layer
names, output shapes and parameter count, as Keras computes them for both models.
"""

from __future__ import annotations

import ast
import keyword

import keras
import numpy as np
import pytest

from kerascanvas.codegen import CodegenError, custom, generate
from kerascanvas.codegen.naming import GENERATED_NAMES, SCRIPT_NAMES
from kerascanvas.codegen.plan import make_plan
from kerascanvas.graph import userblock_commands as ubc
from kerascanvas.graph.commands import UndoStack
from kerascanvas.graph.document import Document
from kerascanvas.runtime import build
from tests.codegen.helpers import EXAMPLES, add, add_input, example

# Names of the generated script's helpers, constants and imports, builtins, keywords,
# names alike but for case or a trailing underscore, and names that are no identifier.
CLASHING = [
    "load_data", "model", "keras", "class", "名前", "weight_layers",
    "load_matching_weights", "history", "np", "main", "build_model", "input", "len",
    "layers", "packed", "make_optimizer", "INPUTS", "CanvasModel", "residual_block",
    "named_op", "x", "name", "None", "print", "Model", "model_", "model 1", "ｍｏｄｅｌ",
    "my-block",
]
# (style, script): every writer, and the training script around two of them
STYLES = [("functional", False), ("sequential", False), ("subclass", False),
          ("functional", True), ("subclass", True)]


def block_name_ok(name: str) -> bool:
    """Whether the app takes `name` as a block name (others are refused before codegen)."""
    return name.isascii() and name.isidentifier() and not keyword.iskeyword(name)


def _cases() -> list:
    return [pytest.param(name, role, id=f"{role}-{name}") for name in CLASHING
            for role in ("block", "node", "input") if role != "block" or block_name_ok(name)]


def clash_doc(name: str, role: str) -> Document:
    """input -> Dense -> ReLU -> Dense head, `name` being the input's, the first Dense's
    or the name of a block made of Dense and ReLU."""
    doc = Document()
    x = add_input(doc, name if role == "input" else "image", (None, 6))
    dense = add(doc, "Dense", name if role == "node" else "hidden", {"units": 4}, [x])
    relu = add(doc, "ReLU", "relu", {}, [dense])
    doc.outputs = [add(doc, "Dense", "head", {"units": 2}, [relu])]
    if role == "block":
        ubc.make_block(doc, UndoStack(), [dense, relu], name, {"units": (dense, "units")})
    return doc


def all_names_doc() -> Document:
    """Every clashing name at once: as inputs, as nodes of a chain and as blocks."""
    doc = Document()
    inputs = [add_input(doc, f"{name}", (None, 3)) for name in CLASHING]
    x = add(doc, "Concatenate", "joined", {}, inputs)
    for name in CLASHING:
        x = add(doc, "Dense", f"{name}_dense", {"units": 3}, [x])
    for name in filter(block_name_ok, CLASHING):
        relu = add(doc, "ReLU", f"{name}_relu", {}, [x])
        doc.outputs = [relu]
        x = ubc.make_block(doc, UndoStack(), [relu], name).id
    doc.outputs = [add(doc, "Dense", "head", {"units": 2}, [x])]
    return doc


def bindings(source: str) -> dict[str, set[str]]:
    """Top-level name -> what binds it: each def or class, each assignment, each import
    (one entry per module imported, so a repeated import counts once). A registration,
    `Name = register(...)(Name)`, rebinds the same object and is left out."""
    found: dict[str, set[str]] = {}
    for stmt in ast.parse(source).body:
        if isinstance(stmt, ast.FunctionDef | ast.ClassDef):
            found.setdefault(stmt.name, set()).add(f"line {stmt.lineno}")
        elif isinstance(stmt, ast.Import | ast.ImportFrom):
            for alias in stmt.names:
                bound = (alias.asname or alias.name).split(".")[0]
                module = getattr(stmt, "module", None)
                found.setdefault(bound, set()).add(f"{module}.{alias.name}")
        elif isinstance(stmt, ast.Assign) and not _registers(stmt):
            for target in stmt.targets:
                for node in ast.walk(target):
                    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                        found.setdefault(node.id, set()).add(f"line {stmt.lineno}")
    return found


def _registers(stmt: ast.Assign) -> bool:
    value = stmt.value
    return (len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
            and isinstance(value, ast.Call) and len(value.args) == 1
            and isinstance(value.args[0], ast.Name) and value.args[0].id == stmt.targets[0].id)


def assert_bound_once(source: str) -> None:
    twice = {name: where for name, where in bindings(source).items() if len(where) > 1}
    assert not twice, f"top-level names bound more than once: {twice}"


def layer_names(model) -> list[str]:
    return sorted(layer.name for layer in model.layers
                  if not isinstance(layer, keras.layers.InputLayer))


def output_shapes(model, reference) -> list[tuple]:
    """The shapes `model` gives for a batch of 2 zeros shaped as `reference`'s inputs."""
    batch = [np.zeros((2, *t.shape[1:]), "float32") for t in reference.inputs]
    out = model.predict(batch if len(batch) > 1 else batch[0], verbose=0)
    return [tuple(o.shape) for o in (out if isinstance(out, list | tuple) else [out])]


def built_model(source: str, tmp_path, monkeypatch):
    """`build_model()` of the source, run as a module in `tmp_path` (not as __main__)."""
    path = tmp_path / "generated.py"
    path.write_text(source, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "generated", "__file__": str(path)}
    exec(compile(source, str(path), "exec"), namespace)  # noqa: S102
    keras.backend.clear_session(free_memory=False)
    return namespace["build_model"]()


def assert_builds_the_apps_model(doc: Document, tmp_path, monkeypatch) -> int:
    """Each style that applies builds our runtime's model; returns how many applied."""
    keras.backend.clear_session(free_memory=False)
    reference = build.build_model(doc)
    expected = (layer_names(reference), output_shapes(reference, reference),
                reference.count_params())
    applied = 0
    for style, script in STYLES:
        try:
            source = generate(doc, style=style, script=script)
        except CodegenError as exc:  # a style that does not apply to this graph says so
            assert "style" in str(exc), exc
            continue
        assert_bound_once(source)
        model = built_model(source, tmp_path, monkeypatch)
        got = (layer_names(model), output_shapes(model, reference), model.count_params())
        assert got == expected, (style, script)
        applied += 1
    return applied


@pytest.mark.parametrize(("name", "role"), _cases())
def test_a_clashing_name_builds_the_apps_model_in_every_style(name, role, tmp_path,
                                                              monkeypatch):
    doc = clash_doc(name, role)
    applied = assert_builds_the_apps_model(doc, tmp_path, monkeypatch)
    # a Sequential model lists layers: it cannot hold a block of several
    assert applied == (len(STYLES) - 1 if role == "block" else len(STYLES))


def test_all_clashing_names_in_one_model(tmp_path, monkeypatch):
    doc = all_names_doc()
    assert assert_builds_the_apps_model(doc, tmp_path, monkeypatch) == len(STYLES) - 1
    source = generate(doc, script=True)
    helpers = make_plan(doc).helpers
    # readable where nothing clashes: a block named like nothing of ours keeps its name
    assert helpers["Model"] == "Model" and helpers["load_data"] == "load_data_"
    assert "name='名前_dense'" in source and "name='my-block_dense'" in source


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in CLASHING if block_name_ok(n)])
def test_a_script_with_a_clashing_block_trains(name, tmp_path, monkeypatch):
    from tests.codegen.test_script import run_script_here

    source = generate(clash_doc(name, "block"), script=True)
    run_script_here(tmp_path, monkeypatch, source, "--epochs", "1", "--data", "synthetic:16",
                    "--save", "out.keras")
    assert (tmp_path / "out.keras").exists()


def test_block_params_named_like_the_codes_names_become_other_arguments(tmp_path,
                                                                        monkeypatch):
    """A param `layers` would hide the layers module in its helper: it is `layers_`, and
    a param `layers_` is then `layers__`; a second instance passes both."""
    doc = Document()
    x = add_input(doc, "image", (None, 6))
    first = add(doc, "Dense", "first", {"units": 4}, [x])
    second = add(doc, "Dense", "second", {"units": 3}, [first])
    pool = add(doc, "Dense", "head", {"units": 2}, [second])
    doc.outputs = [pool]
    block = ubc.make_block(doc, UndoStack(), [first, second], "blk", {
        "layers": (first, "units"), "layers_": (second, "units"), "str": (first, "use_bias"),
        "units": (second, "activation")})
    again = add(doc, "UserBlock", "again", {"block": "blk", "layers": 5, "layers_": 7,
                                            "str": False, "units": "relu"}, [block.id])
    doc.disconnect(doc.in_edges(pool)[0])
    doc.connect(type(doc.edges[0])(again, 0, pool, 0))
    source = generate(doc)
    assert "def blk(x, layers_=4, layers__=3, str_=True, units=None, name=None):" in source
    assert ("x = blk(x, layers_=5, layers__=7, str_=False, units='relu', "
            "name='again')") in source
    assert assert_builds_the_apps_model(doc, tmp_path, monkeypatch) == len(STYLES) - 1


TOWER = {
    "nodes": [{"id": "h", "kind": "Dense", "name": "hidden", "params": {"units": 3}},
              {"id": "o", "kind": "Dense", "name": "embedding", "params": {"units": 2}}],
    "edges": [{"src": "h", "src_port": 0, "dst": "o", "dst_port": 0}],
    "inputs": [[{"node": "h", "port": 0}]],
    "output": {"node": "o", "port": 0},
    "params": {"keras": {"node": "h", "param": "units", "default": 3}},
    "model": {"class": "Sequential", "inputs": [{"name": "tower_in", "batch_shape": [None, 4]}]},
}


@pytest.mark.parametrize("shared", [False, True])
def test_a_nested_model_param_named_keras_is_an_argument_keras_(shared, tmp_path,
                                                                 monkeypatch):
    """A nested-model block (a helper making a Sequential) with a param `keras`, called
    once or made once and called twice (a siamese tower)."""
    doc = Document()
    doc.blocks["tower"] = dict(TOWER)
    a = add_input(doc, "a", (None, 4))
    tower = add(doc, "UserBlock", "tower", {"block": "tower", "keras": 5}, [a])
    if shared:
        b = add_input(doc, "b", (None, 4))
        again = add(doc, "SharedCall", "tower_call1", {"layer": tower}, [b])
        tower = add(doc, "Subtract", "diff", {}, [tower, again])
    doc.outputs = [add(doc, "Dense", "head", {"units": 2}, [tower])]
    source = generate(doc)
    assert "def make_tower(keras_=3, name='tower'):" in source
    assert "make_tower(keras_=5, name='tower')" in source
    assert assert_builds_the_apps_model(doc, tmp_path, monkeypatch) >= 3


LOSS_CODE = '''from keras import ops
import math


def halved(y_true, y_pred):
    return 0.5 * ops.mean(ops.square(y_true - y_pred), axis=-1) * math.pi
'''


def test_blocks_and_nodes_named_like_the_training_code_keep_clear_of_it(tmp_path,
                                                                        monkeypatch):
    doc = Document()
    x = add_input(doc, "ops", (None, 6))
    dense = add(doc, "Dense", "halved", {"units": 4}, [x])
    relu = add(doc, "ReLU", "math", {}, [dense])
    doc.outputs = [add(doc, "Dense", "head", {"units": 2}, [relu])]
    ubc.make_block(doc, UndoStack(), [relu], "math")
    ubc.make_block(doc, UndoStack(), [dense], "halved")
    doc.training = {"custom_code": LOSS_CODE, "loss": "halved"}
    # a spare CustomLayer, left out of the model, whose class is named like a layer
    doc.add_node("CustomLayer", "spare", {"class_name": "head", "source": "import json\n"})
    assert custom.user_names(doc) == {"halved", "ops", "math", "head", "json"}
    source = generate(doc, script=True)
    assert_bound_once(source)
    assert "def halved_(" in source and "def math_(" in source and "    head_ = " in source
    model = built_model(source, tmp_path, monkeypatch)
    assert model.count_params() == build.build_model(doc).count_params()


# Docs whose scripts use every optional part: fine-tuning, callbacks with the TensorBoard
# logger, class weights, a schedule, initial weights, mixed precision, torch DDP.
def _option_docs() -> list[Document]:
    from tests.codegen.test_script_finetune import transfer_doc

    mlp = example("mnist_mlp")
    mlp.training = {**(mlp.training or {}), "class_weight": "balanced",
                    "schedule": {"name": "cosine_decay"}, "mixed_precision": "mixed_bfloat16",
                    "callbacks": [{"name": "tensorboard"}, {"name": "early_stopping"}]}
    mlp.weights = {"source": "start.weights.h5"}
    return [transfer_doc(), mlp]


@pytest.mark.parametrize("distributed", [False, True])
def test_script_names_lists_every_name_a_script_defines(distributed):
    """naming.SCRIPT_NAMES (which variables and helpers avoid) holds every top-level name
    of the scripts besides those of the model and the user's blocks and code."""
    for doc in [example(name) for name in EXAMPLES] + _option_docs():
        try:
            source = generate(doc, script=True, distributed=distributed)
        except CodegenError:  # fine-tuning is not written for torchrun
            continue
        plan = make_plan(doc)
        own = SCRIPT_NAMES | GENERATED_NAMES | set(plan.helpers.values())
        unknown = set(bindings(source)) - own - custom.user_names(doc)
        assert not unknown, f"{doc.model_name}: add {sorted(unknown)} to naming.SCRIPT_NAMES"
        assert_bound_once(source)
