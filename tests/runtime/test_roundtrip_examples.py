"""The example-style models of tests/keras_examples/ round-trip against Keras.

Each model is imported, saved and loaded as a project file, validated (our shapes equal
Keras' at every layer) and rebuilt by the runtime build and by executing the generated
code; both must equal the original (tests/roundtrip.py: count_params, the trainable
and non-trainable counts, each layer's class and get_config(), the nesting, and the
forward outputs with the original's weights). `list_arguments` is compared as saved (a
tuple equal to a list). A top-level Sequential comes back as a
Sequential from the Sequential code style, and as an equal functional model from the
build.
"""

from __future__ import annotations

import json

import pytest

keras = pytest.importorskip("keras")

from kerascanvas.codegen import CodegenError, generate  # noqa: E402
from kerascanvas.graph.projectfile import from_dict, to_dict  # noqa: E402
from kerascanvas.runtime.build import build_model  # noqa: E402
from kerascanvas.runtime.importer import import_model, import_model_report  # noqa: E402
from tests import keras_examples as ex  # noqa: E402
from tests.roundtrip import (  # noqa: E402
    assert_rebuild_equal,
    assert_rebuilds_equal,
    assert_same_model,
    assert_same_outputs,
    assert_shapes_match_keras,
    exec_generated,
)

# Slower than about a second each, or like a model of test_roundtrip_models: slow.
HEAVY = {ex.convnet_from_scratch, ex.mini_xception, ex.gru_masked_text, ex.conv_lstm_next_frame,
         ex.bidirectional_lstm_imdb, ex.transformer_text_classifier, ex.timeseries_transformer,
         ex.siamese_contrastive, ex.ensemble, ex.conv_autoencoder}
# Layers that keep a list argument as given: the document, JSON, holds a tuple and a list
# alike, and the rebuilt layer has a tuple; equal as Keras saves them (lists).
AS_SAVED = {ex.list_arguments}
CASES = [pytest.param(f, id=f.__name__, marks=[pytest.mark.slow] if f in HEAVY else [])
         for f in ex.EXAMPLES]


def imported(model):
    """The model's document, after a save and load as a project file."""
    return from_dict(json.loads(json.dumps(to_dict(import_model(model)))))


@pytest.mark.parametrize("make", CASES)
def test_example_round_trip(make):
    model = make()
    doc = imported(model)
    assert_shapes_match_keras(doc, model)
    if isinstance(model, keras.Sequential):
        assert_rebuild_equal(model, exec_generated(doc, style="sequential",
                                                   model_name=model.name))
        rebuilt = build_model(doc, name=model.name)
        assert_same_model(model, rebuilt)
        assert_same_outputs(model, rebuilt)
    else:
        assert_rebuilds_equal(model, doc, strict=make not in AS_SAVED)


def test_a_sequential_import_says_which_code_style_gives_it_back():
    report = import_model_report(ex.mnist_convnet())
    assert any("is a Sequential" in note and "--style sequential" in note
               for note in report.notes)
    assert not any("Sequential" in note for note in import_model_report(ex.unet()).notes)


def test_a_sequential_the_sequential_style_cannot_write_is_noted_so():
    # One Dense layer listed twice: its second call shares the first one's weights, which
    # a Sequential of the project cannot write; the note must not promise it.
    dense = keras.layers.Dense(3, name="dense")
    model = keras.Sequential([keras.Input((3,)), dense, dense], name="twice")
    report = import_model_report(model)
    (note,) = [note for note in report.notes if "is a Sequential" in note]
    assert "cannot write as one again" in note and "--style sequential" not in note
    with pytest.raises(CodegenError, match="sequential style does not apply"):
        generate(report.doc, style="sequential")
    assert_same_model(model, build_model(report.doc, name=model.name))
