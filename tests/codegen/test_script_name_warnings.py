"""A CustomLayer class or a training-code function named like one of the generated code's
own top-level names (`graph.script_names`) is refused when code is generated: validation
warns of it as soon as the name is given, at the node (the block instance, for a class
inside a user block) or the code's field."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from kerascanvas.codegen import CodegenError, custom, generate
from kerascanvas.graph.commands import UndoStack
from kerascanvas.graph.document import Document
from kerascanvas.graph.script_names import GENERATED_NAMES, SCRIPT_NAMES
from kerascanvas.graph.userblock_commands import make_block
from kerascanvas.graph.validate import WARNING, analyze
from kerascanvas.runtime import custom_code, trust
from tests.codegen.helpers import add, add_input

# one of each kind: the script's functions and constants, the module's own names, a builtin
TAKEN = ["main", "evaluate", "load_data", "INPUTS", "build_model", "layers", "len"]


def mlp() -> Document:
    doc = Document()
    x = add_input(doc, "x", (None, 6))
    doc.outputs = [add(doc, "Dense", "head", {"units": 2}, [x])]
    return doc


def warnings(doc: Document) -> list:
    return [i for i in analyze(doc).issues if i.code == "script_name"]


def test_the_names_table_holds_the_script_names():
    assert {"main", "evaluate", "load_data", "INPUTS"} <= SCRIPT_NAMES
    assert {"build_model", "layers"} <= GENERATED_NAMES


@pytest.mark.parametrize("name", TAKEN)
def test_a_training_function_named_like_the_scripts_own_is_warned_of(name):
    doc = mlp()
    doc.training = {"custom_code": f"def {name}(y_true, y_pred):\n    return y_pred\n",
                    "loss": "mse"}
    found = warnings(doc)
    assert [(i.severity, i.node, i.data["field"]) for i in found] == [
        (WARNING, None, "training.custom_code")]
    assert f"function {name!r}" in found[0].message
    assert analyze(doc).valid  # the model is still built and trained here
    with pytest.raises(CodegenError, match=repr(name)):
        generate(doc, script=True)


@pytest.mark.parametrize("name", TAKEN)
def test_a_custom_layer_class_named_like_the_scripts_own_is_warned_of(name):
    doc = Document()
    x = add_input(doc, "x", (None, 6))
    mine = add(doc, "CustomLayer", "mine", {"class_name": name, "source": (
        f"import keras\n\nclass {name}(keras.layers.Layer):\n    def call(self, x):\n"
        "        return x\n")}, [x])
    doc.outputs = [add(doc, "Dense", "head", {"units": 2}, [mine])]
    found = warnings(doc)
    assert [(i.severity, i.node) for i in found] == [(WARNING, mine)]
    assert f"class_name {name!r}" in found[0].message and "'mine'" in found[0].message
    # code generation (here without the trust the whole script needs) refuses that class
    step = SimpleNamespace(spec=SimpleNamespace(kind="CustomLayer"), name="mine",
                           params=doc.nodes[mine].params)
    with pytest.raises(CodegenError, match=f"class name {name!r} is taken"):
        custom.used_classes([step])


def test_other_names_are_not_warned_of():
    doc = mlp()
    doc.training = {"custom_code": "def focal(y_true, y_pred):\n    return y_pred\n\n"
                                   "class Main:\n    pass\n", "loss": "mse"}
    doc.add_node("CustomLayer", "mine", {"class_name": "Twice", "source": "import json\n"})
    assert warnings(doc) == []


def block_of(name: str, nested: bool) -> tuple[Document, str]:
    """x -> a user block holding a CustomLayer of class `name` (within a second block when
    `nested`) -> Dense(2); and the id of the document's block instance."""
    doc = Document()
    x = add_input(doc, "x", (None, 6))
    mine = add(doc, "CustomLayer", "mine", {"class_name": name, "source": (
        f"import keras\n\nclass {name}(keras.layers.Layer):\n    def call(self, x):\n"
        "        return x * 2.0\n")}, [x])
    doc.outputs = [add(doc, "Dense", "head", {"units": 2}, [mine])]
    block = make_block(doc, UndoStack(), [mine], "inner")
    if nested:
        block = make_block(doc, UndoStack(), [block.id], "outer")
    return doc, block.id


@pytest.mark.parametrize("nested", [False, True])
@pytest.mark.parametrize("name", ["main", "evaluate", "build_model"])
def test_a_custom_layer_inside_a_user_block_named_like_the_scripts_own_is_warned_of(
        name, nested):
    """Validation saw the document's own CustomLayer nodes only: one inside a block passed
    unwarned, and only exporting code found the clash."""
    doc, instance = block_of(name, nested)
    trust.apply(doc, True)
    custom_code.resolve(doc)
    found = warnings(doc)
    assert [(i.severity, i.node) for i in found] == [(WARNING, instance)]
    assert f"CustomLayer 'inner.mine': class_name {name!r}" in found[0].message
    assert "code export and training scripts refuse it" in found[0].message
    assert "Rename the class in block 'inner'" in found[0].message
    assert analyze(doc).valid  # the model is still built here: the warning says what breaks
    with pytest.raises(CodegenError, match=f"'inner.mine': class name {name!r} is taken"):
        generate(doc, script=True)
    with pytest.raises(CodegenError, match=f"class name {name!r} is taken"):
        generate(doc)


def test_a_block_no_instance_uses_is_not_warned_of():
    """Code generation writes the blocks the model uses only, so an unused definition
    breaks nothing."""
    doc = mlp()
    doc.blocks = block_of("main", nested=False)[0].blocks
    assert warnings(doc) == []
    assert "class main(" not in generate(doc)
