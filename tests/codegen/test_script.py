"""`script=True` output: a standalone training script that runs end to end."""

from __future__ import annotations

import ast
import os
import runpy
import subprocess
import sys
import zipfile

import pytest

from kerascanvas.codegen import generate
from tests.codegen.helpers import EXAMPLES, example


def _optional_imports(tree) -> set[int]:
    """ids of import nodes inside a `try` whose handler catches ImportError."""
    guarded = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(
                h.type is not None and "ImportError" in ast.unparse(h.type) for h in node.handlers):
            guarded |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return guarded


def _imported_modules(source: str) -> set[str]:
    """Modules the script needs: an import guarded by `except ImportError` is optional."""
    names = set()
    tree = ast.parse(source)
    optional = _optional_imports(tree)
    for node in ast.walk(tree):
        if id(node) in optional:
            continue
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add((node.module or "").split(".")[0])
    return names


@pytest.mark.parametrize("name", EXAMPLES)
def test_script_imports_only_keras_numpy_and_stdlib(name):
    source = generate(example(name), script=True)
    assert _imported_modules(source) - sys.stdlib_module_names <= {"keras", "numpy", "sklearn"}
    tree = ast.parse(source)
    first_keras = next(i for i, n in enumerate(tree.body)
                       if isinstance(n, ast.Import | ast.ImportFrom) and "keras" in ast.unparse(n))
    backend = next(i for i, n in enumerate(tree.body) if "KERAS_BACKEND" in ast.unparse(n))
    assert backend < first_keras


