"""Spare nodes with errors beside a working model: every style writes the model without
them, its header names them, and the code builds the model a document without them builds."""

from __future__ import annotations

import keras
import pytest

from kerascanvas.codegen import STYLES, CodegenError, generate
from kerascanvas.graph.document import Document
from kerascanvas.graph.validate import analyze
from kerascanvas.runtime import build
from tests.codegen.helpers import add, add_input
from tests.codegen.test_execute import layer_configs, run_code


def working_model() -> Document:
    """A chain (so every style applies): image -> conv -> flat -> out."""
    doc = Document()
    image = add_input(doc, "image", (None, 8, 8, 1))
    conv = add(doc, "Conv2D", "conv", {"filters": 4, "kernel_size": 3}, [image])
    flat = add(doc, "Flatten", "flat", {}, [conv])
    doc.set_outputs([add(doc, "Dense", "out", {"units": 10}, [flat])])
    return doc


def with_spare_errors() -> Document:
    """The working model and a half-wired experiment beside it, every node with an error."""
    doc = working_model()
    flat = doc.find("flat").id
    add(doc, "Dense", "wide", {"units": -3}, [flat])  # a bad value
    add(doc, "Conv2D", "probe", {"filters": 2, "kernel_size": 3}, [flat])  # rank 2 given
    add(doc, "UserBlock", "draft", {"block": "not_defined_yet"}, [flat])
    clash = add(doc, "Dense", "other", {"units": 2}, [flat])
    doc.nodes[clash].name = "conv"  # a name the model's conv has (a file may hold it)
    return doc


def fresh_build(make):
    keras.backend.clear_session(free_memory=False)
    keras.utils.set_random_seed(0)
    return make()


def test_the_spare_nodes_hold_errors_that_block_nothing():
    analysis = analyze(with_spare_errors())
    assert len(analysis.errors) >= 4 and analysis.valid


@pytest.mark.parametrize("style", list(STYLES))
@pytest.mark.parametrize("script", [False, True], ids=["module", "script"])
def test_code_builds_the_model_without_the_spare_nodes(style, script):
    doc, plain = with_spare_errors(), working_model()
    source = generate(doc, style=style, script=script)
    header = source.split("\n\n")[0].splitlines()
    said = " ".join(line.removeprefix("# ") for line in header)
    assert "'wide' (1 error), 'probe' (1 error), 'draft' (1 error), 'conv' (1 error). " \
           "Errors on them do not block code, training or export." in said
    assert max(len(line) for line in header) <= 100
    model = fresh_build(lambda: run_code(source, f"{style}_spare"))
    reference = fresh_build(lambda: run_code(generate(plain, style=style, script=script),
                                             f"{style}_plain"))
    assert layer_configs(model) == layer_configs(reference)
    assert model.count_params() == reference.count_params() == analyze(doc).total_params[0]
    body = source.split("\n\n", 1)[1]
    assert not {"wide", "probe", "draft", "not_defined_yet"} & set(body.replace("'", " ").split())


def test_the_trained_model_is_the_one_without_the_spare_nodes():
    """runtime.build (what training and export build) leaves them out as the code does."""
    doc, plain = with_spare_errors(), working_model()
    model = fresh_build(lambda: build.build_model(doc))
    reference = fresh_build(lambda: build.build_model(plain))
    assert model.get_config() == reference.get_config()
    assert model.count_params() == reference.count_params()


def test_a_model_without_spare_nodes_has_no_note():
    assert "Left out" not in generate(working_model())


def test_an_error_in_the_model_still_stops_the_code():
    doc = with_spare_errors()
    doc.set_param(doc.find("out").id, "units", 0)
    with pytest.raises(CodegenError, match=r"1 error\(s\).*\n  - out:"):
        generate(doc)
