"""Tied embeddings: one ReversibleEmbedding embeds the ids and, called again with
reverse=True, projects back to the vocabulary with the same weights. The call site is a
SharedCall node holding its own value of the owner's call keyword `reverse`."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys

import keras
import pytest

from kerascanvas.codegen import generate
from kerascanvas.graph.document import Edge
from kerascanvas.graph.projectfile import dumps, loads, save
from kerascanvas.graph.validate import analyze
from kerascanvas.runtime.build import build_model
from kerascanvas.runtime.importer import import_model, import_model_report
from tests.codegen.test_execute import run_code
from tests.roundtrip import assert_same_outputs, assert_shapes_match_keras
from tests.runtime.test_build import graph


def tied_model():
    t = keras.Input((8,), dtype="int32", name="tokens")
    emb = keras.layers.ReversibleEmbedding(100, 16, name="emb")
    x = emb(t)
    x = keras.layers.Dense(16, name="mix")(x)
    return keras.Model(t, emb(x, reverse=True))


def _named(doc, name):
    return next(n for n in doc.nodes.values() if n.name == name)


def _call_site(doc):
    [node] = [n for n in doc.nodes.values() if n.kind == "SharedCall"]
    return node


def test_tied_model_imports_as_one_owner_and_a_reverse_call_site():
    keras.backend.clear_session(free_memory=False)
    model = tied_model()
    report = import_model_report(model)
    doc = report.doc
    assert report.generic == {}
    assert [n.kind for n in doc.nodes.values()] == [
        "Input", "ReversibleEmbedding", "Dense", "SharedCall"]
    owner = doc.nodes[_call_site(doc).params["layer"]]
    assert owner.name == "emb" and "reverse" not in owner.params
    assert _call_site(doc).params == {"layer": owner.id, "reverse": True}
    assert_shapes_match_keras(doc, model)
    analysis = analyze(doc)
    assert sum(analysis.total_params) == model.count_params()
    assert analysis.results[_call_site(doc).id].count == (0, 0)
    assert loads(dumps(doc)).nodes[_call_site(doc).id].params["reverse"] is True


def test_build_and_generated_code_give_keras_outputs():
    keras.backend.clear_session(free_memory=False)
    model = tied_model()
    doc = import_model(model)
    functional, subclass = generate(doc), generate(doc, style="subclass")
    assert "emb_call1 = emb_layer(x, reverse=True)" in functional, functional
    assert re.search(r"= self\.emb\(\w+, reverse=True\)", subclass), subclass
    for label, rebuilt in (("build", lambda: build_model(doc)),
                           ("functional", lambda: run_code(functional, "tied_f")),
                           ("subclass", lambda: run_code(subclass, "tied_s"))):
        keras.backend.clear_session(free_memory=False)
        made = rebuilt()
        assert made.count_params() == model.count_params(), label
        assert_same_outputs(model, made)


def test_an_owner_called_only_in_reverse_matches_keras():
    keras.backend.clear_session(free_memory=False)
    x = keras.Input((5, 6), name="vectors")
    model = keras.Model(x, keras.layers.ReversibleEmbedding(30, 6, name="emb")(
        x, reverse=True))
    doc = import_model(model)
    assert _named(doc, "emb").params["reverse"] is True
    assert_shapes_match_keras(doc, model)
    assert "name='emb')(vectors, reverse=True)" in generate(doc)
    assert_same_outputs(model, build_model(doc))


def _canvas_tied(reverse=True, width=16):
    """The tied model placed by hand: the call site names its owner and its own keyword."""
    doc = graph([("tokens", "Input", {"shape": [8], "dtype": "int32"}),
                 ("emb", "ReversibleEmbedding", {"input_dim": 100, "output_dim": 16}),
                 ("mix", "Dense", {"units": width})], [("tokens", "emb"), ("emb", "mix")],
                ["mix"])
    params = {"layer": _named(doc, "emb").id}
    if reverse is not None:
        params["reverse"] = reverse
    site = doc.add_node("SharedCall", name="logits", params=params)
    doc.connect(Edge(_named(doc, "mix").id, 0, site.id, 0))
    doc.set_outputs([site.id])
    return doc


def test_a_call_site_placed_by_hand_has_its_own_keyword():
    analysis = analyze(_canvas_tied())
    assert analysis.valid, analysis.errors
    site = _named(_canvas_tied(), "logits")
    assert analysis.results[site.id].output_shapes == [(None, 8, 100)]
    # Without a value of its own it is called the owner's way (files written before).
    old = analyze(_canvas_tied(reverse=None))
    assert old.results[site.id].params["reverse"] is False
    assert old.results[site.id].output_shapes == [(None, 8, 16, 16)]  # embedded again


def test_a_bad_reverse_input_names_the_node_and_port():
    analysis = analyze(_canvas_tied(width=12))
    site = _named(_canvas_tied(width=12), "logits")
    [issue] = [i for i in analysis.errors if i.node == site.id]
    assert issue.port == 0
    assert "'logits'" in issue.message and "input 0" in issue.message
    assert "output_dim=16" in issue.message and "12" in issue.message


def test_a_bad_stored_value_is_refused_with_its_field():
    analysis = analyze(_canvas_tied(reverse="sideways"))
    site = _named(_canvas_tied(), "logits")
    [issue] = [i for i in analysis.errors if i.node == site.id]
    assert "reverse" in issue.message and "sideways" in issue.message


@pytest.mark.slow  # another process trains, checks or exports: 5-8 s
def test_tied_model_trains_one_epoch_from_the_command_line(tmp_path):
    doc = _canvas_tied()
    doc.training = {"loss": "sparse_categorical_crossentropy", "epochs": 1,
                    "batch_size": 16}
    path = tmp_path / "tied.json"
    save(doc, path)
    done = subprocess.run(
        [sys.executable, "-m", "kerascanvas.app", "run", str(path), "--data", "synthetic:64",
         "--epochs", "1", "--no-progress", "--threads", "1"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "KERAS_BACKEND": "torch"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "epoch 1" in done.stdout, done.stdout[-2000:]
    loss = float(re.search(r"loss\s+([-\d.naife]+)", done.stdout).group(1))
    assert math.isfinite(loss), done.stdout


def test_a_shared_attention_layer_keeps_each_calls_keywords():
    keras.backend.clear_session(free_memory=False)
    x = keras.Input((6, 8), name="x")
    mha = keras.layers.MultiHeadAttention(2, 4, name="mha")
    first = mha(x, x)
    model = keras.Model(x, mha(first, first, use_causal_mask=True))
    report = import_model_report(model)
    assert report.generic == {}
    site = _call_site(report.doc)
    assert site.params == {"layer": _named(report.doc, "mha").id,
                           "use_causal_mask": True}
    assert_shapes_match_keras(report.doc, model)
    for label, source in (("f", generate(report.doc)),
                          ("s", generate(report.doc, style="subclass"))):
        keras.backend.clear_session(free_memory=False)
        assert_same_outputs(model, run_code(source, f"mha_{label}"))
    keras.backend.clear_session(free_memory=False)
    assert_same_outputs(model, build_model(report.doc))


def test_tied_layers_made_into_a_block_keep_the_reverse_call():
    from kerascanvas.graph.commands import UndoStack
    from kerascanvas.graph.userblock_commands import make_block

    doc = _canvas_tied()
    ids = [_named(doc, name).id for name in ("emb", "mix", "logits")]
    block = make_block(doc, UndoStack(), ids, "tied_lm")
    analysis = analyze(doc)
    assert analysis.valid, analysis.errors
    assert analysis.results[block.id].output_shapes == [(None, 8, 100)]
    keras.backend.clear_session(free_memory=False)
    built = build_model(doc)
    assert built.output.shape == (None, 8, 100)
    assert built.count_params() == 100 * 16 + 16 * 16 + 16
