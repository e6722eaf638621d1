"""Wrapper kinds: Bidirectional, TimeDistributed, SpectralNormalization and Pipeline.

A wrapper node holds its inner layer in its `layer` param, a nested dict
`{"kind": "LSTM", "params": {"units": 32}}` (plus an optional "name"; the inner
layer is otherwise named after its kind, as Keras names a layer). The inner kind
is one of the table's kinds that the wrapper accepts, and its params are checked
by that kind's own spec (bounds, choices, cross-parameter checks). The shape and
count rules run the inner kind's rules:

- TimeDistributed applies the layer to every step: input (batch, time, *rest),
  the inner rule on (batch, *rest), output (batch, time, *inner_rest).
- Bidirectional runs a recurrent layer forwards and a copy backwards (twice the
  weights). merge_mode concat doubles the last dim, sum/mul/ave keep it, None
  gives two output ports. With return_state the forward then the backward states
  follow on more ports; with initial_state both directions start from states given
  on input ports (forward first, see `recurrent_state`).
- SpectralNormalization normalizes the inner kernel by its largest singular value,
  estimated by power iteration on a non-trainable vector u of the kernel's last dim.
- Pipeline holds a list of inner layers (`layers`), applied in turn; its rules chain
  the inner rules.

The inner layer param is read in `wrapper_inner`, the rules are in `wrapper_rules`.

>>> spec = get_spec("Bidirectional")
>>> p = spec.resolve({"layer": {"kind": "LSTM", "params": {"units": 8}}})
>>> spec.output_shapes(p, [(None, 5, 3)]), spec.count(p, [(None, 5, 3)])
([(None, 16)], (768, 0))
"""

from __future__ import annotations

from ..errors import ParamError, ShapeError  # noqa: F401 - importable here as before
from ..params import REQUIRED, ParamSpec
from ..shapes import fmt, require_min_rank  # noqa: F401 - importable here as before
from ..spec import (  # noqa: F401 - AS_LISTS and get_spec importable here as before
    AS_LISTS,
    GENERIC,
    INPUT,
    LAYER_SPECS,
    SHARED_CALL,
    LayerSpec,
    Sample,
    get_spec,
    register,
)
from .recurrent_state import (  # noqa: F401 - check_states importable here as before
    BIDIRECTIONAL_PORTS,
    check_states,
    initial_state_param,
)
from .wrapper_inner import (  # noqa: F401 - public here too
    coerce_inner,
    coerce_inner_list,
    inner,
    inner_name,
    inner_names,
    layer_param,
)
from .wrapper_rules import (
    KERNEL_LAST,
    bidirectional_check,
    bidirectional_count,
    bidirectional_nests,
    bidirectional_outputs,
    bidirectional_shape,
    chain,
    pipeline_count,
    spectral_count,
    time_distributed_count,
    time_distributed_shape,
)

WRAPPERS = ("Bidirectional", "TimeDistributed", "SpectralNormalization", "Pipeline")
_RECURRENT = ("LSTM", "GRU", "SimpleRNN", "RNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D")


# -- Bidirectional ------------------------------------------------------------------------

register(LayerSpec(
    kind="Bidirectional",
    category="Recurrent",
    doc="Runs a recurrent layer forwards and backwards and merges the two outputs",
    params=(
        layer_param(_RECURRENT, {"kind": "LSTM", "params": {"units": 32}},
                    "The recurrent layer run both ways"),
        ParamSpec("merge_mode", "choice", default="concat",
                  choices=("concat", "sum", "mul", "ave", None),
                  doc="How the two directions combine; empty: two separate outputs"),
        initial_state_param(),
    ),
    shape=bidirectional_shape,
    count=bidirectional_count,
    check=bidirectional_check,
    outputs=bidirectional_outputs,
    nested_outputs=bidirectional_nests,
    unexposed=("backward_layer",),
    keyword_ports=BIDIRECTIONAL_PORTS,
    samples=(
        Sample({"layer": {"kind": "LSTM", "params": {"units": 4}}}, ((None, 6, 3),)),
        Sample({"layer": {"kind": "GRU", "params": {"units": 3, "return_sequences": True}},
                "merge_mode": "sum"}, ((None, None, 5),)),
        Sample({"layer": {"kind": "LSTM", "params": {"units": 2, "return_state": True}},
                "merge_mode": None}, ((2, 4, 3),)),
        Sample({"layer": {"kind": "SimpleRNN", "params": {"units": 5, "return_state": True,
                                                          "return_sequences": True}},
                "merge_mode": "ave"}, ((None, 4, 3),)),
        Sample({"layer": {"kind": "ConvLSTM1D", "params": {"filters": 2, "kernel_size": 3},
                          "name": "conv"}, "merge_mode": "mul"}, ((None, 3, 8, 2),)),
        Sample({"layer": {"kind": "LSTM", "params": {"units": 4, "go_backwards": True}}},
               ((None, 6, 3),)),
        Sample({"layer": {"kind": "LSTM", "params": {"units": 4}}}, ((None, 6),)),
        Sample({"layer": {"kind": "LSTM", "params": {"units": 3, "return_state": True}},
                "initial_state": True}, ((None, 6, 2), *[(None, 3)] * 4)),
        Sample({"layer": {"kind": "GRU", "params": {"units": 3, "return_sequences": True}},
                "initial_state": True, "merge_mode": None}, ((None, 6, 2), (None, 3), (None, 3))),
        Sample({"layer": {"kind": "LSTM", "params": {"units": 3}}, "initial_state": True},
               ((None, 6, 2), (None, 3), (None, 3), (None, 4), (None, 3))),
        Sample({"layer": {"kind": "ConvLSTM1D", "params": {"filters": 2, "kernel_size": 3}},
                "initial_state": True}, ((None, 3, 8, 2), *[(None, 6, 2)] * 4)),
        Sample({"layer": {"kind": "RNN", "params": {"return_state": True, "cell": [
            {"kind": "GRUCell", "params": {"units": 3}},
            {"kind": "SimpleRNNCell", "params": {"units": 4}}]}}}, ((None, 5, 3),)),
        Sample({"layer": {"kind": "RNN", "params": {"cell": {
            "kind": "LSTMCell", "params": {"units": 3}}}}, "initial_state": True,
                "merge_mode": "sum"}, ((None, 5, 2), *[(None, 3)] * 4)),
        Sample({"layer": {"kind": "RNN", "params": {"return_state": True, "cell": [
            {"kind": "LSTMCell", "params": {"units": 3}},
            {"kind": "GRUCell", "params": {"units": 2}}]}}, "initial_state": True},
               ((None, 5, 3), *[(None, 3), (None, 3), (None, 2)] * 2)),
    ),
))


