"""The parameter totals are the model's: layers that lead to no output are not counted."""

from __future__ import annotations

import pytest

keras = pytest.importorskip("keras")

from kerascanvas.app.cli import main  # noqa: E402
from kerascanvas.graph.projectfile import save  # noqa: E402
from kerascanvas.graph.validate import analyze  # noqa: E402
from kerascanvas.runtime.build import build_model  # noqa: E402
from tests.graph.test_validate import make_doc  # noqa: E402


def with_a_branch_left_out():
    """A small CNN and a Dense beside its head that feeds no output (a layer dropped on the
    canvas and wired, not yet used): Keras' model leaves it out."""
    return make_doc([("image", "Input", {"shape": [8, 8, 1]}),
                     ("conv", "Conv2D", {"filters": 4, "kernel_size": 3}),
                     ("flat", "Flatten", {}),
                     ("out", "Dense", {"units": 10}),
                     ("extra", "Dense", {"units": 100})],
                    [("image", "conv", 0), ("conv", "flat", 0), ("flat", "out", 0),
                     ("flat", "extra", 0)], ["out"])


def test_totals_equal_keras_count_params_without_the_layers_left_out(tmp_path, capsys):
    doc = with_a_branch_left_out()
    analysis = analyze(doc)
    assert analysis.left_out == ["extra"]
    model = build_model(doc)
    assert "extra" not in [layer.name for layer in model.layers]
    trainable = sum(int(keras.ops.size(w)) for w in model.trainable_weights)
    assert analysis.total_params == (trainable, model.count_params() - trainable)
    path = tmp_path / "p.json"
    save(doc, path)
    main(["validate", str(path)])
    out = capsys.readouterr().out
    assert (f"Total params: {model.count_params():,} (not counting 'extra', left out of "
            "the model)") in out
