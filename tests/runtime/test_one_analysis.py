"""A training run analyses its graph once: the data checks, the build and the compile
read the analysis the caller holds (a Project's, or the one `prepare` made)."""

from __future__ import annotations

import pytest

from kerascanvas.graph import inference, validate
from kerascanvas.graph.projectfile import to_dict
from kerascanvas.runtime.train import OK, load_checked_data, prepare, train
from kerascanvas.runtime.worker import train_document
from tests.runtime.test_bridge import one_thread  # noqa: F401  (autouse fixture)
from tests.runtime.test_worker import mlp


class Spy:
    """Counts the calls of a function it wraps (and still calls it)."""

    def __init__(self, function):
        self.function, self.calls = function, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.function(*args, **kwargs)


@pytest.fixture
def analyses(monkeypatch):
    """(calls of `graph.validate.analyze`, full-graph inferences of any kind)."""
    analyze, infer = Spy(validate.analyze), Spy(inference.infer_graph)
    monkeypatch.setattr(validate, "analyze", analyze)
    monkeypatch.setattr(inference, "infer_graph", infer)
    return analyze, infer


def small_doc(**training):
    # A mixed-precision run also reads the output layers from the analysis.
    return mlp(**{"data": "synthetic:48", "epochs": 1, "batch_size": 16,
                  "validation_split": 0.25, **training})


@pytest.mark.parametrize("precision", ["off", "mixed_float16"])
def test_prepare_data_and_train_analyse_the_graph_once(analyses, precision):
    analyze, infer = analyses
    doc, settings = prepare(small_doc(mixed_precision=precision))
    assert analyze.calls == 1
    analysis = validate.analyze.function(doc)  # the one prepare made, as a caller keeps it
    data = load_checked_data(doc, settings, analysis=analysis)
    result = train(doc, data, resolved=settings, analysis=analysis)
    assert result.status == OK, result.message
    assert analyze.calls == 1 and infer.calls == 2  # prepare's, and the test's own


def test_train_without_prepared_settings_analyses_once(analyses):
    analyze, _ = analyses
    doc = small_doc()
    doc, settings = prepare(doc)
    data = load_checked_data(doc, settings)
    analyze.calls = 0
    result = train(doc, data)  # prepares the document itself
    assert result.status == OK, result.message
    assert analyze.calls == 1


def test_a_worker_run_analyses_the_graph_once(analyses):
    analyze, infer = analyses
    result = train_document({"document": to_dict(small_doc())}, lambda event: None)
    assert result.status == "finished", result.message
    # The Project's live analysis is the run's only one: no analyze() call after it.
    assert infer.calls == 1 and analyze.calls == 0
