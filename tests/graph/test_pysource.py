"""`graph.pysource`: the product's one way to parse Python source, safe across threads.

CPython 3.11 before 3.11.8 can fail a parse that overlaps another one with a spurious
`SystemError: AST constructor recursion depth mismatch`. Whether two parses overlap
is up to the scheduler, so the tests stand in for `ast.parse` where they need the
error or an overlap to happen.
"""

from __future__ import annotations

import ast
import doctest
import threading
from unittest import mock

import pytest

from kerascanvas.graph import pysource

SPURIOUS = SystemError("AST constructor recursion depth mismatch (before=3, after=41)")
SOURCE = "import keras\n\nclass Twice(keras.layers.Layer):\n    pass\n"


def flaky_parse(failures: int, error: BaseException = SPURIOUS):
    """`ast.parse` that raises `error` on its first `failures` calls."""
    real, calls = ast.parse, []

    def parse(*args, **kwargs):
        calls.append(args)
        if len(calls) <= failures:
            raise error
        return real(*args, **kwargs)

    return parse, calls


def test_a_spurious_depth_error_is_parsed_again():
    parse, calls = flaky_parse(1)
    with mock.patch.object(ast, "parse", parse):
        tree = pysource.parse(SOURCE)
    assert len(calls) == 2
    assert ast.dump(tree) == ast.dump(ast.parse(SOURCE))


def test_a_depth_error_every_time_is_raised():
    parse, calls = flaky_parse(pysource.ATTEMPTS)
    with mock.patch.object(ast, "parse", parse), pytest.raises(SystemError, match="mismatch"):
        pysource.parse(SOURCE)
    assert len(calls) == pysource.ATTEMPTS


def test_other_errors_are_raised_at_once():
    parse, calls = flaky_parse(1, SystemError("something else"))
    with mock.patch.object(ast, "parse", parse), pytest.raises(SystemError, match="else"):
        pysource.parse(SOURCE)
    assert len(calls) == 1
    with pytest.raises(SyntaxError) as raised:
        pysource.parse("class A(:\n", filename="user.py")
    assert raised.value.filename == "user.py" and raised.value.lineno == 1


def test_parses_from_several_threads_never_overlap():
    """While one thread is inside `ast.parse`, another thread's parse waits for it."""
    real, inside, release = ast.parse, threading.Event(), threading.Event()
    overlaps, active = [], []

    def slow_parse(*args, **kwargs):
        active.append(1)
        overlaps.append(len(active))
        inside.set()
        release.wait(5)
        try:
            return real(*args, **kwargs)
        finally:
            active.pop()

    trees = []
    with mock.patch.object(ast, "parse", slow_parse):
        first = threading.Thread(target=lambda: trees.append(pysource.parse(SOURCE)))
        first.start()
        assert inside.wait(5)
        second = threading.Thread(target=lambda: trees.append(pysource.parse("x = 1")))
        second.start()
        second.join(0.2)
        assert second.is_alive()  # waiting for the first parse to finish
        release.set()
        first.join(5)
        second.join(5)
    assert overlaps == [1, 1] and len(trees) == 2


@pytest.mark.parametrize("text", ["3", " -2.5", "\t[1, (2, 'a')]", "{'k': None}", "True"])
def test_literal_is_literal_eval(text):
    assert pysource.literal(text) == ast.literal_eval(text)


@pytest.mark.parametrize("text", ["__import__('os')", "[1,", "a + 1"])
def test_literal_refuses_what_literal_eval_refuses(text):
    with pytest.raises((ValueError, SyntaxError)):
        ast.literal_eval(text)
    with pytest.raises((ValueError, SyntaxError)):
        pysource.literal(text)


def test_doctests():
    result = doctest.testmod(pysource)
    assert result.failed == 0 and result.attempted > 0
