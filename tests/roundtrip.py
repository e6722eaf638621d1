"""Round-trip checks against Keras, shared by the tests and benchmarks/bench_roundtrip.py.

A Keras model is imported into a document, which is validated (our shapes equal Keras'
at every layer) and rebuilt, by the runtime build or by executing the generated code.
The rebuilt model must equal the original: `count_params`, the trainable and
non-trainable counts, each layer's class and `get_config()` by name (strictly, or with a
tuple equal to a list as in a saved model: see `as_saved`), the nesting
(`model.layers` at every depth) and the forward outputs once the original's weights are
copied in by layer name. Every check raises AssertionError with what differed.
"""

from __future__ import annotations

import math

import keras
import numpy as np

from kerascanvas.codegen import generate
from kerascanvas.graph.validate import analyze
from kerascanvas.runtime.build import build_model


def flat_operations(model, nested=False):
    """Every operation of a model, nested models opened up (their InputLayers left out)."""
    graph = getattr(model, "_functional", None) or model
    for op in graph.operations:
        if isinstance(op, keras.Model):
            yield from flat_operations(op, nested=True)
        elif not (nested and isinstance(op, keras.layers.InputLayer)):
            yield op


def nested_models(model):
    """Every model nested in `model`, at any depth."""
    graph = getattr(model, "_functional", None) or model
    for op in graph.operations:
        if isinstance(op, keras.Model):
            yield op
            yield from nested_models(op)


def exec_generated(doc, **kwargs):
    """The model that the generated code's build_model() returns."""
    namespace: dict = {}
    exec(compile(generate(doc, **kwargs), "<generated>", "exec"), namespace)  # noqa: S102
    return namespace["build_model"]()


def is_operation(op) -> bool:
    """A keras.ops operation (`x + y`, `ops.mean`), which is no layer."""
    return not isinstance(op, keras.layers.Layer)


def assert_same_model(original, rebuilt, strict: bool = True):
    """Same parameter count, and each layer of the original has its twin by name, with
    the same config (with `strict` off, a tuple equals a list: see `as_saved`). Operations
    are checked by `assert_same_operations`."""
    same = (lambda c: c) if strict else as_saved
    assert rebuilt.count_params() == original.count_params(), (
        f"count_params {rebuilt.count_params()} != Keras' {original.count_params()}")
    theirs = {op.name: op for op in flat_operations(rebuilt)}
    for op in flat_operations(original):
        if is_operation(op):
            continue
        twin = theirs.get(op.name)
        assert twin is not None, f"layer {op.name!r} missing from the rebuilt model"
        assert _same_class(type(twin), type(op)), (
            f"{op.name}: {type(twin).__name__} instead of {type(op).__name__}")
        mine, want = same(twin.get_config()), same(op.get_config())
        assert mine == want, f"{op.name}: get_config differs in {_differing_keys(mine, want)}"
    assert_same_operations(original, rebuilt, same)


# The merge layer an operation may become on import (equal-rank float32 tensors).
OP_LAYERS = {"Add": "Add", "Subtract": "Subtract", "Multiply": "Multiply",
             "Maximum": "Maximum", "Minimum": "Minimum", "Concatenate": "Concatenate"}


def assert_same_operations(original, rebuilt, same=lambda c: c):
    """The original's operations come back: as a merge layer named as the operation (see
    OP_LAYERS), or as operations of the same classes and configs (Keras names a rebuilt
    operation itself, so names are left out)."""
    layers = {op.name: op for op in flat_operations(rebuilt) if not is_operation(op)}
    left = []
    for op in flat_operations(original):
        if not is_operation(op):
            continue
        twin = layers.get(op.name)
        if twin is not None:
            assert type(twin).__name__ == OP_LAYERS.get(type(op).__name__), (
                f"operation {op.name} ({type(op).__name__}) came back as a "
                f"{type(twin).__name__}")
        else:
            left.append(_op_key(op, same))
    made = [_op_key(op, same) for op in flat_operations(rebuilt) if is_operation(op)]
    assert sorted(made) == sorted(left), (
        f"operations differ: {sorted(set(made) ^ set(left))[:4]}")


def _op_key(op, same) -> tuple[str, str]:
    config = {k: v for k, v in same(op.get_config()).items() if k != "name"}
    return type(op).__name__, repr(sorted(config.items()))


def _same_class(mine: type, want: type) -> bool:
    """The same class; for a user's custom class, which generated code defines anew, the
    same registered name (Keras' own classes must be the very same)."""
    if mine is want:
        return True
    if want.__module__.startswith("keras."):
        return False
    name = keras.saving.get_registered_name
    return name(mine) == name(want)


def as_saved(config):
    """`config` with every tuple a list, as a saved model holds it.

    Keras keeps some values as given (Dot's axes, a wrapper's inner build_config), so a
    model that Keras itself saves and loads again differs from the original by a tuple
    that came back a list; a project file, JSON too, cannot tell them apart either.
    """
    if isinstance(config, dict):
        return {k: as_saved(v) for k, v in config.items()}
    if isinstance(config, list | tuple):
        return [as_saved(v) for v in config]
    return config


def _differing_keys(mine: dict, want: dict) -> list:
    return sorted(k for k in set(mine) | set(want) if mine.get(k) != want.get(k))


