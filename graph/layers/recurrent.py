"""Recurrent kinds: LSTM, GRU and SimpleRNN.

Input is (batch, timesteps, features). The output is the last step's output
(batch, units), or every step's with return_sequences (batch, timesteps, units).
With return_state the layer has more output ports: port 0 is the output, then
the final states (LSTM: h and c; GRU and SimpleRNN: h), each (batch, units).
With initial_state the layer starts from states given on more input ports
(see `recurrent_state`).

Weights per gate: kernel (features x units), recurrent kernel (units x units)
and a bias of units. LSTM has 4 gates, GRU 3 (reset_after keeps a second bias
for the recurrent part), SimpleRNN 1.
"""

from __future__ import annotations

from ..errors import ShapeError
from ..params import ParamSpec
from ..shapes import fmt, require_known, require_rank
from ..spec import LayerSpec, Sample, register
from .common import activation, rate, seed_param, use_bias
from .recurrent_state import check_states, initial_state_param, ports


def recurrent_weights(*, unit_forget_bias: bool) -> tuple[ParamSpec, ...]:
    """Initializers, regularizers and constraints of kernel, recurrent kernel and bias."""
    inits = [
        ParamSpec("kernel_initializer", "initializer", default="glorot_uniform",
                  doc="Initializer of the input kernel"),
        ParamSpec("recurrent_initializer", "initializer", default="orthogonal",
                  doc="Initializer of the recurrent kernel"),
        ParamSpec("bias_initializer", "initializer", default="zeros",
                  doc="Initializer of the bias"),
    ]
    if unit_forget_bias:
        inits.append(ParamSpec("unit_forget_bias", "bool", default=True,
                               doc="Start the forget gate's bias at 1"))
    weights = ("kernel", "recurrent", "bias")
    regs = [ParamSpec(f"{w}_regularizer", "regularizer", default=None,
                      doc=f"Regularizer of the {w} weights") for w in weights]
    regs.append(ParamSpec("activity_regularizer", "regularizer", default=None,
                          doc="Regularizer of the layer output"))
    cons = [ParamSpec(f"{w}_constraint", "constraint", default=None,
                      doc=f"Constraint on the {w} weights") for w in weights]
    return (*inits, *regs, *cons)


def sequence_flags() -> tuple[ParamSpec, ...]:
    return (
        ParamSpec("return_sequences", "bool", default=False,
                  doc="Output every step (batch, timesteps, units), not only the last"),
        ParamSpec("return_state", "bool", default=False,
                  doc="Also output the final states, on extra output ports"),
        ParamSpec("go_backwards", "bool", default=False,
                  doc="Read the sequence backwards and return the reversed sequence"),
        ParamSpec("stateful", "bool", default=False,
                  doc="Carry the final states over to the next batch (needs a fixed batch size)"),
        ParamSpec("unroll", "bool", default=False,
                  doc="Unroll the loop: can be faster for short sequences, uses more memory"),
        ParamSpec("zero_output_for_mask", "bool", default=False,
                  doc="Output zeros at masked steps instead of repeating the last output"),
    )


def _recurrent_params(kind: str) -> tuple[ParamSpec, ...]:
    gates = () if kind == "SimpleRNN" else (
        activation("sigmoid", name="recurrent_activation"),)
    extra = (ParamSpec("reset_after", "bool", default=True,
                       doc="Apply the reset gate after the recurrent matmul (cuDNN style)"),
             ) if kind == "GRU" else ()
    return (
        ParamSpec("units", "int", initial=32, min=1, doc="Size of the output and states"),
        activation("tanh"),
        *gates,
        use_bias(),
        *sequence_flags(),
        rate("dropout", 0.0, "Fraction of the inputs to drop"),
        rate("recurrent_dropout", 0.0, "Fraction of the recurrent state to drop"),
        *extra,
        *recurrent_weights(unit_forget_bias=kind == "LSTM"),
        seed_param(),
        initial_state_param(),
    )


_STATES = {"LSTM": 2, "GRU": 1, "SimpleRNN": 1}
_GATES = {"LSTM": 4, "GRU": 3, "SimpleRNN": 1}


