"""The Code panel's text: the model's code, or why the training script is refused."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from kerascanvas.app.panels.code import CodePanel
from kerascanvas.graph import projectfile
from kerascanvas.graph.training_schema import refused_training

from .conftest import two_inputs_added
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


def test_why_a_style_does_not_apply_is_read_without_scrolling(qtbot):
    """'The sequential style does not apply: node ...' was one line of 150 characters in a
    panel 45 wide: its end was out of sight."""
    from kerascanvas.codegen import CodegenError, generate

    doc = two_inputs_added()
    panel = CodePanel(SimpleNamespace(doc=doc, analysis=None))
    qtbot.addWidget(panel)
    panel.style_box.setCurrentText("sequential")
    lines = panel.text.toPlainText().splitlines()
    assert not panel.ok and all(line.startswith("#") for line in lines)
    assert max(map(len, lines)) <= 80
    with pytest.raises(CodegenError) as refused:
        generate(doc, style="sequential")
    said = " ".join(line[2:] for line in lines[1:])
    assert said.split() == str(refused.value).split()


def test_an_empty_project_is_a_start_not_two_errors(qtbot):
    """The Code panel of a new project said 'The model has 2 error(s)' (no Input, no
    outputs) while the Issues list and the status bar said 0 errors."""
    from kerascanvas.graph.document import Document

    panel = CodePanel(SimpleNamespace(doc=Document(), analysis=None))
    qtbot.addWidget(panel)
    panel.regenerate()
    text = panel.text.toPlainText()
    assert not panel.ok and "empty" in text and "error" not in text


@pytest.mark.parametrize("example", ["mnist_mlp", "mnist_cnn", "small_resnet",
                                     "inception_net", "seq2seq", "customer_tickets"])
def test_the_sequential_style_is_disabled_where_it_cannot_write_the_graph(qtbot, example):
    """It was listed, and chosen it showed only why it did not apply: it stays listed,
    disabled where the code generator refuses the graph, with the reason as its tooltip."""
    from kerascanvas.codegen import CodegenError, generate

    doc = projectfile.load(EXAMPLES / f"{example}.json")
    panel = CodePanel(SimpleNamespace(doc=doc, analysis=None))
    qtbot.addWidget(panel)
    panel.regenerate()
    item = panel.style_box.model().item(panel.style_box.findText("sequential"))
    try:
        generate(doc, style="sequential")
        refused = None
    except CodegenError as error:
        refused = str(error)
    assert item.isEnabled() == (refused is None)
    tip = item.toolTip()
    assert (tip == "") if refused is None else (tip.split(": ", 1)[1] in refused)
    for style in ("functional", "subclass"):  # the others write every example
        assert panel.style_box.model().item(panel.style_box.findText(style)).isEnabled()
