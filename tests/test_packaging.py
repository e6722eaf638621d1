"""Every package folder is listed in pyproject.toml, so an install carries it.

The folders are mapped onto `kerascanvas.*` with an explicit package list; a new
subpackage missing from it works from a source tree but is absent from a real install.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_every_package_folder_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    found = set()
    for folder in ("app", "graph", "codegen", "runtime", "resources"):
        for init in (ROOT / folder).rglob("__init__.py"):
            found.add(".".join(["kerascanvas", *init.parent.relative_to(ROOT).parts]))
    assert found - listed == set(), "package folders missing from pyproject.toml"
    assert listed - found == set(), "pyproject.toml lists packages that do not exist"
