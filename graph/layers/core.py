"""Input and the core kinds (Dense, Activation, Dropout, Embedding, ...)."""

from __future__ import annotations

from ..params import ParamSpec
from ..shapes import require_known, require_min_rank
from ..spec import LayerSpec, Sample, register
from .common import activation, dtype_param, use_bias, weight_params


def _input_shape(params, inputs):
    return (params["batch_size"], *params["shape"])


register(LayerSpec(
    kind="Input",
    category="Input",
    doc="A model input: a symbolic tensor of the given shape (batch excluded)",
    params=(
        ParamSpec("shape", "shape", initial=(28, 28, 1), doc="Shape without the batch axis"),
        dtype_param(),
        ParamSpec("batch_size", "int", default=None, min=1, allow_none=True,
                  doc="Fixed batch size, or empty for any"),
    ),
    shape=_input_shape,
    min_inputs=0,
    max_inputs=0,
    samples=(Sample({"shape": (28, 28, 1)}, ()), Sample({"shape": (None, 16)}, ()),
             Sample({"shape": (10,), "batch_size": 4}, ())),
    keras_module="keras",
))


def _dense_shape(params, inputs):
    (shape,) = inputs
    require_min_rank(shape, 2, "Dense")
    require_known(shape[-1], "The last dimension of the input to Dense", shape)
    return (*shape[:-1], params["units"])


def _dense_count(params, inputs):
    n_in = inputs[0][-1]
    units = params["units"]
    return (n_in * units + (units if params["use_bias"] else 0), 0)


register(LayerSpec(
    kind="Dense",
    category="Core",
    doc="Fully connected layer: activation(x @ kernel + bias) on the last axis",
    params=(
        ParamSpec("units", "int", initial=32, min=1, doc="Output width"),
        activation(),
        use_bias(),
        *weight_params("kernel"),
    ),
    shape=_dense_shape,
    count=_dense_count,
    samples=(Sample({"units": 10}, ((None, 784),)),
             Sample({"units": 3, "use_bias": False}, ((None, 5, 7),)),
             Sample({"units": 4, "activation": "relu"}, ((2, 6, 5, 3),))),
))

