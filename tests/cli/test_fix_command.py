"""`kerascanvas fix`: the one-click fixes `validate` lists, applied headless. The fixed
project is the model Keras builds (shapes, parameter counts), and a refusal writes
nothing."""

from __future__ import annotations

import json

import keras

from kerascanvas.app.cli import main
from kerascanvas.graph.projectfile import load
from kerascanvas.graph.validate import analyze
from kerascanvas.runtime.build import build_model
from tests.graph.test_validate import make_doc
from tests.runtime.test_run import project

L = keras.layers


def stacked(tmp_path) -> str:
    """x (10 steps of 4) -> lstm -> lstm_1 -> out: lstm gives no sequence to lstm_1."""
    return project(tmp_path, make_doc(
        [("x", "Input", {"shape": [10, 4]}), ("lstm", "LSTM", {"units": 8}),
         ("lstm_1", "LSTM", {"units": 8}), ("out", "Dense", {"units": 1})],
        [("x", "lstm", 0), ("lstm", "lstm_1", 0), ("lstm_1", "out", 0)], ["out"]))


def test_without_a_fix_the_offers_are_listed_and_nothing_written(tmp_path, capsys):
    path = stacked(tmp_path)
    before = open(path, "rb").read()
    assert main(["fix", path]) == 0
    out = capsys.readouterr().out
    assert "Set return_sequences=True on lstm  [return_sequences_on] on lstm_1" in out
    assert "Insert Reshape  [insert_reshape] on lstm_1" in out
    assert open(path, "rb").read() == before


def test_a_fix_named_by_its_label_is_applied_and_the_model_is_keras(tmp_path, capsys):
    path = stacked(tmp_path)
    assert main(["fix", path, "SET return_sequences=True on lstm"]) == 0
    assert f"Applied 'Set return_sequences=True on lstm'; wrote {path}" in \
        capsys.readouterr().out
    doc = load(path)
    assert analyze(doc).valid
    x = keras.Input((10, 4))
    expected = keras.Model(x, L.Dense(1)(L.LSTM(8)(L.LSTM(8, return_sequences=True)(x))))
    assert build_model(doc).count_params() == expected.count_params()


def test_an_inserted_layer_by_code_on_a_named_node_to_another_file(tmp_path, capsys):
    path = project(tmp_path, make_doc(
        [("series", "Input", {"shape": [12]}),
         ("conv", "Conv1D", {"filters": 2, "kernel_size": 3}), ("flat", "Flatten", {}),
         ("out", "Dense", {"units": 1})],
        [("series", "conv", 0), ("conv", "flat", 0), ("flat", "out", 0)], ["out"]))
    doc_before = open(path, "rb").read()
    target = tmp_path / "fixed.json"
    capsys.readouterr()
    codes = {f["code"] for i in _report(path, capsys)["issues"] for f in i["fixes"]}
    assert "insert_reshape" in codes  # a Conv1D on a vector: read it as a sequence
    assert main(["fix", path, "insert_reshape", "--node", "conv", "-o", str(target)]) == 0
    assert open(path, "rb").read() == doc_before  # -o: the project itself is untouched
    doc = load(target)
    assert analyze(doc).valid
    x = keras.Input((12,))
    expected = keras.Model(x, L.Dense(1)(L.Flatten()(L.Conv1D(2, 3)(L.Reshape((12, 1))(x)))))
    assert build_model(doc).count_params() == expected.count_params()
    assert tuple(build_model(doc).outputs[0].shape) == tuple(expected.outputs[0].shape)


def test_a_fix_not_on_offer_is_refused_and_nothing_written(tmp_path, capsys):
    path = stacked(tmp_path)
    before = open(path, "rb").read()
    assert main(["fix", path, "insert_flatten"]) == 1
    assert main(["fix", path, "return_sequences_on", "--node", "out"]) == 1
    err = capsys.readouterr().err
    assert "no issue offers 'insert_flatten'" in err
    assert "no issue on node 'out' offers 'return_sequences_on'" in err
    assert "Set return_sequences=True on lstm" in err  # what is on offer instead
    assert open(path, "rb").read() == before
    assert main(["fix", str(tmp_path / "missing.json")]) == 2


def _report(path, capsys) -> dict:
    main(["validate", path, "--json"])
    return json.loads(capsys.readouterr().out)


def pixels_project(tmp_path, **training) -> str:
    """images of 0..255, sorted by label, into a Conv2D: two findings of the data check."""
    import numpy as np

    rng = np.random.default_rng(0)
    np.savez(tmp_path / "px.npz", x=rng.integers(0, 256, (40, 6, 6, 1)).astype("uint8"),
             y=np.repeat([0, 1], 20))
    doc = make_doc([("x", "Input", {"shape": [6, 6, 1]}),
                    ("conv", "Conv2D", {"filters": 2, "kernel_size": [3, 3]}),
                    ("flat", "Flatten", {}),
                    ("out", "Dense", {"units": 2, "activation": "softmax"})],
                   [("x", "conv", 0), ("conv", "flat", 0), ("flat", "out", 0)], ["out"])
    doc.training = {"loss": "sparse_categorical_crossentropy", "data": "px.npz", **training}
    return project(tmp_path, doc)


def test_with_data_the_fixes_of_the_data_check_are_offered_and_applied(tmp_path, capsys):
    path = pixels_project(tmp_path)
    assert main(["fix", path]) == 0  # the graph alone: nothing to fix
    assert "No issue has a fix on offer." in capsys.readouterr().out
    assert main(["fix", path, "--data"]) == 0
    out = capsys.readouterr().out
    assert "Insert Rescaling(1/255)  [insert_rescaling] on x" in out
    assert "[shuffle_before_split] on out" in out
    assert main(["fix", path, "insert rescaling(1/255)", "--data"]) == 0
    assert main(["fix", path, "shuffle_before_split", "--data"]) == 0
    doc = load(path)
    assert doc.training["shuffle_before_split"] is True
    model = build_model(doc)
    assert [type(la).__name__ for la in model.layers][1:3] == ["Rescaling", "Conv2D"]
    assert main(["fix", path, "--data"]) == 0
    assert "No issue has a fix on offer." in capsys.readouterr().out


def test_with_data_that_cannot_be_read_nothing_is_written(tmp_path, capsys):
    path = pixels_project(tmp_path, data="missing.npz")
    before = open(path, "rb").read()
    assert main(["fix", path, "shuffle_before_split", "--data"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("kerascanvas fix: --data: ") and "missing.npz" in err
    assert open(path, "rb").read() == before
