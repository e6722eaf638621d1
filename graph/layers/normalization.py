"""Normalization kinds: BatchNormalization, LayerNormalization, GroupNormalization,
RMSNormalization, UnitNormalization and Rescaling.

Count rules follow the weights Keras creates: BatchNormalization has trainable
gamma (scale) and beta (center) plus non-trainable moving mean and variance
along `axis`, and three more non-trainable vectors with renorm;
LayerNormalization has gamma and beta over the normalized axes.
"""

from __future__ import annotations

from ..errors import ShapeError
from ..params import ParamSpec
from ..shapes import fmt, num_elements, require_known
from ..spec import LayerSpec, Sample, register
from .common import checked_axes, same_shape


def _center_scale() -> tuple[ParamSpec, ...]:
    return (
        ParamSpec("epsilon", "float", default=1e-3, min=0.0, min_exclusive=True,
                  doc="Small value added to the variance to avoid dividing by zero"),
        ParamSpec("center", "bool", default=True, doc="Learn an offset beta"),
        ParamSpec("scale", "bool", default=True, doc="Learn a factor gamma"),
    )


def _beta_gamma(*extra_initializers: tuple[str, str]) -> tuple[ParamSpec, ...]:
    """Initializers, regularizers and constraints of beta and gamma (and extras)."""
    inits = (("beta", "zeros"), ("gamma", "ones"), *extra_initializers)
    out = [ParamSpec(f"{w}_initializer", "initializer", default=d, doc=f"Initializer of {w}")
           for w, d in inits]
    for suffix, kind in (("regularizer", "regularizer"), ("constraint", "constraint")):
        out += [ParamSpec(f"{w}_{suffix}", kind, default=None, doc=f"{kind.title()} of {w}")
                for w in ("beta", "gamma")]
    return tuple(out)


def _normalized_dims(kind: str, axis, shape) -> tuple[int, ...]:
    """The input dims along the normalized axes, which must be known."""
    dims = []
    for a in checked_axes(axis, shape, kind):
        what = f"The input dim on axis {a} of {kind} (axis={axis})"
        dims.append(require_known(shape[a], what, shape))
    return tuple(dims)


def _clipping_problem(value) -> str | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - {"rmax", "rmin", "dmax"}:
        return "null or a dict with keys among rmax, rmin, dmax"
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value.values()):
        return "numbers as the values of rmax, rmin, dmax"
    if value.get("rmin", 0) > value.get("rmax", float("inf")):
        return "rmin <= rmax"
    return None


def _batch_norm_shape(params, inputs):
    _normalized_dims("BatchNormalization", params["axis"], inputs[0])
    return tuple(inputs[0])


def _batch_norm_count(params, inputs):
    (channels,) = _normalized_dims("BatchNormalization", params["axis"], inputs[0])
    trainable = (int(params["center"]) + int(params["scale"])) * channels
    # moving mean/variance, plus moving stddev and renorm mean/stddev with renorm
    frozen = (5 if params["renorm"] else 2) * channels
    return (trainable, frozen)


register(LayerSpec(
    kind="BatchNormalization",
    category="Normalization",
    doc="Normalizes each channel with batch statistics while training, moving averages after",
    params=(
        ParamSpec("axis", "int", default=-1,
                  doc="The channels axis (-1 for channels_last, 1 for channels_first)"),
        ParamSpec("momentum", "float", default=0.99, min=0.0, max=1.0,
                  doc="Momentum of the moving averages"),
        *_center_scale(),
        *_beta_gamma(("moving_mean", "zeros"), ("moving_variance", "ones")),
        ParamSpec("renorm", "bool", default=False, doc="Use batch renormalization"),
        ParamSpec("renorm_clipping", "json", default=None, allow_none=True,
                  check=_clipping_problem,
                  doc="Renorm clipping: a dict with rmax, rmin, dmax, or empty"),
        ParamSpec("renorm_momentum", "float", default=0.99, min=0.0, max=1.0,
                  doc="Momentum of the renorm moving averages"),
    ),
    shape=_batch_norm_shape,
    count=_batch_norm_count,
    # synchronized only works on the TensorFlow backend; Keras refuses it on torch.
    unexposed=("synchronized",),
    samples=(
        Sample({}, ((None, 8, 8, 16),)),
        Sample({"axis": 1}, ((None, 3, None, None),)),
        Sample({"center": False, "scale": False}, ((None, 10),)),
        Sample({"renorm": True, "renorm_clipping": {"rmax": 3.0, "rmin": 0.3, "dmax": 5.0}},
               ((None, 6),)),
        Sample({"axis": -2}, ((None, 7, None),)),
        Sample({}, ((None, 5, None),)),
        Sample({"axis": 3}, ((None, 5, 6),)),
    ),
))


def _layer_norm_shape(params, inputs):
    _normalized_dims("LayerNormalization", params["axis"], inputs[0])
    return tuple(inputs[0])


