"""Generated code for every example, byte for byte against golden files.

The golden files are what a reviewer reads to judge the code we emit. After an
intended change to the output, regenerate them and review the diff:

    UPDATE_GOLDEN=1 python -m pytest tests/codegen/test_golden.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kerascanvas.codegen import STYLES, CodegenError, generate
from kerascanvas.codegen.plan import make_plan
from kerascanvas.codegen.sequential import chain_problem
from kerascanvas.graph.projectfile import dumps, loads
from tests.codegen.helpers import EXAMPLES, example

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
VARIANTS = [*STYLES, "script"]


def _generate(name: str, variant: str) -> str:
    doc = example(name)
    if variant == "script":
        return generate(doc, script=True)
    return generate(doc, style=variant)


def _applies(name: str, variant: str) -> bool:
    return variant != "sequential" or chain_problem(make_plan(example(name))) is None


def test_examples_exist():
    assert EXAMPLES, "resources/examples holds no example projects"


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("name", EXAMPLES)
def test_golden(name, variant):
    path = GOLDEN / f"{name}.{variant}.py"
    if not _applies(name, variant):
        with pytest.raises(CodegenError, match="sequential style does not apply"):
            _generate(name, variant)
        assert not path.exists(), f"stale golden file {path.name}"
        return
    source = _generate(name, variant)
    if UPDATE:
        path.write_text(source, encoding="utf-8", newline="\n")
    assert path.exists(), f"no golden file {path.name}; run with UPDATE_GOLDEN=1"
    assert source == path.read_text(encoding="utf-8"), (
        f"{path.name} differs; if the change is intended, rerun with UPDATE_GOLDEN=1")


@pytest.mark.parametrize("name", EXAMPLES)
def test_same_document_same_bytes(name):
    doc = example(name)
    first = generate(doc, script=True)
    again = loads(dumps(doc))
    assert generate(again, script=True) == first
    assert generate(doc, script=True) == first


def test_no_stray_golden_files():
    expected = {f"{n}.{v}.py" for n in EXAMPLES for v in VARIANTS if _applies(n, v)}
    assert {p.name for p in GOLDEN.glob("*.py")} <= expected