def sequence_output(kind: str, params, shape, units: int) -> tuple:
    """The output of a recurrent layer of `units` on a (batch, timesteps, features) input:
    its last step's, or every step's with return_sequences; ShapeError on port 0 for
    another rank, unknown features, or stateful=True without a fixed batch size."""
    require_rank(shape, 3, kind)
    require_known(shape[2], f"The features dim (last axis) of the input to {kind}", shape)
    batch, steps = shape[0], shape[1]
    if params["stateful"] and batch is None:
        raise ShapeError(
            f"{kind} with stateful=True needs a fixed batch size (set batch_size on "
            f"the Input). Received: input_shape={fmt(shape)}", port=0)
    return (batch, steps, units) if params["return_sequences"] else (batch, units)


def _recurrent_shape(kind: str):
    def shape_rule(params, inputs):
        batch, units = inputs[0][0], params["units"]
        out = sequence_output(kind, params, inputs[0], units)
        if params["initial_state"]:
            check_states(kind, params, inputs, [(batch, units)] * _STATES[kind])
        if not params["return_state"]:
            return out
        return [out] + [(batch, units)] * _STATES[kind]

    return shape_rule


def _recurrent_count(kind: str):
    def count_rule(params, inputs):
        features, units = inputs[0][-1], params["units"]
        width = _GATES[kind] * units
        biases = 2 if kind == "GRU" and params["reset_after"] else 1
        bias = biases * width if params["use_bias"] else 0
        return ((features + units) * width + bias, 0)

    return count_rule


def _outputs(kind: str):
    return lambda params: 1 + _STATES[kind] if params.get("return_state") else 1


_DOCS = {
    "LSTM": "Long short-term memory recurrent layer over (batch, timesteps, features)",
    "GRU": "Gated recurrent unit layer over (batch, timesteps, features)",
    "SimpleRNN": "Fully connected recurrent layer over (batch, timesteps, features)",
}


def _samples(kind: str) -> tuple[Sample, ...]:
    # The tests flip every bool on the first sample: with its unknown batch size,
    # stateful=True must be refused there, as Keras does. The last ones give states of
    # a wrong size, batch and rank, which Keras refuses when it runs the layer.
    n = _STATES[kind]
    return (
        Sample({"units": 8}, ((None, 10, 6),)),
        Sample({"units": 4, "return_sequences": True, "return_state": True},
               ((None, None, 3),)),
        Sample({"units": 5, "return_state": True, "use_bias": False}, ((2, 7, 3),)),
        Sample({"units": 3, "stateful": True, "return_sequences": True}, ((4, 6, 2),)),
        Sample({"units": 6, "dropout": 0.2, "recurrent_dropout": 0.1, "seed": 1,
                "go_backwards": True}, ((None, 5, 4),)),
        Sample({"units": 4}, ((None, 5, None),)),
        Sample({"units": 4}, ((None, 5),)),
        Sample({"units": 4}, ((None, 5, 6, 7),)),
        Sample({"units": 4, "initial_state": True, "return_state": True},
               ((None, 5, 3), *[(None, 4)] * n)),
        Sample({"units": 3, "initial_state": True, "return_sequences": True},
               ((2, 5, 3), *[(2, 3)] * n)),
        Sample({"units": 4, "initial_state": True}, ((None, 5, 3), *[(None, 5)] * n)),
        Sample({"units": 4, "initial_state": True}, ((2, 5, 3), *[(3, 4)] * n)),
        Sample({"units": 4, "initial_state": True}, ((None, 5, 3), *[(None, 4, 1)] * n)),
    )


def _extra_samples(kind: str) -> tuple[Sample, ...]:
    if kind == "GRU":
        return (Sample({"units": 5, "reset_after": False}, ((None, 7, 3),)),)
    if kind == "LSTM":
        return (Sample({"units": 5, "unit_forget_bias": False}, ((None, 7, 3),)),)
    return ()


for _kind in ("LSTM", "GRU", "SimpleRNN"):
    register(LayerSpec(
        kind=_kind,
        category="Recurrent",
        doc=_DOCS[_kind],
        params=_recurrent_params(_kind),
        shape=_recurrent_shape(_kind),
        count=_recurrent_count(_kind),
        outputs=_outputs(_kind),
        samples=_samples(_kind) + _extra_samples(_kind),
        keyword_ports=ports(_kind),
    ))
