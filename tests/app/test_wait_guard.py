"""qtbot.waitUntil refuses a lambda returning None, which would wait for nothing."""

import pytest


def test_a_lambda_returning_none_fails_at_once(qtbot):
    calls = []
    with pytest.raises(TypeError, match="returned None"):
        qtbot.waitUntil(lambda: calls.append(1), timeout=5000)
    assert calls == [1]


def test_a_lambda_returning_a_bool_waits_for_it(qtbot):
    calls = []
    qtbot.waitUntil(lambda: calls.append(1) or len(calls) >= 3, timeout=5000)
    assert calls == [1, 1, 1]


def test_a_def_that_asserts_may_return_none(qtbot):
    calls = []

    def third_call():
        calls.append(1)
        assert len(calls) >= 3

    qtbot.wait_until(third_call, timeout=5000)
    assert calls == [1, 1, 1]
