"""`codegen --script` runs the training section's two fine-tuning phases as the app does.

The generated script of a small MobileNetV2 transfer model (weights None, 32x32 input,
average pooling, Dense head) trains 1 + 1 epochs on synthetic data: phase 2 is
Keras' epoch 2/2 (the count continues through initial_epoch), and the trained
model is saved as a .keras file. The script's main() runs in this process: that a
generated script runs as a program of its own (choosing its backend itself) is
test_script.py's test_script_trains_one_epoch_and_saves.
"""

from __future__ import annotations

import re

import pytest

from kerascanvas.codegen import CodegenError, generate
from kerascanvas.graph.document import Document
from tests.codegen.helpers import add, add_input, example
from tests.codegen.test_script import run_script_here

PHASES = {"phase1_epochs": 1, "phase1_lr": 1e-3, "phase2_epochs": 1, "phase2_lr": 1e-5,
          "unfreeze_from": 100}


def transfer_doc(finetune=PHASES) -> Document:
    doc = Document()
    x = add_input(doc, "image", (None, 32, 32, 3))
    base = add(doc, "Application", "base", {"architecture": "MobileNetV2", "pooling": "avg"},
               [x])
    doc.outputs = [add(doc, "Dense", "head", {"units": 3, "activation": "softmax"}, [base])]
    doc.training = {"batch_size": 8, "data": "synthetic:16", "epochs": 5,
                    "finetune": dict(finetune)}
    return doc


def test_script_runs_both_phases_with_continued_epochs(tmp_path, monkeypatch, capsys):
    run_script_here(tmp_path, monkeypatch, generate(transfer_doc(), script=True),
                    "--save", "ft.keras")
    out = capsys.readouterr().out
    # Keras prints no "Epoch 1/1" header for a one-epoch fit; phase 2 continues at 2/2.
    assert re.findall(r"Epoch (\d+)/(\d+)", out) == [("2", "2")], out[-2000:]
    assert out.index("Phase 1: epochs 1-1") < out.index("Phase 2: epochs 2-2") < out.index(
        "Epoch 2/2")
    assert "learning rate 1e-05" in out
    saved = tmp_path / "ft.keras"
    assert saved.exists() and saved.stat().st_size > 0


def test_script_phases_follow_the_settings():
    source = generate(transfer_doc(), script=True)
    assert "APPLICATIONS = ['base']" in source
    assert "def make_optimizer(learning_rate):" in source
    assert "learning_rate=learning_rate" in source
    main = source.split("def main(")[1]
    assert main.index("base.trainable = False") < main.index("compile_for_phase(model, "
                                                             "FINETUNE['phase1_lr'])")
    assert "initial_epoch=first" in main and "unfreeze(bases, FINETUNE['unfreeze_from'])" in main


@pytest.mark.parametrize("field, value", [("phase1_epochs", 0), ("phase2_lr", -1.0),
                                          ("oops", 1)])
def test_bad_finetune_settings_name_the_field(field, value):
    with pytest.raises(CodegenError, match=f"training.finetune.{field}"):
        generate(transfer_doc({**PHASES, field: value}), script=True)


def test_finetune_without_an_application_is_refused():
    doc = example("mnist_mlp")
    doc.training = {**(doc.training or {}), "finetune": PHASES}
    with pytest.raises(CodegenError, match="Application"):
        generate(doc, script=True)


def test_codegen_accepts_what_the_runtime_accepts():
    from kerascanvas.codegen.finetune import finetune_settings
    from kerascanvas.runtime import finetune

    for field in PHASES:
        for value in (0, 1, 2.5, -1, True, "1", None):
            raw = {"finetune": {**PHASES, field: value}}
            try:
                expected = finetune.finetune_settings(raw)
            except finetune.FinetuneError:
                with pytest.raises(CodegenError, match=f"training.finetune.{field}"):
                    finetune_settings(raw)
            else:
                assert finetune_settings(raw) == expected
