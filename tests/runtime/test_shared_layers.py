"""Shared layers: imported as one node plus SharedCall nodes, rebuilt as one layer object."""

from __future__ import annotations

import pytest

keras = pytest.importorskip("keras")

from kerascanvas.codegen import CodegenError, generate  # noqa: E402
from kerascanvas.graph.validate import analyze  # noqa: E402
from kerascanvas.runtime.build import build_model  # noqa: E402
from kerascanvas.runtime.importer import import_model  # noqa: E402
from tests.codegen.test_execute import layer_configs, run_code  # noqa: E402


def shared_embedding():
    """One Embedding applied to two token inputs, then pooled and merged."""
    first = keras.Input((5,), dtype="int32", name="first")
    second = keras.Input((7,), dtype="int32", name="second")
    embed = keras.layers.Embedding(50, 4, name="embed")
    pool = keras.layers.GlobalAveragePooling1D(name="pool")
    merged = keras.layers.Concatenate(name="cat")([pool(embed(first)), pool(embed(second))])
    return keras.Model([first, second], keras.layers.Dense(2, name="out")(merged))


def shared_dense():
    """A Dense (and a generic layer) shared across two branches of one input."""
    x = keras.Input((6,), name="x")
    dense = keras.layers.Dense(6, activation="relu", name="dense")
    generic = keras.layers.Identity(name="same")
    left = generic(dense(keras.layers.Dropout(0.1, name="drop")(x)))
    right = generic(dense(keras.layers.Dense(6, name="pre")(x)))
    return keras.Model(x, keras.layers.Add(name="add")([left, right]))


MODELS = {"embedding": shared_embedding, "dense": shared_dense}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_shared_layer_is_one_node_and_the_model_comes_back(name):
    keras.backend.clear_session(free_memory=False)
    model = MODELS[name]()
    doc = import_model(model)
    kinds = [n.kind for n in doc.nodes.values()]
    assert kinds.count("SharedCall") == sum(len(la._inbound_nodes) - 1 for la in model.layers)
    analysis = analyze(doc)
    assert analysis.valid, analysis.issues
    assert sum(analysis.total_params) == model.count_params()
    originals = layer_configs(model)
    for style in ("functional", "subclass"):
        keras.backend.clear_session(free_memory=False)
        rebuilt = run_code(generate(doc, style=style), f"{name}_{style}")
        assert rebuilt.count_params() == model.count_params(), style
        assert layer_configs(rebuilt) == originals, style
    keras.backend.clear_session(free_memory=False)
    built = build_model(doc)
    assert built.count_params() == model.count_params()
    assert layer_configs(built) == originals


def test_functional_code_names_the_layer_once_and_calls_it_twice():
    doc = import_model(shared_embedding())
    source = generate(doc)
    assert source.count("layers.Embedding(") == 1
    assert "embed = embed_layer(first)" in source
    assert "embed_call1 = embed_layer(second)" in source
    subclass = generate(doc, style="subclass")
    assert subclass.count("layers.Embedding(") == 1
    assert subclass.count("self.embed(") == 2

    x = keras.Input((4,), name="x")
    dense = keras.layers.Dense(4, name="dense")
    chain = import_model(keras.Model(x, dense(dense(x))))  # a chain, but one layer twice
    with pytest.raises(CodegenError, match="shared weights"):
        generate(chain, style="sequential")


def test_built_model_shares_the_weights():
    doc = import_model(shared_embedding())
    model = build_model(doc)
    embed = model.get_layer("embed")
    tokens = [keras.ops.ones((1, 5), dtype="int32"), keras.ops.ones((1, 7), dtype="int32")]
    before = keras.ops.convert_to_numpy(model(tokens))
    embed.embeddings.assign(keras.ops.zeros_like(embed.embeddings))
    after = keras.ops.convert_to_numpy(model(tokens))
    assert (before != after).any()  # both branches read the one (now zero) table
    assert len(model.layers) == len(set(id(la) for la in model.layers))
