"""The checks before a study: the sampled models (the lows, the highs, random draws, with
conditions), and a build that Keras refuses named by its trial, values and node."""

from __future__ import annotations

import pytest

from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.layers import custom
from kerascanvas.graph.project import Project
from kerascanvas.graph.projectfile import save
from kerascanvas.runtime.search.checks import run_checks, sampled_values
from tests.runtime.test_search import LR


def conditional_doc() -> Document:
    doc = Document()
    x = doc.add_node("Input", "x", {"shape": [8]})
    h = doc.add_node("Dense", "hidden", {"units": 16, "activation": "relu"})
    doc.connect(Edge(x.id, 0, h.id, 0))
    doc.set_outputs([h.id])
    doc.search = {"params": [
        {"node": h.id, "param": "activation", "type": "choice", "choices": ["relu", "tanh"]},
        {"node": h.id, "param": "units", "type": "int", "low": 4, "high": 64, "step": 4,
         "when": {"node": h.id, "param": "activation", "in": ["tanh"]}},
        {**LR, "high": 0.1}]}
    return doc


def test_the_lows_the_highs_and_random_draws_are_sampled_with_their_conditions():
    doc = conditional_doc()
    h = doc.find("hidden").id
    samples = dict(sampled_values(doc, draws=6))
    assert samples["the lows"] == {(h, "activation"): "relu",
                                   ("training", "optimizer.learning_rate"): 1e-4}
    assert samples["the highs"] == {(h, "activation"): "tanh", (h, "units"): 64,
                                    ("training", "optimizer.learning_rate"): 0.1}
    for label, values in samples.items():
        assert ((h, "units") in values) == (values[(h, "activation")] == "tanh"), label
        assert 4 <= values.get((h, "units"), 4) <= 64 and values[(h, "units")] % 4 == 0 \
            if (h, "units") in values else True
    graphs = [tuple(sorted((k, v) for k, v in values.items() if k[0] != "training"))
              for values in samples.values()]
    assert len(graphs) == len(set(graphs))  # the same model is built once


def pooled_project(tmp_path, marker) -> str:
    """Input (None, 4) -> Dense(units searched 4..64) -> Pool (custom code that writes its
    process id to `marker` whenever it runs, and refuses more than 32 features) -> Dense.
    Synthetic data: the unknown length gets a size, so Keras computes Pool's shapes anew."""
    source = ("import os\nimport keras\n\n\nclass Pool(keras.layers.Layer):\n"
              f"    open({str(marker)!r}, 'a').write(f'{{os.getpid()}}\\n')\n\n"
              "    def call(self, x):\n"
              f"        open({str(marker)!r}, 'a').write(f'{{os.getpid()}}\\n')\n"
              "        if x.shape[-1] > 32:\n"
              "            raise ValueError(f'Pool takes at most 32 features. '\n"
              "                             f'Received: {x.shape[-1]}')\n"
              "        return keras.ops.mean(x, axis=1)\n")
    doc = Document()
    x = doc.add_node("Input", "seq", {"shape": [None, 4]})
    h = doc.add_node("Dense", "hidden", {"units": 16, "activation": "relu"})
    pool = doc.add_node("CustomLayer", "pool", {"class_name": "Pool", "source": source})
    out = doc.add_node("Dense", "label", {"units": 3, "activation": "softmax"})
    for a, b in ((x, h), (h, pool), (pool, out)):
        doc.connect(Edge(a.id, 0, b.id, 0))
    doc.set_outputs([out.id])
    doc.training = {"data": "synthetic:64", "loss": "sparse_categorical_crossentropy",
                    "metrics": ["accuracy"], "epochs": 1, "batch_size": 16,
                    "validation_split": 0.25, "seed": 0}
    doc.search = {"metric": "val_accuracy", "params": [
        {"node": h.id, "param": "units", "type": "int", "low": 4, "high": 64, "step": 4}]}
    path = tmp_path / "pooled.json"
    save(doc, path)
    return str(path)


@pytest.mark.slow  # keras in this process; the window's test of the same check is default
def test_a_model_keras_refuses_names_its_trial_values_and_node(tmp_path):
    """The highs give Pool 64 features, which its code refuses when Keras builds it; the
    shape rules alone cannot know (a custom layer's shapes are Keras' to compute)."""
    marker = tmp_path / "pids.txt"
    project = Project.open(pooled_project(tmp_path, marker))
    digest = custom.code_digest(project.doc.find("pool").params)
    said = []
    found = run_checks(project.to_dict(), {}, [], said.append)
    assert len(found) == 1 and "custom code not trusted: pool" in found[0]
    assert not marker.exists()  # untrusted: nothing ran
    found = run_checks(project.to_dict(), {}, [digest], said.append)
    assert len(found) == 1, found
    assert found[0].startswith("trial build of the highs (hidden.units=64): ")
    assert "pool" in found[0] and "Pool takes at most 32 features. Received: 64" in found[0]
    assert any(text.startswith("building model 1 of") and "hidden.units=4" in text
               for text in said), said
    missing = str(tmp_path / "missing.npz")  # the tab's overrides reach the checks
    (found,) = run_checks(project.to_dict(), {"data": missing}, [digest], said.append)
    assert missing in found
