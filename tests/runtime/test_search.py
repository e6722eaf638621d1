"""`kerascanvas search` and the driver: trials in worker processes, pruning and failures,
storage shared between processes, the JSON summary.

The default-suite tests use a small MLP on a 360-sample slice of scikit-learn's digits
for one or two epochs; the full 6-trial digits search and the two-process study are slow.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kerascanvas.app.cli import main
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.project import Project
from kerascanvas.graph.projectfile import save
from kerascanvas.runtime.events import TrialEnd, TrialEpoch, TrialPaused, TrialResumed
from kerascanvas.runtime.search import study as studies
from kerascanvas.runtime.search.driver import SearchDriver, SearchOptions, plan_slots
from kerascanvas.runtime.search.holds import PAUSED_S

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "resources" / "examples" / "digits_search.json"


def digits_npz(path: Path, samples: int = 360, regression: bool = False) -> str:
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = (x[:samples] / 16.0).astype("float32")
    y = y[:samples].astype("float32" if regression else "int64")
    np.savez(path, x=x, y=y.reshape(-1, 1) if regression else y)
    return str(path)


def mlp_project(tmp_path: Path, search: list, regression: bool = False,
                optimizer: str = "adam", **training) -> Path:
    """digits (64 features) -> Dense(units) -> Dense(10 softmax | 1 linear)."""
    doc = Document()
    x = doc.add_node("Input", "pixels", {"shape": [64]})
    h = doc.add_node("Dense", "hidden", {"units": 16, "activation": "relu"})
    out = doc.add_node("Dense", "digit", {"units": 1} if regression else
                       {"units": 10, "activation": "softmax"})
    doc.connect(Edge(x.id, 0, h.id, 0))
    doc.connect(Edge(h.id, 0, out.id, 0))
    doc.set_outputs([out.id])
    doc.training = {"data": digits_npz(tmp_path / "digits.npz", regression=regression),
                    "loss": "mean_squared_error" if regression else
                    "sparse_categorical_crossentropy",
                    "metrics": [] if regression else ["accuracy"], "epochs": 2,
                    "batch_size": 32, "seed": 0, "validation_split": 0.25,
                    "optimizer": {"name": optimizer, "learning_rate": 0.01}, **training}
    doc.search = {"metric": "val_loss" if regression else "val_accuracy",
                  "params": [{"node": h.id, **e} if "param" in e else e for e in search]}
    path = tmp_path / "mlp.json"
    save(doc, path)
    return path


LR = {"training": "optimizer.learning_rate", "type": "float", "low": 1e-4, "high": 100.0,
      "log": True}
UNITS = {"param": "units", "type": "int", "low": 4, "high": 32, "step": 4}


def options(tmp_path, **kw) -> SearchOptions:
    return SearchOptions(**{"storage": str(tmp_path / "s.log"), "study_name": "t",
                            "trials": 2, "seed": 0, **kw})


def test_a_diverging_trial_fails_with_its_message_and_the_study_goes_on(tmp_path):
    # Plain SGD at a rate of 100 on a squared error blows up within the first epoch.
    doc = Project.open(mlp_project(tmp_path, [LR], regression=True, optimizer="sgd")).doc
    events = []
    driver = SearchDriver(doc, options(tmp_path, pruner={"name": "median",
                                                         "n_startup_trials": 0}),
                          on_event=events.append)
    study = driver.open()
    study.enqueue_trial({"training.optimizer.learning_rate": 100.0})
    study.enqueue_trial({"training.optimizer.learning_rate": 0.01})
    driver.run()
    first, second = sorted(study.trials, key=lambda t: t.number)
    assert first.state.name in ("FAIL", "PRUNED")
    message = first.user_attrs[studies.MESSAGE]
    assert "NaN" in message or "Pruned" in message
    assert second.state.name == "COMPLETE" and np.isfinite(second.value)
    ends = [e for e in events if isinstance(e, TrialEnd)]
    assert [e.number for e in ends] == [0, 1] and ends[0].message == message


def test_a_trial_is_pruned_before_its_last_epoch_never_after_it(tmp_path):
    """A median pruner with no warm-up prunes the worse of two trials at its first
    epoch; with one epoch, that is its last: its training is over and its value counts."""
    doc = Project.open(mlp_project(tmp_path, [LR])).doc
    states = {}
    for epochs in (1, 2):
        doc.training["epochs"] = epochs
        driver = SearchDriver(doc, options(tmp_path, study_name=f"e{epochs}", pruner={
            "name": "median", "n_startup_trials": 1, "n_warmup_steps": 0}))
        study = driver.open()
        study.enqueue_trial({"training.optimizer.learning_rate": 0.01})
        study.enqueue_trial({"training.optimizer.learning_rate": 1e-4})
        states[epochs] = [t.state.name for t in sorted(driver.run().trials,
                                                       key=lambda t: t.number)]
    assert states[1] == ["COMPLETE", "COMPLETE"]
    assert states[2] == ["COMPLETE", "PRUNED"]


def test_values_that_make_the_graph_invalid_fail_the_trial_before_training(tmp_path):
    # `validate` reports such a range; the driver still guards each trial on its own.
    doc = Project.open(mlp_project(tmp_path, [UNITS])).doc
    doc.search["params"][0].update(low=0, high=8)
    del doc.search["params"][0]["step"]
    driver = SearchDriver(doc, options(tmp_path, trials=1))
    driver.open().enqueue_trial({"hidden.units": 0})
    (trial,) = driver.run().trials
    assert trial.state.name == "FAIL"
    message = trial.user_attrs[studies.MESSAGE]
    assert message.startswith("The graph is invalid with these values: hidden:")
    assert "units=0" in message


def test_a_trial_confirms_its_pause_holds_until_resumed_and_stop_ends_the_study(tmp_path):
    # The child trains on while the pause travels to it: the test waits for the trial's own
    # word that it holds (TrialPaused), and for its word that it goes on, never for a time.
    import threading

    doc = Project.open(mlp_project(tmp_path, [UNITS], epochs=40)).doc
    seen: list = []

    def on_event(event):
        seen.append(event)
        if isinstance(event, TrialEpoch) and event.epoch == 0:
            driver.pause()
        elif isinstance(event, TrialPaused):  # an epoch in the hold would be seen now
            threading.Timer(0.5, driver.resume).start()
        elif isinstance(event, TrialEpoch) and any(isinstance(e, TrialResumed) for e in seen):
            driver.stop()

    driver = SearchDriver(doc, options(tmp_path, trials=3), on_event=on_event)
    (trial,) = driver.run().trials  # no new trial after the stop
    paused, resumed = (next(e for e in seen if isinstance(e, kind))
                       for kind in (TrialPaused, TrialResumed))
    assert seen.index(resumed) == seen.index(paused) + 1  # nothing came while it held
    after = next(e for e in seen[seen.index(resumed):] if isinstance(e, TrialEpoch))
    assert 1 <= paused.epoch == resumed.epoch == after.epoch  # held in the epoch that ends next
    # 270 training samples (360 less the validation quarter) in batches of 32
    assert paused.batches == math.ceil(270 / 32) and 0 <= paused.batch < paused.batches
    assert trial.state.name == "FAIL"
    assert trial.user_attrs[studies.MESSAGE].startswith("Stopped by the user after epoch")
    assert trial.user_attrs[PAUSED_S] == resumed.paused_s > 0
    assert studies.trial_summary(trial)["duration_s"] == pytest.approx(
        trial.duration.total_seconds() - resumed.paused_s)


def test_cli_json_summary_lists_trials_states_values_params_and_best(tmp_path, capsys):
    project = mlp_project(tmp_path, [UNITS, {**LR, "high": 0.05}], epochs=1)
    code = main(["search", str(project), "--trials", "2", "--seed", "1", "--json",
                 "--best-project", str(tmp_path / "best.json"),
                 "--best-model", str(tmp_path / "best.keras")])
    out, err = capsys.readouterr()
    assert code == 0, err
    # the window's checks ran first, Keras building the sampled models, then the study
    lines = err.splitlines()
    builds = [i for i, line in enumerate(lines) if "check: building model" in line]
    opened = next(i for i, line in enumerate(lines) if line.startswith(
        "kerascanvas search: study 'mlp'"))
    assert "the lows (" in lines[builds[0]] and "the highs (" in lines[builds[1]]
    assert len(builds) >= 3 and builds[-1] < opened
    summary = json.loads(out)
    assert summary["study"] == "mlp" and summary["direction"] == "maximize"
    assert summary["storage"] == str(tmp_path / "mlp.study.log")  # beside the project
    assert [t["number"] for t in summary["trials"]] == [0, 1]
    assert {t["state"] for t in summary["trials"]} == {"complete"}
    for trial in summary["trials"]:
        assert set(trial["params"]) == {"hidden.units", "training.optimizer.learning_rate"}
        assert trial["params"]["hidden.units"] % 4 == 0 and 0 <= trial["value"] <= 1
        assert list(trial["curve"]) == ["0"]  # one epoch reported (JSON keys are text)
    best = max(summary["trials"], key=lambda t: t["value"])
    assert summary["best"]["number"] == best["number"]
    written = Project.open(tmp_path / "best.json").doc
    assert written.find("hidden").params["units"] == best["params"]["hidden.units"]
    check_best_model(tmp_path / "best.keras", best["params"])
    assert f"the model of trial {best['number']} " in err


def check_best_model(path: Path, params: dict) -> None:
    """The kept model is the trained model of the trial with `params` (its units and
    learning rate, as Keras loads them), and no other trial's model is left beside it."""
    import keras

    model = keras.saving.load_model(path, safe_mode=True)
    assert model.get_layer("hidden").get_config()["units"] == params["hidden.units"]
    rate = params.get("training.optimizer.learning_rate")
    if rate is not None:
        assert float(model.optimizer.learning_rate) == pytest.approx(rate, rel=1e-6)
    assert sorted(p.name for p in path.parent.glob("*.keras")) == [path.name]


