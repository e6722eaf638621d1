"""The pieces of emitted text: identifiers, literals, block helpers against the block specs."""

from __future__ import annotations

import ast
import keyword

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kerascanvas.codegen.blocks import HELPERS, helper_source
from kerascanvas.codegen.errors import CodegenError
from kerascanvas.codegen.literals import call, literal, pretty
from kerascanvas.codegen.naming import RESERVED, Namer, identifier
from kerascanvas.graph import LAYER_SPECS

BLOCK_SPECS = [s for s in LAYER_SPECS.values() if s.is_block]


@given(st.lists(st.text(max_size=12), max_size=30))
def test_namer_gives_unique_safe_identifiers(texts):
    namer = Namer()
    taken = [namer.take(t) for t in texts]
    assert len(set(taken)) == len(taken)
    for name in taken:
        assert name.isidentifier() and name.isascii()
        assert not keyword.iskeyword(name) and not keyword.issoftkeyword(name)
        assert name not in RESERVED


@pytest.mark.parametrize(("text", "expected"), [
    ("conv1", "conv1"), ("conv 1", "conv_1"), ("3x3", "x_3x3"), ("!!", "x"),
    ("__import__('os')", "import_os"), ("名前", "x"),
])
def test_identifier(text, expected):
    assert identifier(text) == expected


def test_reserved_words_get_a_suffix():
    namer = Namer()
    assert [namer.take(t) for t in ("class", "keras", "print", "model")] == [
        "class_", "keras_", "print_", "model_"]


@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner).map(tuple) | st.lists(inner)
    | st.dictionaries(st.text(), inner), max_leaves=12))
def test_literal_round_trips(value):
    assert evaluated(literal(value)) == value
    assert evaluated(pretty(value, "    ")) == value


def evaluated(text: str):
    """What generated literal `text` evaluates to: a literal, where a float 1/n may be
    written `1 / n`, as people write Rescaling(1 / 255) (hypothesis drew 1/3, which
    `ast.literal_eval` alone refuses). Any other operation fails the test."""
    tree = ast.parse(text, mode="eval")
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp):
            assert isinstance(node.op, ast.Div) and node.left.value == 1 and \
                isinstance(node.right, ast.Constant) and type(node.right.value) is int, text
        assert not isinstance(node, ast.Name | ast.Call | ast.Attribute), text
    return eval(compile(tree, "<literal>", "eval"), {"__builtins__": {}})  # noqa: S307


def test_literal_refuses_what_it_cannot_write():
    with pytest.raises(CodegenError, match="finite"):
        literal(float("nan"))
    with pytest.raises(CodegenError, match="set"):
        literal({1, 2})


def test_long_calls_wrap_and_stay_valid():
    kwargs = {f"argument_{i}": "x" * 10 for i in range(8)}
    text = call("layers.Dense", [], kwargs, "    ", "y = ", "(x)")
    assert all(len(line) <= 99 for line in text.splitlines())
    assert ast.parse(text.strip())


def _signature(kind: str) -> tuple[list[str], dict]:
    func = ast.parse(helper_source(kind)).body[0]
    names = [a.arg for a in func.args.args]
    defaults = dict(zip(reversed(names), (ast.literal_eval(d) for d in reversed(
        func.args.defaults)), strict=False))
    return names, defaults


@pytest.mark.parametrize("spec", BLOCK_SPECS, ids=lambda s: s.kind)
def test_block_helper_signature_matches_the_spec(spec):
    assert spec.kind in HELPERS
    names, defaults = _signature(spec.kind)
    assert names[0] == "x" and names[-1] == "name" and defaults["name"] is None
    # `trainable` is no helper argument: build_model freezes a frozen block's layers
    params = [p for p in spec.params if p.name != "trainable"]
    assert names[1:-1] == [p.name for p in params]
    for p in params:
        if p.required:
            assert p.name not in defaults, f"{p.name} has a default in the helper"
        else:
            assert defaults[p.name] == p.default, p.name


def test_every_helper_has_a_block_spec():
    assert set(HELPERS) == {s.kind for s in BLOCK_SPECS}
