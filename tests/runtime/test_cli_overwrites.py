"""No command writes over its own input, and import does not replace an existing project
unless told to: a mistyped -o lost the project (code written over it, or another model's
graph), with exit 0."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kerascanvas.app.cli import main as cli_main

EXAMPLE = Path(__file__).parents[2] / "resources" / "examples" / "mnist_mlp.json"


@pytest.fixture()
def project(tmp_path) -> Path:
    path = tmp_path / "mlp.json"
    shutil.copy(EXAMPLE, path)
    return path


@pytest.mark.parametrize("argv", [
    ["export", "{p}", "-o", "{p}", "--format", "py"],
    ["export", "{p}", "-o", "{same}", "--format", "py"],
    ["codegen", "{p}", "-o", "{p}"],
    ["codegen", "{p}", "--script", "-o", "{same}"],
])
def test_an_output_that_is_the_project_itself_is_refused(project, capsys, argv):
    same = project.parent / "." / project.name  # another spelling of the same file
    before = project.read_bytes()
    args = [a.format(p=project, same=same) for a in argv]
    assert cli_main(args) != 0
    assert project.read_bytes() == before
    err = capsys.readouterr().err
    assert "is the project itself" in err and "nothing was written" in err


def test_import_does_not_replace_an_existing_project_unless_forced(project, tmp_path, capsys):
    keras = pytest.importorskip("keras")
    inputs = keras.Input((4,), name="a")
    keras.Model(inputs, keras.layers.Dense(2, name="out")(inputs)).save(tmp_path / "m.keras")
    before = project.read_bytes()
    assert cli_main(["import", str(tmp_path / "m.keras"), "-o", str(project)]) == 2
    assert project.read_bytes() == before
    err = capsys.readouterr().err
    assert f"-o {project}: the file exists" in err and "--force" in err
    assert cli_main(["import", str(tmp_path / "m.keras"), "-o", str(project), "--force"]) == 0
    assert '"out"' in project.read_text()
    empty = tmp_path / "empty.json"  # as a temporary file made for the import to fill
    empty.touch()
    assert cli_main(["import", str(tmp_path / "m.keras"), "-o", str(empty)]) == 0
    assert cli_main(["import", str(tmp_path / "m.keras"), "-o", str(tmp_path / "m.keras"),
                     "--force"]) == 2  # never over the model it reads
    assert "is the model itself" in capsys.readouterr().err