@pytest.mark.parametrize("change, expected", [
    ({"search": {"params": []}}, "lists no parameter to search"),
    ({"search": {"metric": "val_auc", "params": [{"node": "n2", **UNITS}]}},
     "does not log 'val_auc'"),
    ({"search": {"params": [{"node": "n2", **UNITS, "low": 0}]}}, "hidden.units"),
])
def test_a_search_that_cannot_start_says_why_before_any_trial(tmp_path, capsys, change,
                                                              expected):
    project = mlp_project(tmp_path, [UNITS])
    data = json.loads(project.read_text())
    data.update(change)
    project.write_text(json.dumps(data))
    assert main(["search", str(project)]) == 1
    assert expected in capsys.readouterr().err
    assert not (tmp_path / "mlp.study.log").exists()


def test_an_unknown_sampler_is_refused_naming_the_choices(tmp_path, capsys):
    project = mlp_project(tmp_path, [UNITS])
    assert main(["search", str(project), "--sampler", "annealing"]) == 1
    assert "unknown sampler 'annealing'; expected one of tpe, random" in \
        capsys.readouterr().err


def test_slots_split_the_cpu_threads_or_give_each_trial_a_gpu(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)), raising=False)
    assert [s["threads"] for s in plan_slots(3, "auto")] == [2, 2, 2]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,1")
    slots = plan_slots(2, "auto")
    assert [s["env"] for s in slots] == [{"CUDA_VISIBLE_DEVICES": "0"},
                                         {"CUDA_VISIBLE_DEVICES": "1"}]
    assert plan_slots(2, "cpu")[0]["env"] == {}


