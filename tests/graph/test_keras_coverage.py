"""Every class of `keras.layers` is a node kind, a Keras alias of one, or excluded for a reason.

A new Keras release that adds a layer fails `test_every_keras_layer_is_covered`
until the layer gets a LayerSpec entry (tested against Keras by the parametrized
spec tests) or a line in `EXCLUDED` saying why it cannot be a node of a
functional DAG.
"""

from __future__ import annotations

import inspect

import pytest

keras = pytest.importorskip("keras")

from kerascanvas.graph import LAYER_SPECS, get_spec  # noqa: E402
from kerascanvas.graph.layers.aliases import KERAS_ALIASES  # noqa: E402

EXCLUDED = {
    # Abstract bases and helpers: not layers one places in a graph.
    "Layer": "the base class of every layer (custom layers subclass it)",
    "Wrapper": "abstract base of Bidirectional, TimeDistributed and SpectralNormalization",
    "InputSpec": "a description of expected inputs, not a layer",
    "InputLayer": "what keras.Input creates; the Input kind stands for it",
    # Recurrent cells are the step function inside an RNN layer, called on (inputs,
    # states) per step, not on a sequence: an RNN node holds one in its `cell` param.
    "LSTMCell": "a recurrent cell (one step): the `cell` param of an RNN node",
    "GRUCell": "a recurrent cell (one step): the `cell` param of an RNN node",
    "SimpleRNNCell": "a recurrent cell (one step): the `cell` param of an RNN node",
    "StackedRNNCells": "a stack of recurrent cells: the `cell` param of an RNN node",
    # Layers that run arbitrary code or foreign models: never built from a project file.
    "Lambda": "arbitrary Python code; project files never execute code",
    "TorchModuleWrapper": "wraps an arbitrary torch.nn.Module (code, not config)",
    "FlaxLayer": "wraps a Flax module: JAX backend only",
    "JaxLayer": "wraps a JAX function: JAX backend only",
    "TFSMLayer": "loads a TensorFlow SavedModel: TensorFlow only",
    # String and hashing preprocessing is implemented with TensorFlow; on the torch
    # backend without TensorFlow, Keras refuses to construct them ("requires TensorFlow").
    "TextVectorization": "requires TensorFlow (Keras refuses it without TensorFlow)",
    "StringLookup": "requires TensorFlow (Keras refuses it without TensorFlow)",
    "IntegerLookup": "requires TensorFlow (Keras refuses it without TensorFlow)",
    "Hashing": "requires TensorFlow (Keras refuses it without TensorFlow)",
    "HashedCrossing": "requires TensorFlow (Keras refuses it without TensorFlow)",
    # Bounding-box preprocessing takes and returns a dict {"images", "bounding_boxes": {
    # "boxes", "labels"}}: a nested structure, not one tensor per port. On a plain tensor
    # Keras 3.15 hands the images back unchanged, so as a node it would do nothing.
    "MaxNumBoundingBoxes": "works on a dict of images and bounding boxes, not on a tensor",
}

# Not yet a node kind: imports keep them as generic KerasLayer nodes meanwhile.
PENDING: set[str] = set()


def _keras_layer_names() -> list[str]:
    return sorted(n for n in dir(keras.layers)
                  if not n.startswith("_") and inspect.isclass(getattr(keras.layers, n)))


def test_every_keras_layer_is_covered():
    missing = [n for n in _keras_layer_names()
               if n not in LAYER_SPECS and n not in KERAS_ALIASES and n not in EXCLUDED
               and n not in PENDING]
    assert not missing, f"keras.layers classes with no node kind and no exclusion: {missing}"


def test_exclusions_and_pending_are_real_and_uncovered():
    names = set(_keras_layer_names())
    for name in (*EXCLUDED, *PENDING):
        assert name in names, f"{name} is no class of keras.layers"
        assert name not in LAYER_SPECS, f"{name} is a node kind, so it is not excluded"


@pytest.mark.parametrize("alias", sorted(KERAS_ALIASES))
def test_alias_is_the_canonical_class(alias):
    spec = get_spec(alias)
    assert getattr(keras.layers, alias) is getattr(keras.layers, spec.kind)


def test_every_keras_alias_is_listed():
    for name in _keras_layer_names():
        cls = getattr(keras.layers, name)
        if name not in LAYER_SPECS and name not in EXCLUDED and name not in PENDING:
            assert getattr(keras.layers, KERAS_ALIASES[name]) is cls


def test_coverage_counts(capsys):
    classes = {getattr(keras.layers, n) for n in _keras_layer_names()}
    covered = {getattr(keras.layers, k) for k in LAYER_SPECS
               if inspect.isclass(getattr(keras.layers, k, None))}
    excluded = {getattr(keras.layers, n) for n in EXCLUDED}
    assert covered | excluded | {getattr(keras.layers, n) for n in PENDING} == classes
    print(f"keras.layers: {len(classes)} classes, {len(covered)} node kinds, "
          f"{len(excluded)} excluded, {len(PENDING)} pending")


def test_alias_kinds_build_and_generate_the_canonical_layer():
    from kerascanvas.codegen import generate
    from kerascanvas.runtime.build import build_model
    from tests.runtime.test_build import graph

    doc = graph([("x", "Input", {"shape": [8, 8, 3]}),
                 ("conv", "Convolution2D", {"filters": 4, "kernel_size": 3}),
                 ("pool", "MaxPool2D", {}), ("gap", "GlobalAvgPool2D", {})],
                [("x", "conv"), ("conv", "pool"), ("pool", "gap")], ["gap"])
    source = generate(doc)
    assert "layers.Conv2D(" in source and "layers.MaxPooling2D(" in source
    namespace: dict = {}
    exec(compile(source, "<generated>", "exec"), namespace)  # noqa: S102
    for model in (build_model(doc), namespace["build_model"]()):
        assert [type(layer) for layer in model.layers[1:]] == [
            keras.layers.Conv2D, keras.layers.MaxPooling2D, keras.layers.GlobalAveragePooling2D]