# -- TimeDistributed ----------------------------------------------------------------------


def _per_step_kinds() -> tuple[str, ...]:
    """Kinds with one input of their own that TimeDistributed can apply per step."""
    skip = {INPUT, GENERIC, SHARED_CALL, *WRAPPERS}
    return tuple(sorted(k for k, s in LAYER_SPECS.items()
                        if k not in skip and not s.is_composite and s.category != "Blocks"
                        and s.min_inputs == 1 and s.max_inputs == 1
                        and s.keras_module == "keras.layers"))


register(LayerSpec(
    kind="TimeDistributed",
    category="Recurrent",
    doc="Applies a layer to every step of a sequence (axis 1), with the same weights",
    params=(layer_param(_per_step_kinds(), {"kind": "Dense", "params": {"units": 32}},
                        "The layer applied to each step"),),
    shape=time_distributed_shape,
    count=time_distributed_count,
    samples=(
        Sample({"layer": {"kind": "Dense", "params": {"units": 4}}}, ((None, 6, 3),)),
        Sample({"layer": {"kind": "Conv2D", "params": {"filters": 2, "kernel_size": 3}}},
               ((None, None, 8, 8, 3),)),
        Sample({"layer": {"kind": "Flatten", "params": {}}}, ((2, 5, 4, 3),)),
        Sample({"layer": {"kind": "LSTM", "params": {"units": 3}, "name": "step_lstm"}},
               ((None, 4, 6, 2),)),
        Sample({"layer": {"kind": "Dense", "params": {"units": 4}}}, ((None, 6),)),
        Sample({"layer": {"kind": "Conv2D", "params": {"filters": 2, "kernel_size": 3}}},
               ((None, 4, 8, 3),)),
    ),
))


# -- SpectralNormalization ----------------------------------------------------------------

register(LayerSpec(
    kind="SpectralNormalization",
    category="Normalization",
    doc="Divides a layer's kernel by its spectral norm (largest singular value)",
    params=(
        layer_param(tuple(KERNEL_LAST), {"kind": "Dense", "params": {"units": 32}},
                    "The layer whose kernel is normalized"),
        ParamSpec("power_iterations", "int", default=1, min=1,
                  doc="Power-iteration steps per call that estimate the norm"),
    ),
    shape=lambda params, inputs: inner(params)[0].shape(inner(params)[1], inputs),
    count=spectral_count,
    samples=(
        Sample({"layer": {"kind": "Dense", "params": {"units": 4}}}, ((None, 6),)),
        Sample({"layer": {"kind": "Conv2D", "params": {"filters": 3, "kernel_size": 3}},
                "power_iterations": 2}, ((None, 8, 8, 2),)),
        Sample({"layer": {"kind": "Conv2DTranspose", "params": {"filters": 3, "kernel_size": 2}}},
               ((None, 4, 4, 5),)),
        Sample({"layer": {"kind": "DepthwiseConv2D",
                          "params": {"kernel_size": 3, "depth_multiplier": 2}}},
               ((None, 6, 6, 3),)),
        Sample({"layer": {"kind": "Embedding", "params": {"input_dim": 10, "output_dim": 4}}},
               ((None, 5),)),
        Sample({"layer": {"kind": "Conv1D", "params": {"filters": 3, "kernel_size": 2}}},
               ((None, 8, 2),)),
    ),
))


# -- Pipeline -----------------------------------------------------------------------------

register(LayerSpec(
    kind="Pipeline",
    category="Preprocessing",
    doc="Several layers applied in turn, as one layer (a preprocessing pipeline)",
    params=(ParamSpec("layers", "layers", default=REQUIRED, choices=_per_step_kinds(),
                      initial=[{"kind": "Rescaling", "params": {"scale": 1 / 255}}],
                      doc="The layers, in order, each with its params"),),
    shape=lambda params, inputs: chain(params, inputs)[-1],
    count=pipeline_count,
    freezable=False,  # Keras' Pipeline takes only layers and name
    samples=(
        Sample({"layers": [{"kind": "Rescaling", "params": {"scale": 0.5}},
                           {"kind": "Dense", "params": {"units": 3}}]}, ((None, 4),)),
        Sample({"layers": [{"kind": "Conv2D", "params": {"filters": 2, "kernel_size": 3}},
                           {"kind": "Conv2D", "params": {"filters": 3, "kernel_size": 3}},
                           {"kind": "Flatten", "params": {}}]}, ((None, 7, 7, 1),)),
        Sample({"layers": [{"kind": "Dense", "params": {"units": 3}},
                           {"kind": "Conv2D", "params": {"filters": 3, "kernel_size": 3}}]},
               ((None, 4),)),
    ),
))