def run_script(tmp_path, source: str, *args: str) -> subprocess.CompletedProcess:
    path = tmp_path / "train.py"
    path.write_text(source, encoding="utf-8")
    env = {**os.environ, "KERAS_BACKEND": "jax"}  # the script must choose torch itself
    return subprocess.run([sys.executable, str(path), *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)


def run_script_here(tmp_path, monkeypatch, source: str, *args: str) -> None:
    """Run a generated script's main(args) in this process, in `tmp_path` (keras is
    already imported here: no second start of keras and torch). run_script tests the
    script as a program of its own."""
    path = tmp_path / "train.py"
    path.write_text(source, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(path), run_name="generated_script")["main"](list(args))


def _check_saved(tmp_path, result, name: str):
    assert result.returncode == 0, result.stderr[-3000:]
    saved = tmp_path / name
    assert saved.exists() and saved.stat().st_size > 0
    assert "Evaluation on the validation data" in result.stdout
    return saved


@pytest.mark.slow  # 6-8 s of the default run (13.6 min of 15): run with -m slow
def test_script_trains_one_epoch_and_saves(tmp_path):
    doc = example("mnist_mlp")
    result = run_script(tmp_path, generate(doc, script=True), "--epochs", "1",
                        "--data", "synthetic:64", "--save", "out.keras")
    saved = _check_saved(tmp_path, result, "out.keras")
    assert zipfile.is_zipfile(saved)  # the .keras format is a zip archive
    assert "Saved the trained model to out.keras" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize(("name", "style", "data"), [
    ("customer_tickets", "functional", "synthetic:32"),   # three inputs, two outputs
    ("digits_cnn", "sequential", "sklearn:digits"),
    ("text_classifier", "subclass", "synthetic:32"),     # integer inputs into an Embedding
    ("attention_states", "functional", "synthetic:32"),  # LSTM states, attention scores out
    ("seq2seq", "subclass", "synthetic:32"),  # a decoder started from the encoder's states
])
def test_script_runs_in_every_style(tmp_path, name, style, data):
    source = generate(example(name), style=style, script=True)
    result = run_script(tmp_path, source, "--epochs", "1", "--data", data)
    _check_saved(tmp_path, result, "model.keras")


@pytest.mark.slow
def test_script_reads_npz_with_validation_arrays(tmp_path):
    np = pytest.importorskip("numpy")
    doc = example("mnist_mlp")
    shape = tuple(doc.node(next(iter(doc.nodes))).params["shape"])
    rng = np.random.default_rng(0)
    arrays = {"x": rng.random((40, *shape), dtype="float32"), "y": rng.integers(0, 10, 40),
              "x_val": rng.random((8, *shape), dtype="float32"), "y_val": rng.integers(0, 10, 8)}
    np.savez(tmp_path / "data.npz", **arrays)
    result = run_script(tmp_path, generate(doc, script=True), "--epochs", "1",
                        "--data", "data.npz")
    _check_saved(tmp_path, result, "model.keras")


def _unreadable_npz(tmp_path, kind: str) -> str:
    np = pytest.importorskip("numpy")
    if kind == "garbage":
        (tmp_path / "bad.npz").write_text("[1, 2]")
    elif kind == "pickled":
        np.savez(tmp_path / "bad.npz", x=np.array([{"a": 1}], dtype=object), y=np.zeros(1))
    return "bad.npz" if kind != "missing" else "missing.npz"


@pytest.mark.parametrize("kind", ["missing", "garbage", "pickled"])
def test_script_says_which_data_file_it_cannot_read(tmp_path, monkeypatch, kind):
    """A missing, non-npz or pickled --data file ended the script with a traceback
    (FileNotFoundError, numpy's ValueError) instead of a line naming the option."""
    data = _unreadable_npz(tmp_path, kind)
    with pytest.raises(SystemExit) as exited:
        run_script_here(tmp_path, monkeypatch, generate(example("mnist_mlp"), script=True),
                        "--epochs", "1", "--data", data)
    assert str(exited.value).startswith(f"--data {data}: cannot read it")


@pytest.mark.parametrize(("save", "why"), [("gone/m.keras", "does not exist"),
                                           ("model.pt", "ending in .keras")])
def test_script_refuses_a_save_path_before_training(tmp_path, monkeypatch, save, why):
    """--save into a missing folder (or a name Keras does not save to) failed after the
    whole training, losing the trained model; it is now refused before the model is built."""
    source = generate(example("mnist_mlp"), script=True)
    source = source.replace("    model = build_model()\n", "    raise AssertionError('built')\n")
    with pytest.raises(SystemExit) as exited:
        run_script_here(tmp_path, monkeypatch, source, "--epochs", "1", "--save", save)
    assert str(exited.value).startswith(f"--save {save}: ") and why in str(exited.value)


def _csv_project(tmp_path, loss: str, target_values):
    """Input(4) -> Dense(3 softmax | 1) trained on a CSV of four features and a target."""
    from kerascanvas.graph.document import Document, Edge

    rows = ["a,b,c,d,kind"] + [f"{i},{i * 0.5},{-i},{i % 3},{target_values[i % 3]}"
                                for i in range(12)]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    doc = Document()
    x = doc.add_node("Input", "x", params={"shape": [4]}).id
    units = 1 if loss == "mean_squared_error" else 3
    out = doc.add_node("Dense", "out", params={"units": units, "activation": "linear"
                                               if units == 1 else "softmax"}).id
    doc.connect(Edge(x, 0, out, 0))
    doc.outputs = [out]
    doc.training = {"loss": loss, "data": "csv:t.csv?target=kind"}
    return doc


@pytest.mark.parametrize(("loss", "targets"), [
    ("sparse_categorical_crossentropy", ["cat", "dog", "eel"]),  # class names: ids by name
    ("categorical_crossentropy", [0, 1, 2]),                     # one-hot rows
    ("mean_squared_error", [0.5, 1.5, 2.5]),                     # numbers, as a column
])
def test_script_reads_the_projects_csv_data_as_a_run_does(tmp_path, monkeypatch, loss, targets):
    """A project trained on csv:FILE got a script whose default --data it refused
    ('Expected --data synthetic[:N], sklearn:NAME or FILE.npz'): the script now reads the
    CSV as `kerascanvas run` does, the same arrays."""
    np = pytest.importorskip("numpy")
    from kerascanvas.runtime.sources import csv_data

    doc = _csv_project(tmp_path, loss, targets)
    monkeypatch.chdir(tmp_path)
    expected = csv_data("t.csv?target=kind", doc)
    (tmp_path / "train.py").write_text(generate(doc, script=True), encoding="utf-8")
    script = runpy.run_path(str(tmp_path / "train.py"), run_name="generated_script")
    model = script["build_model"]()
    x, y, x_val, y_val = script["load_data"]("csv:t.csv?target=kind", model, 0)
    assert x_val is None and y_val is None
    np.testing.assert_array_equal(x["x"], expected.x["x"])
    np.testing.assert_array_equal(y["out"], expected.y["out"])
    assert y["out"].dtype == expected.y["out"].dtype


@pytest.mark.parametrize("column, cell", [("b", "nan"), ("kind", "inf")])
def test_script_refuses_a_csv_number_that_is_not_finite_as_a_run_does(tmp_path, monkeypatch,
                                                                      column, cell):
    """A run refuses 'nan' or 'inf' in a CSV (naming the row); the script read them as
    numbers and trained on NaN."""
    from kerascanvas.runtime.dataset import DataError
    from kerascanvas.runtime.sources import csv_data

    doc = _csv_project(tmp_path, "mean_squared_error", [0.5, 1.5, 2.5])
    path = tmp_path / "t.csv"
    rows = path.read_text(encoding="utf-8").splitlines()
    header = rows[0].split(",")
    cells = rows[5].split(",")
    cells[header.index(column)] = cell
    rows[5] = ",".join(cells)
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    said = f"row 6: column {column!r} holds {cell!r}, expected a finite number"
    with pytest.raises(DataError, match=said):
        csv_data("t.csv?target=kind", doc)
    with pytest.raises(SystemExit) as exited:
        run_script_here(tmp_path, monkeypatch, generate(doc, script=True), "--epochs", "1")
    assert said in str(exited.value)


def test_script_names_a_csv_column_it_does_not_find(tmp_path, monkeypatch):
    doc = _csv_project(tmp_path, "sparse_categorical_crossentropy", ["a", "b", "c"])
    with pytest.raises(SystemExit) as exited:
        run_script_here(tmp_path, monkeypatch, generate(doc, script=True), "--epochs", "1",
                        "--data", "csv:t.csv?target=label")
    assert "no column 'label'" in str(exited.value) and "kind" in str(exited.value)
