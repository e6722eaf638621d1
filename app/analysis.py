"""Access to the incremental analysis (`graph.validate.LiveAnalysis`) for the views.

`graph.validate` is developed alongside the app; until it is importable the views
get an empty analysis, so the window still opens and edits still work.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class EmptyAnalysis:
    """No results and no issues: what the views show when validation is unavailable."""

    results: dict = field(default_factory=dict)
    issues: list = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return True

    @property
    def errors(self) -> list:
        return []

    @property
    def warnings(self) -> list:
        return []

    @property
    def total_params(self) -> tuple[int, int]:
        return (0, 0)


class _NoLiveAnalysis:
    def __init__(self, doc):
        self.analysis = EmptyAnalysis()

    def close(self) -> None:
        pass


def make_live(doc):
    """A `LiveAnalysis` on `doc`, or a stand-in when `graph.validate` is missing."""
    try:
        from ..graph.validate import LiveAnalysis
    except ImportError:
        return _NoLiveAnalysis(doc)
    return LiveAnalysis(doc)
