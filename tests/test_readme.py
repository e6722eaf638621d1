"""Every shell command in the README pastes: each ```bash block runs in a temporary folder.

The folder holds a copy of resources/ and a project.json, so the README's paths
exist. `kerascanvas validate` and `codegen` run for real; other subcommands have
their arguments parsed by the real parser (training and installing are not repeated
here); `python FILE.py` compiles the file. A shell pipe, a stray `&` or an unknown
option makes the block fail.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
BLOCK = re.compile(r"```bash\n(.*?)```", re.S)
# Lines that install, need a cluster or a screen: these are shown, not run.
NOT_RUN = ("python -m pip", "sudo apt-get", "apt-get", "sbatch", "torchrun", "xvfb-run")

PRELUDE = f"""
set -e -o pipefail
kerascanvas() {{ {sys.executable} -m tests.readme_argv "$@"; }}
python() {{ {sys.executable} -m py_compile "$1"; }}
"""


def commands(text: str) -> list[str]:
    """The commands of all bash blocks: continuation lines joined, comments dropped."""
    found = []
    for block in BLOCK.findall(text):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.strip()
            if line and not line.startswith("#") and not line.startswith(NOT_RUN):
                found.append(line)
    return found


COMMANDS = commands((ROOT / "README.md").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    where = tmp_path_factory.mktemp("readme")
    shutil.copytree(ROOT / "resources", where / "resources")
    for name in ("project.json", "model.json"):
        shutil.copy(ROOT / "resources" / "examples" / "digits_cnn.json", where / name)
    return where


def test_the_readme_has_commands():
    assert any(c.startswith("kerascanvas validate") for c in COMMANDS)


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS)
def test_a_readme_command_runs_as_pasted(folder, command):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path]),
           "KERASCANVAS_DATA_DIR": str(folder / "data")}
    done = subprocess.run(["bash", "-c", PRELUDE + command], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{command}\n{done.stderr[-2000:]}"
