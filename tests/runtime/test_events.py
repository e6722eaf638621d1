"""The training protocol: every kind through the wire and back; plain dicts are refused."""

from __future__ import annotations

import dataclasses
import json
import math
import multiprocessing

import pytest

from kerascanvas.graph.inference import Issue
from kerascanvas.runtime import events as ev

# One event of each kind, every field away from its default.
SAMPLES = {
    ev.TrainBegin: ev.TrainBegin({"epochs": 3, "optimizer": {"name": "sgd"}}, 3, 45, 1437, 32,
                                 1, "training.validation_split 0.2 is not used"),
    ev.WeightsLoaded: ev.WeightsLoaded("m.keras", ["d1", "block/inner"], ["head"],
                                       "loaded 2 of 3 layers from m.keras; fresh: head"),
    ev.ExecutorChosen: ev.ExecutorChosen("keras", ["a callback listens to batches"],
                                         "Executor: Keras' own train step."),
    ev.EpochBegin: ev.EpochBegin(4),
    ev.BatchEnd: ev.BatchEnd(2, 7, 45, {"loss": 2.5, "accuracy": 0.25}, 0.001, 5300.0, 12.5,
                             {"loss": 2.25}),
    ev.EpochEnd: ev.EpochEnd(2, {"loss": 0.5, "val_loss": 0.75}, 0.01, 5300.0, 4.25),
    ev.Paused: ev.Paused(1, 5),
    ev.Resumed: ev.Resumed(1),
    ev.Validating: ev.Validating(2, 30, 120),
    ev.RankSilent: ev.RankSilent(1, 125.0, "epoch 2, batch 5"),
    ev.TrainEnd: ev.TrainEnd(3, True, {"loss": 0.5}),
    ev.Result: ev.Result(
        ev.STOPPED, "Stopped on request after epoch 3.", {"loss": [1.0, 0.5]}, {"loss": 0.5},
        "validation", 3, 1, "run.keras", "cuda", True, True,
        {"split": "test", "metrics": {"loss": 0.5}, "predictions": "p.npz"}, "no test data",
        (Issue("n1", 0, "error", "x expects (8,). Received: (4,)", "data_shape", ("fix",),
               {"units": 10, "field": "training.loss.y", "ok": True, "rate": 0.5}),),
        "Traceback ...", 2, 4, ("loss", "val_loss"), 8, 6),
}


def test_every_kind_has_a_sample_with_no_field_left_at_its_default():
    assert set(SAMPLES) == set(ev.KINDS.values())
    for cls, event in SAMPLES.items():
        blank = cls()
        for f in dataclasses.fields(cls):
            assert getattr(event, f.name) != getattr(blank, f.name), (cls.kind, f.name)


@pytest.mark.parametrize("kind", sorted(ev.KINDS))
def test_every_kind_round_trips_through_json(kind):
    event = SAMPLES[ev.KINDS[kind]]
    wire = ev.to_wire(event)
    assert wire[ev.KIND_FIELD] == kind
    assert ev.from_wire(json.loads(json.dumps(wire, allow_nan=False))) == event


def test_every_kind_round_trips_through_a_process_queue():
    queue = multiprocessing.get_context("spawn").Queue()
    for event in SAMPLES.values():
        queue.put(ev.to_wire(event))
    received = [ev.from_wire(queue.get(timeout=30)) for _ in SAMPLES]
    assert received == list(SAMPLES.values())


def test_values_on_the_wire_are_plain_and_nan_survives():
    class Scalar:  # what a tensor or numpy number offers: float()
        def __float__(self):
            return math.nan

    wire = ev.to_wire(ev.EpochEnd(0, {"loss": Scalar()}, lr=Scalar()))
    assert math.isnan(wire["logs"]["loss"]) and type(wire["lr"]) is float
    back = ev.from_wire(json.loads(json.dumps(wire)))
    assert math.isnan(back.logs["loss"]) and math.isnan(back.lr)


def test_unknown_kinds_and_fields_are_refused_by_name():
    with pytest.raises(ValueError, match=r"Unknown training event kind 'epoch_done'; "
                                         r"expected one of train_begin, .*result"):
        ev.from_wire({"event": "epoch_done", "epoch": 1})
    with pytest.raises(ValueError, match="Unknown training event kind None"):
        ev.from_wire({"epoch": 1})
    with pytest.raises(ValueError, match=r"'epoch_end' event has no field 'los'"):
        ev.from_wire({"event": "epoch_end", "epoch": 1, "los": {}})
    with pytest.raises(ValueError, match="a mapping .* Received: list"):
        ev.from_wire(["epoch_end"])


def test_a_raw_dict_is_not_an_event():
    raw = ev.to_wire(ev.Paused(0))
    for value in (raw, None, ev.TrainingEvent()):
        with pytest.raises(TypeError, match="Expected a training event"):
            ev.require(value)
    with pytest.raises(TypeError, match="received dict"):
        ev.to_wire(raw)


def test_study_events_are_typed_too_and_a_raw_dict_is_refused():
    end = ev.TrialEnd(3, "pruned", None, "Pruned after epoch 2", 4.5, {"hidden.units": 16})
    assert ev.require_study(end) is end and set(ev.STUDY_KINDS) == {
        "trial_start", "trial_epoch", "trial_paused", "trial_resumed", "trial_end",
        "importances", "study_end"}
    with pytest.raises(TypeError, match="Expected a study event .*received dict"):
        ev.require_study({"event": "trial_end", "number": 3})
    with pytest.raises(TypeError, match="Expected a study event"):
        ev.require_study(ev.Paused(0))  # a training event is not a study event


def test_a_results_issues_are_issues_on_both_sides_of_the_wire():
    wire = ev.to_wire(SAMPLES[ev.Result])
    assert wire["issues"][0]["node"] == "n1" and wire["issues"][0]["fixes"] == ["fix"]
    (issue,) = ev.from_wire(json.loads(json.dumps(wire))).issues
    assert isinstance(issue, Issue) and issue.fixes == ("fix",)
    with pytest.raises(ValueError, match=r"issue has the fields node, .*Received: \{'nod'"):
        ev.from_wire({"event": "result", "issues": [{"nod": "n1"}]})


def test_an_issues_data_crosses_the_wire_and_old_events_without_it_still_load():
    wire = json.loads(json.dumps(ev.to_wire(SAMPLES[ev.Result])))
    assert wire["issues"][0]["data"] == {"units": 10, "field": "training.loss.y", "ok": True,
                                         "rate": 0.5}
    (issue,) = ev.from_wire(wire).issues
    assert issue == SAMPLES[ev.Result].issues[0] and issue.data["units"] == 10
    del wire["issues"][0]["data"]  # as a run wrote it before issues carried data
    (old,) = ev.from_wire(wire).issues
    assert old.data == {} and old.fixes == ("fix",) and old.code == "data_shape"
    wire["issues"][0]["data"] = {"units": [10]}
    with pytest.raises(ValueError, match=r"issue data: .*JSON scalars.*units=\[10\]"):
        ev.from_wire(wire)
