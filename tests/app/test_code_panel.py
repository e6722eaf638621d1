"""The Code panel's text: the model's code, or why the training script is refused."""

from __future__ import annotations

from types import SimpleNamespace

from kerascanvas.app.panels.code import CodePanel
from kerascanvas.graph import projectfile
from kerascanvas.graph.training_schema import refused_training

from .gestures import EXAMPLES


def test_the_training_script_view_refuses_what_run_refuses(qtbot):
    """It showed a script written from settings `kerascanvas run` refuses (an EarlyStopping
    monitor training never logs), without a word: it shows run's refusal instead."""
    doc = projectfile.load(EXAMPLES / "mnist_mlp.json")
    panel = CodePanel(SimpleNamespace(doc=doc, analysis=None))
    qtbot.addWidget(panel)
    panel.script_box.setChecked(True)
    assert panel.ok and "model.fit(" in panel.text.toPlainText()
    doc.training["callbacks"] = [{"name": "early_stopping", "monitor": "val_top_k"}]
    panel.regenerate()
    lines = panel.text.toPlainText().splitlines()
    assert not panel.ok and all(line.startswith("# ") for line in lines)  # no code
    said = " ".join(line[2:] for line in lines[1:])  # wrapped to fit the panel's width
    assert said == refused_training(doc) and "monitor: 'val_top_k'" in said
    assert max(map(len, lines)) <= 80
    panel.script_box.setChecked(False)  # the model alone is still shown
    assert panel.ok and "val_top_k" not in panel.text.toPlainText()
