"""Every command that writes a file refuses an output in a folder that does not exist,
naming the flag and the folder, before it does any work; none creates the folder."""

from __future__ import annotations

from pathlib import Path

import keras
import pytest

from kerascanvas.app.cli import main
from tests.runtime.test_run import classifier, project


@pytest.fixture
def files(tmp_path) -> dict[str, str]:
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.save(tmp_path / "model.keras")
    (tmp_path / "layers.py").write_text("import keras\n\n\nclass Scale(keras.layers.Layer):\n"
                                        "    pass\n")
    return {"project": project(tmp_path, classifier()), "model": str(tmp_path / "model.keras"),
            "code": str(tmp_path / "layers.py")}


# (argv with {project}, {model}, {code} and {out} to fill in, flag, exit code)
COMMANDS = [
    (["codegen", "{project}", "-o", "{out}.py"], "-o", 1),
    (["codegen", "{project}", "--script", "-o", "{out}.py"], "-o", 1),
    *[(["export", "{project}", "--format", fmt, "-o", f"{{out}}.{ext}"], "-o", 1)
      for fmt, ext in (("keras", "keras"), ("onnx", "onnx"), ("py", "py"),
                       ("slurm", "sbatch"))],
    (["export", "{project}", "--format", "slurm", "--script", "-o", "{out}.sbatch"], "-o", 1),
    (["import", "{model}", "-o", "{out}.json"], "-o", 2),
    (["attach-code", "{project}", "{code}", "-o", "{out}.json"], "-o", 2),
    (["fix", "{project}", "insert_flatten", "-o", "{out}.json"], "-o", 2),
    (["run", "{project}", "--data", "synthetic:32", "--save", "{out}.keras"], "--save", 1),
    (["run", "{project}", "--data", "synthetic:32", "--log", "{out}.jsonl"], "--log", 1),
    (["search", "{project}", "--best-project", "{out}.json"], "--best-project", 1),
    (["search", "{project}", "--storage", "{out}.log"], "--storage", 1),
]


@pytest.mark.parametrize("argv, flag, code", COMMANDS,
                         ids=[" ".join(c[0][:1] + c[0][2:]) for c in COMMANDS])
def test_an_output_in_a_missing_folder_is_refused_naming_flag_and_folder(
        files, tmp_path, capsys, argv, flag, code):
    missing = tmp_path / "no" / "such"
    filled = [a.format(**files, out=missing / "out") for a in argv]
    out = next(a for a in filled if a.startswith(str(missing)))
    assert main(filled) == code
    err = capsys.readouterr().err
    assert f"{flag} {out}: the folder {missing} does not exist" in err
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_images_refuse_a_missing_folder_too(files, tmp_path, capsys, fmt):
    missing = tmp_path / "no" / "such"
    assert main(["export", files["project"], "--format", fmt, "-o",
                 str(missing / f"out.{fmt}")]) == 1
    assert f"the folder {missing} does not exist" in capsys.readouterr().err
    assert not (tmp_path / "no").exists()


def test_a_file_where_the_folder_should_be_is_named(files, tmp_path, capsys):
    blocker = Path(files["code"])
    assert main(["codegen", files["project"], "-o", str(blocker / "out.py")]) == 1
    assert f"-o {blocker / 'out.py'}: the folder {blocker} is not a folder" in \
        capsys.readouterr().err


def test_an_output_in_the_current_folder_needs_no_folder(files, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["codegen", files["project"], "-o", "bare.py"]) == 0
    assert (tmp_path / "bare.py").read_text().startswith(('"""', "import", "#"))


@pytest.mark.parametrize("argv, flag, code", COMMANDS,
                         ids=[" ".join(c[0][:1] + c[0][2:]) for c in COMMANDS])
def test_an_output_that_is_a_folder_is_refused_naming_flag_and_path(
        files, tmp_path, capsys, argv, flag, code):
    """`run --log FOLDER` ended in an internal error (exit 70) before training, and
    `run --save FOLDER` after it, with the model only in the runs folder."""
    folder = tmp_path / "a_folder.d"
    filled = [a.format(**files, out="OUT") for a in argv]
    filled = [str(folder) if a.startswith("OUT") else a for a in filled]
    folder.mkdir()
    assert main(filled) == code
    err = capsys.readouterr().err
    assert f"{flag} {folder}: that is a folder; expected the path of a file" in err
    assert list(folder.iterdir()) == []


def test_run_refuses_a_save_path_keras_cannot_write_before_training(files, tmp_path, capsys):
    """Keras saves only .keras (and legacy .h5) files: `--save model.txt` trained, then
    ended in an internal error."""
    saved = tmp_path / "model.txt"
    assert main(["run", files["project"], "--data", "synthetic:32", "--save", str(saved),
                 "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert f"--save {saved}: expected a path ending in .keras" in err
    assert not saved.exists() and not (tmp_path / "model.runs").exists()
