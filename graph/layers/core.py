"""Input and the core kinds (Dense, Activation, Dropout, Embedding, ...)."""

from __future__ import annotations

from ..errors import ShapeError
from ..params import DTYPES, ParamSpec
from ..shapes import fmt, require_known, require_min_rank, require_rank
from ..spec import INPUT, LayerSpec, Sample, register
from .common import (
    activation,
    data_format,
    dtype_param,
    rate,
    same_shape,
    seed_param,
    use_bias,
    weight_params,
)


def _input_shape(params, inputs):
    return (params["batch_size"], *params["shape"])


register(LayerSpec(
    kind=INPUT,
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


register(LayerSpec(
    kind="Activation",
    category="Core",
    doc="Applies an activation function elementwise",
    params=(ParamSpec("activation", "activation", initial="relu",
                      doc="Activation function to apply"),),
    shape=same_shape,
    samples=(Sample({"activation": "relu"}, ((None, 8),)),
             Sample({"activation": "softmax"}, ((None, None, 5),)),
             Sample({"activation": None}, ((2, 3, 4, 5),))),
))


def _noise_shape_problem(noise, shape) -> str | None:
    """Why `noise` cannot be broadcast over `shape` at run time, or None.

    Keras fills a None entry of noise_shape from the input dim at the same index,
    then broadcasts the mask over the input (right-aligned).
    """
    if len(noise) > len(shape):
        return f"noise_shape has rank {len(noise)}, more than the input's {len(shape)}"
    filled = [shape[i] if d is None else d for i, d in enumerate(noise)]
    for d, n in zip(reversed(shape), reversed(filled), strict=False):
        if n not in (None, 1) and d is not None and n != d:
            return "every noise_shape entry must be 1, null or the input's dim"
    return None


def dropout_params(below_one: bool = False) -> tuple[ParamSpec, ...]:
    """rate, noise_shape and seed: the params of Dropout and AlphaDropout (whose rate Keras
    divides by zero at 1: `below_one`)."""
    return (
        rate(below_one=below_one),
        ParamSpec("noise_shape", "shape", default=None, allow_none=True,
                  doc="Shape of the dropout mask (batch included; 1 shares it along an axis)"),
        seed_param(),
    )


def dropout_shape(params, inputs):
    (shape,) = inputs
    noise = params["noise_shape"]
    if noise is not None:
        problem = _noise_shape_problem(noise, shape)
        if problem:
            raise ShapeError(
                f"Dropout: {problem}. Received: noise_shape={fmt(noise)}, "
                f"input_shape={fmt(shape)}",
                port=0,
            )
    return tuple(shape)


register(LayerSpec(
    kind="Dropout",
    category="Core",
    noise=True,
    doc="Sets a random fraction of inputs to 0 during training, scaling the rest up",
    params=dropout_params(),
    shape=dropout_shape,
    samples=(Sample({"rate": 0.5}, ((None, 16),)),
             Sample({"rate": 0.2, "noise_shape": (None, 1, 8), "seed": 3}, ((None, 5, 8),)),
             Sample({"rate": 0.0}, ((4, None, 3, 2),))),
))


def spatial_dropout_shape(kind: str, rank: int):
    def shape_rule(params, inputs):
        require_rank(inputs[0], rank, kind)
        return tuple(inputs[0])

    return shape_rule


register(LayerSpec(
    kind="SpatialDropout1D",
    freezable=False,  # its Keras constructor has no trainable keyword
    category="Core",
    noise=True,
    doc="Drops whole 1D feature maps (channels) of a (batch, steps, channels) input",
    params=(rate(), seed_param()),
    shape=spatial_dropout_shape("SpatialDropout1D", 3),
    samples=(Sample({"rate": 0.3}, ((None, 10, 8),)),
             Sample({"rate": 0.5, "seed": 1}, ((None, None, 4),)),
             Sample({"rate": 0.5}, ((None, 10),))),
))

register(LayerSpec(
    kind="SpatialDropout2D",
    freezable=False,  # its Keras constructor has no trainable keyword
    category="Core",
    noise=True,
    doc="Drops whole 2D feature maps (channels) of an image tensor",
    params=(rate(), data_format(), seed_param()),
    shape=spatial_dropout_shape("SpatialDropout2D", 4),
    samples=(Sample({"rate": 0.3}, ((None, 8, 8, 3),)),
             Sample({"rate": 0.2, "data_format": "channels_first"}, ((None, 3, None, 8),)),
             Sample({"rate": 0.5}, ((None, 8, 3),))),
))


def _embedding_shape(params, inputs):
    (shape,) = inputs
    return (*shape, params["output_dim"])


def _embedding_count(params, inputs):
    return (params["input_dim"] * params["output_dim"], 0)


def _embedding_weights() -> tuple[ParamSpec, ...]:
    return (
        ParamSpec("input_dim", "int", initial=1000, min=1, doc="Vocabulary size (largest id + 1)"),
        ParamSpec("output_dim", "int", initial=64, min=1, doc="Size of each embedding vector"),
        ParamSpec("embeddings_initializer", "initializer", default="random_uniform",
                  doc="Initializer of the embedding matrix"),
        ParamSpec("embeddings_regularizer", "regularizer", default=None,
                  doc="Regularizer of the embedding matrix"),
        ParamSpec("activity_regularizer", "regularizer", default=None,
                  doc="Regularizer of the layer output"),
        ParamSpec("embeddings_constraint", "constraint", default=None,
                  doc="Constraint on the embedding matrix"),
        ParamSpec("mask_zero", "bool", default=False,
                  doc="Treat id 0 as padding and pass a mask to later layers"),
    )


_EMBEDDING_SAMPLES = (
    Sample({"input_dim": 100, "output_dim": 8}, ((None, 20),)),
    Sample({"input_dim": 50, "output_dim": 4}, ((None, None),)),
    Sample({"input_dim": 10, "output_dim": 3}, ((2, 5, 7),)),
    Sample({"input_dim": 7, "output_dim": 2}, ((None,),)),
)


def _reversible_shape(params, inputs):
    """Embeds ids as Embedding does; with reverse=True maps (..., output_dim) vectors to
    (..., input_dim) logits through the same (tied) embeddings."""
    if not params.get("reverse"):
        return _embedding_shape(params, inputs)
    (shape,) = inputs
    if not shape or shape[-1] not in (None, params["output_dim"]):
        raise ShapeError(
            f"ReversibleEmbedding (reverse=True): input 0 needs last dimension output_dim="
            f"{params['output_dim']} to project back to the vocabulary. Received: "
            f"input_shape={fmt(shape)}", port=0)
    return (*shape[:-1], params["input_dim"])


def _reversible_count(params, inputs):
    size = params["input_dim"] * params["output_dim"]
    return (size if params["tie_weights"] else 2 * size, 0)


register(LayerSpec(
    kind="ReversibleEmbedding",
    category="Core",
    doc="Embedding that can also project back to vocabulary logits (reverse=True)",
    params=(
        *_embedding_weights(),
        ParamSpec("tie_weights", "bool", default=True,
                  doc="Reverse with the transposed embeddings rather than a matrix of its own"),
        ParamSpec("reverse_dtype", "choice", default=None, choices=(None, *DTYPES),
                  doc="Dtype of the reverse projection, or empty for the layer's"),
        ParamSpec("logit_soft_cap", "float", default=None, allow_none=True, min=0.0,
                  min_exclusive=True, doc="Cap the reverse logits softly at this value"),
        ParamSpec("reverse", "bool", default=False,
                  doc="Call keyword: project (..., output_dim) vectors back to vocabulary "
                      "logits instead of embedding ids; each call of a shared layer has its own"),
    ),
    shape=_reversible_shape,
    count=_reversible_count,
    call_params=("reverse",),
    samples=_EMBEDDING_SAMPLES[:3] + (
        Sample({"input_dim": 10, "output_dim": 3, "tie_weights": False}, ((None, 4),)),
        Sample({"input_dim": 10, "output_dim": 3, "reverse": True}, ((None, 4, 3),)),
        Sample({"input_dim": 10, "output_dim": 3, "reverse": True}, ((None, 4, 5),)),),
))

register(LayerSpec(
    kind="Embedding",
    category="Core",
    doc="Maps integer ids in [0, input_dim) to dense vectors of size output_dim",
    params=(
        *_embedding_weights(),
    ),
    shape=_embedding_shape,
    count=_embedding_count,
    samples=_EMBEDDING_SAMPLES,
))
