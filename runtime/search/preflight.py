"""What must hold before a study starts, checked once instead of failing every trial.

Light: no keras, no torch (the data is read with numpy and scikit-learn only).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kerascanvas.graph.document import Document
from kerascanvas.graph.search import objective, search_params
from kerascanvas.graph.search_check import check_search
from kerascanvas.graph.validate import analyze


def problems(doc: Document, overrides: Mapping[str, Any] | None = None,
             check_data: bool = True) -> list[str]:
    """Every reason the search cannot start, each naming its node, parameter or field:
    no searched parameter, an invalid graph, bad ranges, refused settings, a metric
    training does not log, data that does not fit."""
    from kerascanvas.graph.training_schema import check_training, logged_names, resolve_extended

    from ..build import describe_issues
    from ..overrides import with_overrides

    doc = with_overrides(doc, overrides)
    if not search_params(doc):
        return ["the project's search section lists no parameter to search (mark one in "
                "the window, or add search.params to the file)"]
    analysis = analyze(doc)
    if not analysis.valid:
        return [describe_issues(doc, analysis.blocking, "the graph is invalid")]
    found = [i.message for i in check_search(doc)]
    found += [i.message for i in check_training(doc) if i.severity == "error"]
    if found:
        return found
    settings = resolve_extended(doc)
    metric, _ = objective(doc)
    names = logged_names(doc, settings)
    if metric.removeprefix("val_") not in names:
        return [f"search.metric: training does not log {metric!r}. Logged: "
                f"{', '.join(names)} (and val_ of each with validation data)"]
    return _data_problems(doc, settings, analysis) if check_data else []


def _data_problems(doc: Document, settings: Mapping[str, Any], analysis) -> list[str]:
    from ..data import DataError
    from ..train import load_checked_data

    try:
        load_checked_data(doc, settings, analysis=analysis)
    except DataError as exc:
        return [str(exc)]
    return []
