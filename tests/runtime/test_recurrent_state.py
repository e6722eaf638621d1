"""Recurrent layers started from given states, against Keras.

For each kind with initial-state ports, the first sample of its spec that switches them
on becomes a document; the runtime build and the generated code (functional and
subclass) must equal the same layer that Keras builds and calls with
`initial_state=[...]`: output shapes, count_params, get_config and the forward outputs
with the same weights. A seq2seq model saved as `.keras` imports with the decoder as an
LSTM node (not a kept Keras config) and comes back exactly.
"""

from __future__ import annotations

import keras
import pytest

from kerascanvas.graph import LAYER_SPECS
from kerascanvas.graph.document import output_entry
from kerascanvas.runtime.build import build_model
from kerascanvas.runtime.import_map import ModelImportError
from kerascanvas.runtime.importer import import_file_report, import_model_report
from tests.codegen.helpers import sample_doc
from tests.keras_ref import call_layer, keras_layer
from tests.roundtrip import (
    as_saved,
    assert_rebuilds_equal,
    assert_shapes_match_keras,
    assert_subclass_rebuild_equal,
    exec_generated,
)

layers = keras.layers
STATEFUL = sorted(k for k, s in LAYER_SPECS.items()
                  if s.keyword_ports is not None and s.keyword_ports.param == "initial_state")


def first_state_sample(kind: str) -> int:
    """The index of the kind's first sample that passes initial states."""
    return next(i for i, s in enumerate(LAYER_SPECS[kind].samples)
                if s.params.get("initial_state"))


def keras_twin(kind: str, index: int):
    """The sample's layer as Keras builds it by hand, named as `sample_doc` names it."""
    spec, sample = LAYER_SPECS[kind], LAYER_SPECS[kind].samples[index]
    tensors = [keras.Input(batch_shape=shape, name=f"in_{i}")
               for i, shape in enumerate(sample.inputs)]
    layer = keras_layer(spec, dict(sample.params), name=f"{kind.lower()}_layer")
    outputs = call_layer(spec, layer, tensors, dict(sample.params))
    return keras.Model(tensors, outputs, name="model")


@pytest.mark.parametrize("kind", STATEFUL)
def test_a_layer_given_states_equals_keras(kind):
    index = first_state_sample(kind)
    doc, model = sample_doc(kind, index), keras_twin(kind, index)
    node = doc.outputs[0]  # every output port a model output, as in the twin
    doc.outputs = [output_entry(node, p) for p in range(len(model.outputs))]
    assert_shapes_match_keras(doc, model)
    assert_rebuilds_equal(model, doc)
    assert_subclass_rebuild_equal(model, exec_generated(doc, style="subclass"))


def seq2seq():
    """A Bidirectional encoder whose four states start a Bidirectional decoder, and an
    LSTM decoder started from the forward states and giving its own."""
    source = keras.Input((None, 5), name="source")
    target = keras.Input((None, 4), name="target")
    encoded, *states = layers.Bidirectional(layers.LSTM(6, return_state=True),
                                            name="encoder")(source)
    decoded = layers.Bidirectional(layers.LSTM(6, return_sequences=True),
                                   name="decoder")(target, initial_state=states)
    seq, h, c = layers.LSTM(6, return_sequences=True, return_state=True, name="refine")(
        decoded, initial_state=states[:2])
    tokens = layers.Dense(4, activation="softmax", name="next_token")(seq)
    return keras.Model([source, target], [tokens, h, c, encoded], name="seq2seq")


def test_a_saved_seq2seq_model_imports_as_palette_layers_and_comes_back(tmp_path):
    seq2seq().save(tmp_path / "seq2seq.keras")
    model = keras.saving.load_model(tmp_path / "seq2seq.keras", safe_mode=True)
    report = import_file_report(tmp_path / "seq2seq.keras")
    doc = report.doc
    assert report.generic == {}
    assert {n.name: (n.kind, n.params.get("initial_state")) for n in doc.nodes.values()
            if n.name in ("decoder", "refine")} == {"decoder": ("Bidirectional", True),
                                                    "refine": ("LSTM", True)}
    assert_shapes_match_keras(doc, model)
    assert_rebuilds_equal(model, doc, strict=False)  # loaded, it holds lists for tuples
    rebuilt = build_model(doc, name=model.name)  # the wiring too: the same .keras config
    assert as_saved(rebuilt.get_config()) == as_saved(model.get_config())


def test_a_shared_layer_given_states_at_each_call_shares_its_ports():
    a, b = keras.Input((5, 3), name="a"), keras.Input((5, 3), name="b")
    h = keras.Input((4,), name="h")
    rnn = layers.GRU(4, name="rnn")
    model = keras.Model([a, b, h], [rnn(a, initial_state=[h]), rnn(b, initial_state=h)])
    doc = import_model_report(model).doc
    assert doc.find("rnn_call1").kind == "SharedCall"
    assert_shapes_match_keras(doc, model)
    assert_rebuilds_equal(model, doc)


def test_a_shared_layer_given_states_at_one_call_only_is_refused():
    a, b = keras.Input((5, 3), name="a"), keras.Input((5, 3), name="b")
    h = keras.Input((4,), name="h")
    rnn = layers.GRU(4, name="rnn")
    model = keras.Model([a, b, h], [rnn(a, initial_state=[h]), rnn(b)])
    with pytest.raises(ModelImportError, match="'rnn' is called in different ways"):
        import_model_report(model)
