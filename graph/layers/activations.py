"""Activation kinds: layers with an activation's own settings (ReLU, LeakyReLU, Softmax).

The plain activation functions are the `Activation` kind (Core) and the
`activation` param of Dense, Conv and friends; these kinds add what a name
alone cannot say (a cap, a slope, an axis). None has weights.
"""

from __future__ import annotations

from ..params import ParamSpec
from ..spec import LayerSpec, Sample, register
from .common import checked_axes, same_shape

register(LayerSpec(
    kind="ReLU",
    category="Activation",
    doc="Rectified linear unit with optional cap, leak below the threshold and threshold",
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
    doc="Softmax along one axis (or several), so the values there sum to 1",
    params=(ParamSpec("axis", "axis", default=-1,
                      doc="Axis (or list of axes) to normalize over"),),
    shape=_softmax_shape,
    samples=(Sample({}, ((None, 10),)),
             Sample({"axis": 1}, ((None, 5, 7),)),
             Sample({"axis": (1, 2)}, ((None, 4, 4, 3),)),
             Sample({"axis": -2}, ((None, None, 3),))),
))
