"""Pass-through kinds: the output has the input's shape and there are no weights.

Identity, Masking, ActivityRegularization, the random noise and dropout layers
(GaussianNoise, GaussianDropout, AlphaDropout, SpatialDropout3D). Some only act
while training; all keep the shape.
"""

from __future__ import annotations

from ..params import ParamSpec
from ..spec import LayerSpec, Sample, register
from .common import data_format, rate, same_shape, seed_param
from .core import dropout_params, dropout_shape, spatial_dropout_shape

_ANY = (Sample({}, ((None, 8),)), Sample({}, ((2, None, 3, 4),)))

register(LayerSpec(
    kind="Identity", category="Core", doc="Passes its input through unchanged",
    params=(), shape=same_shape, samples=_ANY,
))

register(LayerSpec(
    kind="Masking", category="Core",
    doc="Masks the time steps whose features all equal mask_value, for later layers",
    params=(ParamSpec("mask_value", "float", default=0.0,
                      doc="Steps whose features all equal this value are skipped"),),
    shape=same_shape,
    samples=(Sample({}, ((None, 10, 4),)), Sample({"mask_value": -1.0}, ((None, None, 3),))),
))

register(LayerSpec(
    kind="ActivityRegularization", category="Core",
    doc="Adds an L1/L2 penalty on its input to the loss; passes the input through",
    params=(ParamSpec("l1", "float", default=0.0, min=0.0, doc="L1 factor"),
            ParamSpec("l2", "float", default=0.0, min=0.0, doc="L2 factor")),
    shape=same_shape,
    samples=(Sample({"l1": 0.01}, ((None, 8),)), Sample({"l2": 0.1}, ((None, None, 3),))),
))

register(LayerSpec(
    kind="GaussianNoise", category="Core", noise=True,
    doc="Adds zero-centred Gaussian noise while training (a regularizer)",
    params=(ParamSpec("stddev", "float", initial=0.1, min=0.0,
                      doc="Standard deviation of the noise"),
            seed_param()),
    shape=same_shape,
    samples=(Sample({"stddev": 0.1}, ((None, 8),)),
             Sample({"stddev": 0.5, "seed": 3}, ((None, None, 4, 2),))),
))

register(LayerSpec(
    kind="GaussianDropout", category="Core", noise=True,
    doc="Multiplies by 1-centred Gaussian noise while training (multiplicative dropout)",
    params=(rate(doc="Drop probability, as in Dropout", below_one=True), seed_param()),
    shape=same_shape,
    samples=(Sample({"rate": 0.2}, ((None, 8),)),
             Sample({"rate": 0.5, "seed": 1}, ((None, 4, None),))),
))

register(LayerSpec(
    kind="AlphaDropout", category="Core", noise=True,
    doc="Dropout that keeps the mean and variance of its inputs (for SELU networks)",
    params=dropout_params(below_one=True),
    shape=dropout_shape,
    samples=(Sample({"rate": 0.2}, ((None, 16),)),
             Sample({"rate": 0.1, "noise_shape": (None, 1, 8), "seed": 2}, ((None, 5, 8),))),
))

register(LayerSpec(
    kind="SpatialDropout3D",
    freezable=False,  # its Keras constructor has no trainable keyword
    category="Core", noise=True,
    doc="Drops whole 3D feature maps (channels) of a volume tensor",
    params=(rate(), data_format(), seed_param()),
    shape=spatial_dropout_shape("SpatialDropout3D", 5),
    samples=(Sample({"rate": 0.3}, ((None, 4, 4, 4, 3),)),
             Sample({"rate": 0.2, "data_format": "channels_first"}, ((None, 3, None, 4, 5),)),
             Sample({"rate": 0.5}, ((None, 8, 8, 3),))),
))
