"""The shape and count rules of the wrapper kinds (see `wrappers`): each runs its inner
layer's own rules, on each step (TimeDistributed), in both directions (Bidirectional),
with SpectralNormalization's vector u, or layer after layer (Pipeline).
"""

from __future__ import annotations

from ..errors import ShapeError
from ..shapes import fmt, require_min_rank
from ..spec import get_spec
from .recurrent_state import check_states
from .wrapper_inner import inner

# The kinds with a `kernel` (or Embedding's `embeddings`) SpectralNormalization can
# normalize, and the last dim of that weight, which sizes the vector u.
KERNEL_LAST = {
    "Dense": lambda p, shape: p["units"],
    "Embedding": lambda p, shape: p["output_dim"],
    **{f"Conv{r}D": (lambda p, shape: p["filters"]) for r in (1, 2, 3)},
    **{f"Conv{r}DTranspose": (lambda p, shape: _channels(p, shape)) for r in (1, 2, 3)},
    **{f"DepthwiseConv{r}D": (lambda p, shape: p["depth_multiplier"]) for r in (1, 2)},
}


def _channels(params, shape) -> int | None:
    return shape[1] if params.get("data_format") == "channels_first" else shape[-1]


# -- Bidirectional -----------------------------------------------------------------------

def bidirectional_shape(params, inputs):
    spec, inner_params = inner(params)
    out, *states = spec.output_shapes(inner_params, inputs[:1])
    if params["initial_state"]:
        each = spec.output_shapes({**inner_params, "return_state": True}, inputs[:1])[1:]
        check_states("Bidirectional", params, inputs, each + each)
    mode = params["merge_mode"]
    if mode == "concat":
        out = (*out[:-1], None if out[-1] is None else 2 * out[-1])
    outs = [out, out] if mode is None else [out]
    shapes = outs + states + states
    return shapes if len(shapes) > 1 else shapes[0]


def bidirectional_count(params, inputs):
    spec, inner_params = inner(params)
    trainable, frozen = spec.count(inner_params, inputs[:1])
    return (2 * trainable, 2 * frozen)


def bidirectional_outputs(params) -> int:
    spec, inner_params = inner(params)
    states = spec.outputs(inner_params) - 1
    return (2 if params["merge_mode"] is None else 1) + 2 * states


def bidirectional_nests(params) -> bool:
    """Whether the call gives nested outputs: those of its inner layer (an RNN's stack)."""
    spec, inner_params = inner(params)
    return spec.nests_outputs(inner_params)


def bidirectional_check(params) -> str | None:
    spec, inner_params = inner(params)
    if inner_params["go_backwards"]:
        return ("Bidirectional runs its layer forwards and a copy backwards, so the inner "
                "layer's go_backwards must be false. Received: go_backwards=True")
    if params["initial_state"] and spec.check is not None:  # the states go to the inner
        return spec.check({**inner_params, "initial_state": True})  # layer: its own rule
    return None


# -- TimeDistributed ---------------------------------------------------------------------

def _child_shape(shape) -> tuple:
    require_min_rank(shape, 3, "TimeDistributed")
    return (shape[0], *shape[2:])


def time_distributed_shape(params, inputs):
    (shape,) = inputs
    spec, inner_params = inner(params)
    outs = spec.output_shapes(inner_params, [_child_shape(shape)])
    if len(outs) != 1:
        raise ShapeError(f"TimeDistributed needs an inner layer with one output; {spec.kind} "
                         f"here has {len(outs)}. Received: input_shape={fmt(shape)}", port=0)
    return (outs[0][0], shape[1], *outs[0][1:])


def time_distributed_count(params, inputs):
    spec, inner_params = inner(params)
    return spec.count(inner_params, [_child_shape(inputs[0])])


# -- SpectralNormalization ---------------------------------------------------------------

def spectral_count(params, inputs):
    spec, inner_params = inner(params)
    trainable, frozen = spec.count(inner_params, inputs)
    return (trainable, frozen + KERNEL_LAST[spec.kind](inner_params, inputs[0]))


# -- Pipeline ----------------------------------------------------------------------------

def chain(params, inputs) -> list[tuple]:
    """The input shape of each layer of the pipeline, then the output shape."""
    shapes = [tuple(inputs[0])]
    for i, layer in enumerate(params["layers"]):
        spec = get_spec(layer["kind"])
        outs = spec.output_shapes(spec.resolve(layer["params"]), [shapes[-1]])
        if len(outs) != 1:
            raise ShapeError(f"Pipeline layer {i} ({spec.kind}) has {len(outs)} outputs; a "
                             "pipeline passes one tensor from layer to layer", port=0)
        shapes.append(tuple(outs[0]))
    return shapes


def pipeline_count(params, inputs):
    shapes, total = chain(params, inputs), [0, 0]
    for layer, shape in zip(params["layers"], shapes, strict=False):
        spec = get_spec(layer["kind"])
        counted = spec.count(spec.resolve(layer["params"]), [shape])
        total = [total[0] + counted[0], total[1] + counted[1]]
    return tuple(total)
