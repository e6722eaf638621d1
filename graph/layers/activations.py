"""Activation kinds: layers with an activation's own settings (ReLU, LeakyReLU, Softmax,
ELU, PReLU).

The plain activation functions are the `Activation` kind (Core) and the
`activation` param of Dense, Conv and friends; these kinds add what a name
alone cannot say (a cap, a slope, an axis). Only PReLU has weights: a slope per
input entry, shared along `shared_axes`.
"""

from __future__ import annotations

from ..errors import ShapeError
from ..params import ParamSpec
from ..shapes import fmt, num_elements, require_known, require_min_rank
from ..spec import LayerSpec, Sample, register
from .common import checked_axes, same_shape

register(LayerSpec(
    kind="ReLU",
    category="Activation",
    activation="relu",
    doc="Rectified linear unit: x from the threshold up (capped at max_value when set), "
        "negative_slope * (x - threshold) below it",
    params=(
        ParamSpec("max_value", "float", default=None, allow_none=True, min=0.0,
                  doc="Largest output value, or empty for no cap (6 gives ReLU6)"),
        ParamSpec("negative_slope", "float", default=0.0, min=0.0,
                  doc="Slope below the threshold"),
        ParamSpec("threshold", "float", default=0.0, min=0.0,
                  doc="Inputs below this value are damped"),
    ),
    shape=same_shape,
    samples=(Sample({}, ((None, 16),)),
             Sample({"max_value": 6.0}, ((None, 8, 8, 3),)),
             Sample({"negative_slope": 0.1, "threshold": 0.5}, ((None, None, 4),))),
))

register(LayerSpec(
    kind="LeakyReLU",
    category="Activation",
    activation="leaky_relu",
    doc="Leaky ReLU: x for x >= 0, negative_slope * x below",
    params=(ParamSpec("negative_slope", "float", default=0.3, min=0.0,
                      doc="Slope for negative inputs"),),
    shape=same_shape,
    samples=(Sample({}, ((None, 16),)),
             Sample({"negative_slope": 0.01}, ((None, None, 5),))),
))


def _softmax_shape(params, inputs):
    checked_axes(params["axis"], inputs[0], "Softmax")
    return tuple(inputs[0])


register(LayerSpec(
    kind="Softmax",
    category="Activation",
    activation="softmax",
    doc="Softmax along one axis (or several), so the values there sum to 1",
    params=(ParamSpec("axis", "axis", default=-1,
                      doc="Axis (or list of axes) to normalize over"),),
    shape=_softmax_shape,
    samples=(Sample({}, ((None, 10),)),
             Sample({"axis": 1}, ((None, 5, 7),)),
             Sample({"axis": (1, 2)}, ((None, 4, 4, 3),)),
             Sample({"axis": -2}, ((None, None, 3),))),
))

register(LayerSpec(
    kind="ELU",
    category="Activation",
    doc="Exponential linear unit: x for x > 0, alpha * (exp(x) - 1) below",
    params=(ParamSpec("alpha", "float", default=1.0, doc="Scale of the negative part"),),
    shape=same_shape,
    samples=(Sample({}, ((None, 16),)), Sample({"alpha": 0.5}, ((None, None, 5),))),
))


def _prelu_slopes(params, shape) -> tuple:
    """Shape of PReLU's alpha: the input without batch, 1 on the shared axes."""
    require_min_rank(shape, 2, "PReLU")
    shared = set(params["shared_axes"] or ())
    if max(shared, default=1) >= len(shape):
        raise ShapeError(
            f"PReLU: shared_axes counts axes from 1 to {len(shape) - 1} (after the batch). "
            f"Received: shared_axes={params['shared_axes']}, input_shape={fmt(shape)}",
            port=0)
    return tuple(1 if axis in shared else require_known(
        shape[axis], f"The input dim on axis {axis} of PReLU (not shared)", shape)
        for axis in range(1, len(shape)))


def _prelu_shape(params, inputs):
    _prelu_slopes(params, inputs[0])
    return tuple(inputs[0])


def _prelu_count(params, inputs):
    return (num_elements(_prelu_slopes(params, inputs[0])), 0)


register(LayerSpec(
    kind="PReLU",
    category="Activation",
    doc="Parametric ReLU: x for x >= 0, a learned slope alpha * x below",
    params=(
        ParamSpec("alpha_initializer", "initializer", default="zeros",
                  doc="Initializer of the slopes"),
        ParamSpec("alpha_regularizer", "regularizer", default=None,
                  doc="Regularizer of the slopes"),
        ParamSpec("alpha_constraint", "constraint", default=None,
                  doc="Constraint on the slopes"),
        ParamSpec("shared_axes", "int_list", default=None, allow_none=True, min=1,
                  doc="Axes sharing one slope, e.g. [1, 2] for one slope per channel"),
    ),
    shape=_prelu_shape,
    count=_prelu_count,
    samples=(Sample({}, ((None, 16),)),
             Sample({"shared_axes": (1, 2)}, ((None, 8, 8, 3),)),
             Sample({"shared_axes": (1,)}, ((None, None, 4),)),
             Sample({}, ((None, None, 4),))),
))
