"""An issue's data: read-only JSON scalars, hashable with the issue, empty by default."""

from __future__ import annotations

import copy
import dataclasses
import doctest
import json
import pickle

import pytest

from kerascanvas.graph import issue_data
from kerascanvas.graph.inference import Issue
from kerascanvas.graph.issue_data import IssueData


def test_doctests():
    result = doctest.testmod(issue_data)
    assert result.failed == 0 and result.attempted > 0


def test_an_issue_without_data_has_empty_data_and_a_mapping_becomes_issue_data():
    plain = Issue("n", None, "error", "m", "c")
    assert plain.data == {} and isinstance(plain.data, IssueData)
    given = {"units": 10}
    issue = Issue("n", None, "error", "m", "c", ("set_units_to_labels",), given)
    given["units"] = 3  # the issue keeps its own copy
    assert isinstance(issue.data, IssueData) and issue.data == {"units": 10}
    assert json.loads(json.dumps(dict(issue.data))) == {"units": 10}


def test_the_data_cannot_be_changed_and_the_issue_stays_hashable():
    issue = Issue("n", None, "error", "m", "c", (), {"field": "training.loss.y"})
    with pytest.raises(TypeError):
        issue.data["field"] = "other"  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        issue.data = {}  # type: ignore[misc]
    same = Issue("n", None, "error", "m", "c", (), {"field": "training.loss.y"})
    assert len({issue, same}) == 1
    assert issue != dataclasses.replace(issue, data={"field": "training.loss.z"})
    assert copy.deepcopy(issue) == issue == pickle.loads(pickle.dumps(issue))


@pytest.mark.parametrize("data", [{"units": [10]}, {"shape": (1, 2)}, {3: "x"}, "units=10"])
def test_values_other_than_json_scalars_are_refused(data):
    with pytest.raises(TypeError, match="issue's data"):
        Issue("n", None, "error", "m", "c", (), data)