def assert_shapes_match_keras(doc, original):
    """The document is valid and each node's inferred shapes are the ones Keras recorded."""
    analysis = analyze(doc)
    assert analysis.valid, analysis.errors
    by_name = {op.name: op for op in flat_operations(original)}
    by_name.update({m.name: m for m in nested_models(original)})  # nested-model blocks
    for node in doc.nodes.values():
        name, call = node.name, 0
        if node.kind == "SharedCall":  # the owner's layer, called again (named <layer>_call<i>)
            name, call = doc.nodes[node.params["layer"]].name, int(name.rsplit("_call", 1)[1])
        calls = by_name[name]._inbound_nodes  # a nested model's layer keeps its one call
        keras_shapes = [tuple(t.shape) for t in calls[min(call, len(calls) - 1)].outputs]
        ours = analysis.results[node.id].output_shapes
        assert ours == keras_shapes, f"{node.name}: shapes {ours}, Keras {keras_shapes}"


def structure(model, skip: frozenset = frozenset()) -> list:
    """`model.layers` as (class, name, trainable, nested structure), at every depth; the
    layers named in `skip` left out."""
    return [(type(la).__name__, la.name, la.trainable,
             structure(la, skip) if isinstance(la, keras.Model) else None)
            for la in model.layers if la.name not in skip]


def counts(model) -> tuple[int, int]:
    """(trainable, non-trainable) weight counts."""
    return (sum(math.prod(w.shape) for w in model.trainable_weights),
            sum(math.prod(w.shape) for w in model.non_trainable_weights))


def sample_inputs(model, seed: int = 0) -> list:
    """A batch of two for each input (unknown dims 8): floats in [0, 1), or integer ids
    1..9 for integer inputs (token ids of an Embedding)."""
    rng = np.random.default_rng(seed)
    data = []
    for t in model.inputs:
        shape = (2, *[d or 8 for d in t.shape[1:]])
        if "int" in str(t.dtype):
            data.append(rng.integers(1, 10, shape).astype(t.dtype))
        else:
            data.append(rng.random(shape).astype("float32"))
    return data


def assert_same_nesting(original, rebuilt, strict: bool = True):
    """`model.layers` equal at every depth, and each nested model's own config."""
    same = (lambda c: c) if strict else as_saved
    # an operation imported as a merge layer (see OP_LAYERS) is a layer in the rebuild
    operations = frozenset(op.name for op in flat_operations(original) if is_operation(op))
    assert structure(rebuilt, operations) == structure(original), \
        "model.layers differ (nesting)"
    for theirs, ours in zip(nested_models(original), nested_models(rebuilt), strict=True):
        mine = {k: v for k, v in same(ours.get_config()).items() if k != "layers"}
        want = {k: v for k, v in same(theirs.get_config()).items() if k != "layers"}
        assert mine == want, f"nested model {theirs.name}: config differs"


def copy_weights(original, rebuilt) -> None:
    """The original's weights, layer by layer (matched by name), into the rebuilt model."""
    mine = {la.name: la for la in rebuilt._flatten_layers(include_self=False)}
    for op in flat_operations(original):
        if getattr(op, "weights", None):  # operations (ops.add, x[...]) hold none
            mine[op.name].set_weights(op.get_weights())


def assert_same_outputs(original, rebuilt):
    """Equal forward outputs (inference mode) once the original's weights are copied in."""
    copy_weights(original, rebuilt)
    data = sample_inputs(original)
    data = data[0] if len(data) == 1 else data  # a one-input model takes the bare tensor
    expected = keras.tree.flatten(original(data, training=False))
    got = keras.tree.flatten(rebuilt(data, training=False))
    assert len(got) == len(expected), f"{len(got)} outputs instead of {len(expected)}"
    for want, have in zip(expected, got, strict=True):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(have),
                                   keras.ops.convert_to_numpy(want), rtol=1e-5, atol=1e-6)


def assert_rebuild_equal(model, rebuilt, strict: bool = True):
    """One rebuilt model equals `model`: layers, nesting, counts and outputs."""
    assert_same_model(model, rebuilt, strict)
    assert_same_nesting(model, rebuilt, strict)
    assert counts(rebuilt) == counts(model), f"counts {counts(rebuilt)} != {counts(model)}"
    assert_same_outputs(model, rebuilt)


def assert_subclass_rebuild_equal(model, rebuilt):
    """A subclass-style rebuild equals `model`: counts, each nested model's structure and
    the outputs (its own layer list differs: a subclassed model lists no InputLayer)."""
    assert counts(rebuilt) == counts(model), f"counts {counts(rebuilt)} != {counts(model)}"
    for theirs in model.layers:
        if isinstance(theirs, keras.Model):
            assert structure(rebuilt.get_layer(theirs.name)) == structure(theirs), theirs.name
    assert_same_outputs(model, rebuilt)


def assert_rebuilds_equal(model, doc, strict: bool = True):
    """The runtime build and the generated code both give `model` again."""
    assert analyze(doc).total_params == counts(model)
    for rebuilt in (build_model(doc, name=model.name), exec_generated(doc, model_name=model.name)):
        assert_rebuild_equal(model, rebuilt, strict)
