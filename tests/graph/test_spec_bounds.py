"""Numeric parameter bounds of the LayerSpec table, probed against the Keras constructors.

At each bound (inside) Keras must accept the value, unless our own rules refuse it
too (a cross-parameter check). Just outside, Keras must refuse it, except where Keras'
constructor does not check that parameter at all; those are listed below, so a bound
that drifts, or a Keras release that starts checking, fails here by name.
"""

from __future__ import annotations

import warnings

import keras
import pytest

from kerascanvas.graph.errors import ParamError
from kerascanvas.graph.spec import LAYER_SPECS
from tests.keras_ref import keras_layer

# kind -> "param.min"/"param.max": bounds the Keras constructor does not enforce (it fails
# later, at call time, or never); ours keep the values meaningful all the same.
UNCHECKED_BY_KERAS = {
    "AdditiveAttention": {'dropout.min', 'dropout.max'},
    "Attention": {'dropout.min', 'dropout.max'},
    "AugMix": {'num_chains.min', 'alpha.min'},
    "BatchNormalization": {'momentum.min', 'momentum.max', 'epsilon.min',
                           'renorm_momentum.min', 'renorm_momentum.max'},
    "CenterCrop": {'height.min', 'width.min'},
    "ContrastLimitedAdaptiveHistogramEqualization": {'clip_limit.min'},
    "ConvLSTM1D": {'filters.min', 'dropout.min', 'dropout.max', 'recurrent_dropout.min',
                    'recurrent_dropout.max'},
    "ConvLSTM2D": {'filters.min', 'dropout.min', 'dropout.max', 'recurrent_dropout.min',
                    'recurrent_dropout.max'},
    "ConvLSTM3D": {'filters.min', 'dropout.min', 'dropout.max', 'recurrent_dropout.min',
                    'recurrent_dropout.max'},
    "Discretization": {'epsilon.min'},
    "EinsumDense": {'lora_rank.min', 'lora_alpha.min'},
    "Equalization": {'bins.min'},
    "GRU": {'dropout.min', 'dropout.max', 'recurrent_dropout.min', 'recurrent_dropout.max'},
    "GroupNormalization": {'epsilon.min'},
    "GroupQueryAttention": {'num_query_heads.min', 'dropout.min', 'dropout.max'},
    "Input": {'batch_size.min'},
    "LSTM": {'dropout.min', 'dropout.max', 'recurrent_dropout.min', 'recurrent_dropout.max'},
    "LayerNormalization": {'epsilon.min'},
    "MelSpectrogram": {'fft_length.min', 'sequence_stride.min', 'sequence_length.min',
                       'sampling_rate.min', 'num_mel_bins.min', 'min_freq.min', 'max_freq.min',
                       'top_db.min', 'min_power.min', 'ref_power.min'},
    "MixUp": {'alpha.min'},
    "MultiHeadAttention": {'dropout.min', 'dropout.max'},
    "RMSNormalization": {'epsilon.min'},
    "RandAugment": {'num_ops.min'},
    "RandomCrop": {'height.min', 'width.min'},
    "Resizing": {'height.min', 'width.min'},
    "ReversibleEmbedding": {'logit_soft_cap.min'},
    "SimpleRNN": {'dropout.min', 'dropout.max', 'recurrent_dropout.min', 'recurrent_dropout.max'},
}


def _bounded(spec):
    return [p for p in spec.params
            if p.type in ("int", "float") and (p.min is not None or p.max is not None)]


KINDS = sorted(k for k, s in LAYER_SPECS.items()
               if hasattr(keras.layers, k) and not s.is_composite and _bounded(s))


def _cases(p):
    """(side, inside value, just-outside value) for each bound of `p`."""
    step = 1 if p.type == "int" else 1e-3
    cast = int if p.type == "int" else float
    if p.min is not None:
        inside = p.min + step if p.min_exclusive else p.min
        yield "min", cast(inside), cast(p.min if p.min_exclusive else p.min - step)
    if p.max is not None:
        yield "max", cast(p.max), cast(p.max + step)


def _keras_accepts(kind: str, params: dict) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:  # keras_layer makes a wrapper's inner layer the Keras object it describes
            keras_layer(LAYER_SPECS[kind], params)
        except Exception:  # noqa: BLE001 - any refusal counts
            return False
    return True


def _we_accept(spec, params: dict) -> bool:
    try:
        spec.resolve(params)
    except ParamError:
        return False
    return True


@pytest.mark.parametrize("kind", KINDS)
def test_bounds_match_keras(kind):
    spec, unchecked = LAYER_SPECS[kind], set()
    base = spec.initial_params()
    for p in _bounded(spec):
        for side, inside, outside in _cases(p):
            params = {**base, p.name: inside}
            if _we_accept(spec, params):
                assert _keras_accepts(kind, params), f"{kind}({p.name}={inside}) is refused"
            assert not _we_accept(spec, {**base, p.name: outside})
            if _keras_accepts(kind, {**base, p.name: outside}):
                unchecked.add(f"{p.name}.{side}")
    assert unchecked == UNCHECKED_BY_KERAS.get(kind, set())