def _layer_norm_count(params, inputs):
    size = num_elements(_normalized_dims("LayerNormalization", params["axis"], inputs[0]))
    return ((int(params["center"]) + int(params["scale"])) * size, 0)


register(LayerSpec(
    kind="LayerNormalization",
    category="Normalization",
    doc="Normalizes each sample over the given axes (the features by default)",
    params=(
        ParamSpec("axis", "axis", default=-1, doc="Axis or list of axes to normalize over"),
        *_center_scale(),
        *_beta_gamma(),
    ),
    shape=_layer_norm_shape,
    count=_layer_norm_count,
    # rms_scaling is deprecated in Keras in favour of the RMSNormalization layer.
    unexposed=("rms_scaling",),
    samples=(
        Sample({}, ((None, 16),)),
        Sample({"axis": (1, 2)}, ((None, 5, 6),)),
        Sample({"axis": -1, "center": False}, ((None, None, 8),)),
        Sample({"axis": 1}, ((None, None, 8),)),
        Sample({"axis": 3}, ((None, 5, 6),)),
    ),
))

register(LayerSpec(
    kind="Rescaling",
    category="Normalization",
    doc="Multiplies by scale and adds offset, e.g. scale=1/255 maps pixels to [0, 1]",
    params=(
        ParamSpec("scale", "float", initial=1 / 255, doc="Factor the input is multiplied by"),
        ParamSpec("offset", "float", default=0.0, doc="Value added after scaling"),
    ),
    shape=same_shape,
    samples=(Sample({"scale": 1 / 255}, ((None, 28, 28, 1),)),
             Sample({"scale": 2.0, "offset": -1.0}, ((None, None),))),
))


def _group_channels(params, inputs) -> int:
    shape = inputs[0]
    (channels,) = _normalized_dims("GroupNormalization", params["axis"], shape)
    groups = channels if params["groups"] == -1 else params["groups"]
    if channels < groups or channels % groups:
        raise ShapeError(
            f"GroupNormalization splits the {channels} channels of axis {params['axis']} into "
            f"groups={params['groups']} equal groups, which does not divide them. "
            f"Received: input_shape={fmt(shape)}", port=0)
    return channels


def _group_norm_shape(params, inputs):
    _group_channels(params, inputs)
    return tuple(inputs[0])


def _group_norm_count(params, inputs):
    channels = _group_channels(params, inputs)
    return ((int(params["center"]) + int(params["scale"])) * channels, 0)


register(LayerSpec(
    kind="GroupNormalization",
    category="Normalization",
    doc="Normalizes each sample over groups of channels (LayerNorm per group)",
    params=(
        ParamSpec("groups", "int", default=32, min=-1,
                  check=lambda v: "a positive integer, or -1 for one group per channel"
                  if v == 0 else None,
                  doc="Number of channel groups (-1: one per channel)"),
        ParamSpec("axis", "int", default=-1, doc="The channels axis"),
        *_center_scale(),
        *_beta_gamma(),
    ),
    shape=_group_norm_shape,
    count=_group_norm_count,
    samples=(
        Sample({"groups": 4}, ((None, 8, 8, 16),)),
        Sample({"groups": -1, "axis": 1}, ((None, 6, None),)),
        Sample({"groups": 3, "center": False}, ((None, 9),)),
        Sample({"groups": 4}, ((None, 8, 6),)),
        Sample({"groups": 8}, ((None, 4, 4),)),
        Sample({}, ((None, 5, None),)),
    ),
))


def _rms_norm_shape(params, inputs):
    _normalized_dims("RMSNormalization", params["axis"], inputs[0])
    return tuple(inputs[0])


def _rms_norm_count(params, inputs):
    return (num_elements(_normalized_dims("RMSNormalization", params["axis"], inputs[0])), 0)


register(LayerSpec(
    kind="RMSNormalization",
    category="Normalization",
    doc="Divides by the root mean square over the given axes, times a learned scale",
    params=(
        ParamSpec("axis", "axis", default=-1, doc="Axis or list of axes to normalize over"),
        ParamSpec("epsilon", "float", default=1e-6, min=0.0, min_exclusive=True,
                  doc="Small value added to the mean square to avoid dividing by zero"),
    ),
    shape=_rms_norm_shape,
    count=_rms_norm_count,
    samples=(Sample({}, ((None, 16),)), Sample({"axis": (1, 2)}, ((None, 5, 6),)),
             Sample({}, ((None, 4, None),))),
))


def _unit_norm_shape(params, inputs):
    checked_axes(params["axis"], inputs[0], "UnitNormalization")
    return tuple(inputs[0])


register(LayerSpec(
    kind="UnitNormalization",
    category="Normalization",
    doc="Scales each sample to unit L2 norm over the given axes",
    params=(ParamSpec("axis", "axis", default=-1, doc="Axis or list of axes of the norm"),),
    shape=_unit_norm_shape,
    samples=(Sample({}, ((None, 16),)), Sample({"axis": (1, 2)}, ((None, 5, None),)),
             Sample({"axis": 3}, ((None, 5, 6),))),
))
