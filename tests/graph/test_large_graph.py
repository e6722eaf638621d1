"""Large graphs load, validate and summarise (timings are in benchmarks/bench_large_graph.py).

A quadratic step makes these take minutes instead of about a second, so the test
fails by pytest's own slowness rather than by a timing assertion.
"""

from __future__ import annotations

import pytest

from benchmarks.bench_large_graph import chain_text
from kerascanvas.graph.projectfile import loads
from kerascanvas.graph.summary import format_summary
from kerascanvas.graph.validate import analyze

DENSE_8_TO_8 = 8 * 8 + 8  # Keras' Dense: kernel plus bias


def check_chain(n: int) -> None:
    doc = loads(chain_text(n))
    analysis = analyze(doc)
    assert analysis.valid
    assert analysis.total_params == ((n - 1) * DENSE_8_TO_8, 0)
    summary = format_summary(doc, analysis)
    assert f"d{n - 1} (Dense)" in summary and f"d{n - 2}" in summary
    assert doc.in_edges(f"n{n - 1}")[0].src == f"n{n - 2}"


def test_a_5000_node_chain():
    check_chain(5000)


@pytest.mark.slow
def test_a_20000_node_chain():
    check_chain(20000)
