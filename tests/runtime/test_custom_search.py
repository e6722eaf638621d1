"""Search trials carry the trust decision: a trusted project with a CustomLayer runs its
trials (each trial's worker gets the digests of the trusted code), an untrusted one is
refused before any trial starts, and its code never runs."""

from __future__ import annotations

import pytest

from kerascanvas.app.cli import main
from kerascanvas.graph import training_code
from kerascanvas.graph.document import Edge
from kerascanvas.graph.layers import custom
from kerascanvas.graph.project import Project
from kerascanvas.graph.projectfile import save
from kerascanvas.runtime import custom_code, trust
from kerascanvas.runtime.events import FAILED, FINISHED, EpochEnd
from kerascanvas.runtime.search import study as studies
from kerascanvas.runtime.search.child import train_trial
from kerascanvas.runtime.search.driver import SearchDriver
from kerascanvas.runtime.worker import Control
from tests.runtime.test_search import UNITS, mlp_project, options


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("KERASCANVAS_DATA_DIR", str(tmp_path / "data"))


def custom_project(tmp_path):
    """digits -> Dense(units, searched) -> Twice (custom: [x, x]) -> Dense(10); the class
    writes a marker file when it is defined, i.e. whenever its code runs."""
    marker = tmp_path / "ran.txt"
    source = ("import keras\n\n\nclass Twice(keras.layers.Layer):\n"
              f"    ran = open({str(marker)!r}, 'a').write('ran')\n\n"
              "    def call(self, x):\n"
              "        return keras.ops.concatenate([x, x], axis=-1)\n")
    path = mlp_project(tmp_path, [UNITS], epochs=1)
    project = Project.open(path)
    doc = project.doc
    hidden, digit = doc.find("hidden"), doc.find("digit")
    doc.disconnect(Edge(hidden.id, 0, digit.id, 0))
    twice = doc.add_node("CustomLayer", "twice", {"class_name": "Twice", "source": source})
    doc.connect(Edge(hidden.id, 0, twice.id, 0))
    doc.connect(Edge(twice.id, 0, digit.id, 0))
    save(doc, path)
    return path, marker


def test_an_untrusted_search_is_refused_before_any_trial_and_runs_nothing(tmp_path, capsys):
    path, marker = custom_project(tmp_path)
    assert main(["search", str(path), "--trials", "1"]) == 4
    assert "custom code not trusted: 'twice' (Twice)" in capsys.readouterr().err
    doc = Project.open(path).doc
    with pytest.raises(studies.StudyError, match="no trial started, nothing ran"):
        SearchDriver(doc, options(tmp_path, trials=1)).open()  # trust not handed over
    assert not marker.exists()
    assert not (tmp_path / "mlp.study.log").exists() and not (tmp_path / "s.log").exists()


def test_a_trusted_search_passes_its_checks_before_the_first_trial(tmp_path):
    """The searched units sit before the custom layer: the values keep the project's
    trust, and the shapes they need are Keras' to compute in each trial."""
    from kerascanvas.runtime.search.preflight import problems

    path, _ = custom_project(tmp_path)
    doc = Project.open(path).doc
    assert "custom code not trusted" in " ".join(problems(doc, {"epochs": 1}))
    trust.apply(doc, True)
    custom_code.resolve(doc)
    assert problems(doc, {"epochs": 1}) == []


def test_the_trial_worker_runs_exactly_the_code_it_is_handed(tmp_path):
    """The trial's training function, here in-process (the driver starts it in a process
    of its own: the slow test below): no digests, no run; the digests, a trained trial."""
    path, marker = custom_project(tmp_path)
    document = Project.open(path).to_dict()
    document["search"] = {}
    events = []
    refused = train_trial({"document": document}, events.append, Control())
    assert refused.status == FAILED and "custom code not trusted: twice" in refused.message
    assert not marker.exists()
    digest = custom.code_digest(Project.open(path).doc.find("twice").params)
    done = train_trial({"document": document, "trusted_code": [digest]}, events.append,
                       Control())
    assert done.status == FINISHED, done.message
    assert marker.exists() and any(isinstance(e, EpochEnd) for e in events)


@pytest.mark.slow  # a trial process (keras preloaded in a fork server): about a minute here
def test_a_trusted_search_runs_its_trials_with_the_custom_layer(tmp_path):
    path, marker = custom_project(tmp_path)
    doc = Project.open(path).doc
    trust.apply(doc, True)  # what --trust-custom-code or the trust store decide
    custom_code.resolve(doc)
    driver = SearchDriver(doc, options(tmp_path, trials=1,
                                       trusted_code=custom.context(doc).trusted))
    driver.open().enqueue_trial({"hidden.units": 8})  # shapes the parent has not seen yet
    (trial,) = driver.run().trials
    assert trial.state.name == "COMPLETE", trial.user_attrs.get(studies.MESSAGE)
    assert 0 <= trial.value <= 1
    assert marker.exists()


def test_a_trial_trains_with_the_custom_loss_it_is_handed_trust_for(tmp_path):
    marker = tmp_path / "loss_ran.txt"
    path = mlp_project(tmp_path, [UNITS], epochs=1)
    project = Project.open(path)
    project.doc.training = {
        **project.doc.training, "loss": "my_sparse_ce",
        "custom_code": ("import keras\n\n"
                        f"open({str(marker)!r}, 'a').write('ran')\n\n\n"
                        "def my_sparse_ce(y_true, y_pred):\n"
                        "    return keras.losses.sparse_categorical_crossentropy(y_true, "
                        "y_pred)\n")}
    document = project.to_dict()
    document["search"] = {}
    refused = train_trial({"document": document}, lambda event: None, Control())
    assert refused.status == FAILED and "training code" in refused.message
    assert not marker.exists()
    digest = training_code.digest(project.doc.training)
    done = train_trial({"document": document, "trusted_code": [digest]}, lambda event: None,
                       Control())
    assert done.status == FINISHED, done.message
    assert marker.exists()
