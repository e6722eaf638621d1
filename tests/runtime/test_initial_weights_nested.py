"""Initial weights at every depth: the layers of nested models (a Sequential, a functional
model holding another) and of blocks are matched and counted one by one, by their path of
names, as Keras nests them. Everything is compared with what Keras builds and holds."""

from __future__ import annotations

import argparse
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerascanvas.codegen.script_weights import FUNCTIONS  # noqa: E402
from kerascanvas.graph import projectfile, weight_paths  # noqa: E402
from kerascanvas.runtime.build import build_model  # noqa: E402
from kerascanvas.runtime.cli import import_model  # noqa: E402
from kerascanvas.runtime.initial_weights import apply  # noqa: E402
from tests.graph.test_userblocks import conv_doc  # noqa: E402
from tests.runtime.test_initial_weights import _doc  # noqa: E402

X = np.random.default_rng(1).random((16, 4), dtype=np.float32)
EXAMPLES = Path(__file__).parents[2] / "resources" / "examples"


def nested_model(deep_dense: str = "deep_dense"):
    """inp -> d1 -> seq (Sequential: dense, dropout, bn) -> func (functional, holding the
    Sequential deep) -> out, trained so that no weight is what a fresh build gives."""
    seq = keras.Sequential([keras.Input((8,)), keras.layers.Dense(8, name="s_dense"),
                            keras.layers.Dropout(0.1, name="s_drop"),
                            keras.layers.BatchNormalization(name="s_bn")], name="seq")
    deep = keras.Sequential([keras.Input((8,)), keras.layers.Dense(8, name=deep_dense)],
                            name="deep")
    inner = keras.Input((8,))
    func = keras.Model(inner, keras.layers.Dense(4, name="f_dense")(deep(inner)), name="func")
    inputs = keras.Input((4,), name="inp")
    hidden = seq(keras.layers.Dense(8, name="d1")(inputs))
    model = keras.Model(inputs, keras.layers.Dense(2, name="out")(func(hidden)))
    model.compile("adam", "mse")
    model.fit(X, X[:, :2], epochs=2, batch_size=4, verbose=0)
    return model


def keras_paths(model, prefix="", weights_only=True) -> dict[str, object]:
    """{path of names: layer}, walked with Keras' own `layers` of each nested model."""
    found = {}
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found.update(keras_paths(layer, f"{prefix}{layer.name}/", weights_only))
        elif layer.weights or not (weights_only or isinstance(layer, keras.layers.InputLayer)):
            found[f"{prefix}{layer.name}"] = layer
    return found


def imported_into(folder: Path, model) -> Path:
    """The project p.json imported from `model` saved as m.keras in `folder`."""
    model.save(folder / "m.keras")
    parser = argparse.ArgumentParser()
    import_model.add_arguments(parser)
    assert import_model.run(parser.parse_args([str(folder / "m.keras"), "-o",
                                               str(folder / "p.json")])) == 0
    return folder / "p.json"


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    model = nested_model()
    return model, imported_into(tmp_path_factory.mktemp("nested"), model)


def _assert_same_weights(model, original, paths):
    ours, theirs = keras_paths(model), keras_paths(original)
    for path in paths:
        for a, b in zip(ours[path].get_weights(), theirs[path].get_weights(), strict=True):
            np.testing.assert_array_equal(a, b, err_msg=path)


def test_every_nested_layer_is_loaded_and_counted(imported):
    original, project = imported
    paths = sorted(keras_paths(original))
    assert "func/deep/deep_dense" in paths and "seq/s_bn" in paths
    model = build_model(_doc(project))
    report = apply(model, _doc(project))
    assert sorted(report.loaded) == paths and report.fresh == []
    assert report.message() == f"loaded {len(paths)} of {len(paths)} layers from m.keras"
    _assert_same_weights(model, original, paths)
    np.testing.assert_allclose(model.predict(X, verbose=0), original.predict(X, verbose=0),
                               rtol=0, atol=1e-6)


def test_a_renamed_inner_layer_alone_starts_fresh(imported):
    original, project = imported
    doc = _doc(project)
    node = next(n for n in doc.blocks["deep"]["nodes"] if n["name"] == "deep_dense")
    node["name"] = "deep_dense_2"
    model = build_model(doc)
    report = apply(model, doc)
    assert report.fresh == ["func/deep/deep_dense_2"]
    assert sorted(report.loaded) == sorted(set(keras_paths(original)) - {"func/deep/deep_dense"})
    _assert_same_weights(model, original, report.loaded)
    ours = weight_paths.model_paths(doc)
    assert sorted(ours) == sorted(keras_paths(model))
    assert sorted(weight_paths.matching(ours, _archive_paths(project))) == sorted(report.loaded)


def _archive_paths(project):
    with zipfile.ZipFile(project.parent / "m.keras") as archive:
        return weight_paths.config_paths(json.loads(archive.read("config.json")))


def test_the_archive_config_names_every_layer_at_every_depth(imported):
    original, project = imported
    assert _archive_paths(project) == list(keras_paths(original, weights_only=False))


@pytest.mark.parametrize("file", ["m.keras", "m.weights.h5"])
def test_the_script_helper_loads_every_depth(imported, tmp_path, capsys, file):
    original, project = imported
    path = project.parent / file
    if file.endswith(".h5"):
        path = tmp_path / file
        original.save_weights(path)
    helpers = {"keras": keras, "np": np}
    exec(FUNCTIONS, helpers)  # the generated script's own helper
    model = build_model(_doc(project))
    helpers["load_matching_weights"](model, str(path))
    _assert_same_weights(model, original, keras_paths(original))
    count = len(keras_paths(original))
    assert f"loaded {count} of {count} layers from {path}\n" in capsys.readouterr().out


def _user_block_doc():
    """A user block instance (inlined: "blk_conv", "blk_bn") between an input and a head."""
    from kerascanvas.graph import userblock_commands
    from kerascanvas.graph.commands import UndoStack

    doc, ids = conv_doc()
    userblock_commands.make_block(doc, UndoStack(), ids[1:4], "conv_bn")
    next(n for n in doc.nodes.values() if n.kind == "UserBlock").name = "blk"
    return doc


@pytest.mark.parametrize("load", [
    _user_block_doc,
    lambda: projectfile.load(EXAMPLES / "small_resnet.json"),  # block kinds
    lambda: projectfile.load(EXAMPLES / "inception_net.json"),
], ids=["user_block", "small_resnet", "inception_net"])
def test_the_count_names_the_layers_keras_builds(load):
    doc = load()
    assert sorted(weight_paths.model_paths(doc)) == sorted(keras_paths(build_model(doc)))