# ---- slow: the full digits search, several processes -------------------------------------
@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_a_seeded_six_trial_digits_search_beats_a_bad_fixed_setting(tmp_path):
    from kerascanvas.runtime.train import load_checked_data, prepare, train

    project = tmp_path / "digits_search.json"
    project.write_bytes(EXAMPLE.read_bytes())
    out = subprocess.run([sys.executable, "-m", "kerascanvas.app.cli", "search", str(project),
                          "--trials", "6", "--seed", "0", "--epochs", "2", "--json",
                          "--pruner", "none"],
                         capture_output=True, text=True, timeout=3000, check=True)
    summary = json.loads(out.stdout)
    assert summary["counts"] == {"complete": 6}
    # The same CNN with a rate far too small and most units dropped: a bad fixed setting.
    doc = Project.open(project).doc
    doc.find("dropout").params["rate"] = 0.9
    doc, settings = prepare(doc, {"epochs": 2, "optimizer": {"name": "adam",
                                                             "learning_rate": 1e-5}})
    bad = train(doc, load_checked_data(doc, settings), threads=1)
    assert summary["best"]["value"] > bad.history["val_accuracy"][-1] + 0.2


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_two_processes_sharing_a_storage_run_distinct_trials_of_one_study(tmp_path):
    project = mlp_project(tmp_path, [UNITS, {**LR, "high": 0.05}], epochs=1)
    storage = tmp_path / "shared.log"
    command = [sys.executable, "-m", "kerascanvas.app.cli", "search", str(project),
               "--trials", "3", "--storage", str(storage), "--study", "shared", "--seed", "0"]
    runs = [subprocess.Popen(command, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    logs = [p.communicate(timeout=3000)[1] for p in runs]
    assert [p.returncode for p in runs] == [0, 0], logs
    started = [{int(line.split()[3]) for line in log.splitlines()
                if line.startswith("kerascanvas search: trial") and "started" in line}
               for log in logs]
    assert len(started[0]) == len(started[1]) == 3 and not started[0] & started[1]
    study = studies.load_study("shared", str(storage))
    assert sorted(t.number for t in study.trials) == list(range(6))
    # one seed for both: trial N draws with seed + N, so no two trials draw alike
    assert len({tuple(sorted(t.params.items())) for t in study.trials}) == 6


def test_the_driver_applies_overrides_without_loading_keras(tmp_path):
    """The window runs the driver in a thread of its own process: opening a study with
    overrides must not load Keras there (seconds of a held interpreter on a busy machine;
    the trials and checks train in processes of their own)."""
    code = ("import sys\n"
            "from kerascanvas.graph.projectfile import load\n"
            "from kerascanvas.runtime.search.driver import SearchDriver, SearchOptions\n"
            f"doc = load({str(EXAMPLE)!r})\n"
            "driver = SearchDriver(doc, SearchOptions(storage='s.log', study_name='t',\n"
            "                                         overrides={'epochs': 1}))\n"
            "assert driver.doc.training['epochs'] == 1 and driver.doc is not doc\n"
            "print(sorted(m for m in ('keras', 'torch') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"


def test_space_doctest():
    import doctest

    from kerascanvas.runtime.search import space

    result = doctest.testmod(space)
    assert result.failed == 0 and result.attempted > 0


@pytest.mark.parametrize("storage", [
    "journal.log",
    pytest.param("sqlite:///{tmp}/study.db", marks=pytest.mark.slow),  # SQLAlchemy: seconds
])
def test_a_study_is_joined_from_its_storage_and_keeps_its_direction(tmp_path, storage):
    where = storage.format(tmp=tmp_path) if "://" in storage else str(tmp_path / storage)
    first = studies.open_study("s", where, "maximize")
    first.enqueue_trial({"x": 1.0})
    again = studies.open_study("s", where, "maximize")  # a second process joins
    assert again._study_id == first._study_id and len(again.trials) == 1
    with pytest.raises(studies.StudyError, match="is set to maximize, but this search would "
                                                 "minimize"):
        studies.open_study("s", where, "minimize")
