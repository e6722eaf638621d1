"""The search section's run settings (`graph.search_run`): the file keeps them exactly, a
bad value is refused naming its field and the value, an old file without them opens
with the defaults, and setting one is an undoable edit."""

import doctest
import json

import pytest

from kerascanvas.graph import search_run
from kerascanvas.graph.commands import UndoStack
from kerascanvas.graph.errors import ProjectFileError
from kerascanvas.graph.projectfile import dumps, loads, to_dict
from kerascanvas.graph.search_edit import SetSearchRun
from tests.graph.test_search import conv_net, with_params

UNITS = {"node": "n2", "param": "filters", "type": "int", "low": 4, "high": 16, "step": 4}
RUN = {"trials": 7, "jobs": 3, "epochs": 2, "timeout": 90.5,
       "sampler": {"name": "random", "seed": 5}, "pruner": {"name": "percentile",
                                                            "percentile": 25.0,
                                                            "n_warmup_steps": 1},
       "seed": 11}


def test_doctests():
    result = doctest.testmod(search_run)
    assert result.failed == 0 and result.attempted > 0


def test_every_run_setting_survives_a_save_and_load_exactly():
    doc = with_params(conv_net(), UNITS)
    doc.search["run"] = json.loads(json.dumps(RUN))
    again = loads(dumps(doc))
    assert again.search["run"] == RUN
    assert dumps(again) == dumps(doc)
    assert search_run.run_settings(again) == RUN  # every key given: no default shows


def test_a_file_without_run_settings_opens_with_the_defaults():
    doc = loads(dumps(with_params(conv_net(), UNITS)))
    assert "run" not in doc.search
    assert search_run.run_settings(doc) == search_run.DEFAULTS


@pytest.mark.parametrize("key, value, field, words", [
    ("trials", 0, "search.run.trials", "0 is less than the minimum of 1"),
    ("trials", "20", "search.run.trials", "'20' is not of type 'integer'"),
    ("trials", 2.5, "search.run.trials", "2.5 is not of type 'integer'"),
    ("jobs", True, "search.run.jobs", "True is not of type 'integer'"),
    ("epochs", -1, "search.run.epochs", "-1 is less than the minimum of 1"),
    ("timeout", 0, "search.run.timeout", "0 is less than or equal to the minimum of 0"),
    ("sampler", {"name": "tpx"}, "search.run.sampler.name", "'tpx' is not one of"),
    ("sampler", "tpe", "search.run.sampler", "'tpe' is not of type 'object'"),
    ("pruner", {"n_warmup_steps": 2}, "search.run.pruner", "'name' is a required property"),
    ("seed", -3, "search.run.seed", "-3 is less than the minimum of 0"),
    ("trails", 5, "search.run.trails", "unknown field 'trails' (did you mean 'trials'?)"),
])
def test_a_bad_run_setting_names_the_field_and_the_value(key, value, field, words):
    data = to_dict(with_params(conv_net(), UNITS))
    data["search"]["run"] = {key: value}
    with pytest.raises(ProjectFileError) as caught:
        loads(json.dumps(data))
    assert caught.value.field == field
    assert words in str(caught.value) and f"field {field}" in str(caught.value)


def test_setting_one_is_undoable_and_a_burst_on_one_box_undoes_as_one_step():
    doc, stack = with_params(conv_net(), UNITS), UndoStack()
    before = json.loads(json.dumps(doc.search))
    for trials in (21, 22, 23):  # a spin box stepped three times
        stack.push(SetSearchRun(doc, "trials", trials))
    stack.push(SetSearchRun(doc, "sampler", {"name": "random"}))
    assert doc.search["run"] == {"trials": 23, "sampler": {"name": "random"}}
    assert doc.search["params"] == before["params"]
    stack.undo()
    assert doc.search["run"] == {"trials": 23}
    stack.undo()  # the three steps of the trials box at once
    assert doc.search == before
    stack.redo()
    assert doc.search["run"] == {"trials": 23}


def test_a_setting_set_back_to_its_default_leaves_the_file_as_it_was():
    doc, stack = with_params(conv_net(), UNITS), UndoStack()
    written = dumps(doc)
    stack.push(SetSearchRun(doc, "epochs", 3))
    stack.push(SetSearchRun(doc, "epochs", None))
    assert dumps(doc) == written  # no empty "run" left behind
    assert stack.can_undo
