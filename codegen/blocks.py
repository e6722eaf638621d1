"""Helper functions for block kinds, written the way one writes them by hand.

Each helper builds the same layers, with the same name suffixes, as the block's
expansion in `graph.blocks`, so the generated model equals the one the app trains
(tests build both and compare every layer's config). A helper's keyword arguments
are the block kind's params, so a block node becomes one call:
`x = residual_block(x, filters=64, stride=2, name='res1')`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .errors import CodegenError
from .literals import call

_AUTO_NAME = "    name = name or {kind!r} + str(keras.backend.get_uid({kind!r}))\n"

RESIDUAL_BLOCK = '''\
def residual_block(x, filters, stride=1, use_projection=False, name=None{dtype_param}):
    """ResNet basic block: two 3x3 convolutions with batch norm, plus the shortcut."""
{auto}    shortcut = x
    x = layers.Conv2D(
        filters, 3, strides=stride, padding='same', use_bias=False, name=f'{{name}}_conv1'
    )(x)
    x = layers.BatchNormalization(name=f'{{name}}_bn1')(x)
    x = layers.ReLU(name=f'{{name}}_relu1')(x)
    x = layers.Conv2D(filters, 3, padding='same', use_bias=False, name=f'{{name}}_conv2')(x)
    x = layers.BatchNormalization(name=f'{{name}}_bn2')(x)
    if use_projection:
        shortcut = layers.Conv2D(
            filters, 1, strides=stride, use_bias=False, name=f'{{name}}_proj_conv'
        )(shortcut)
        shortcut = layers.BatchNormalization(name=f'{{name}}_proj_bn')(shortcut)
    x = layers.Add(name=f'{{name}}_add')([x, shortcut])
    return layers.ReLU({dtype_kw}name=f'{{name}}_out')(x)
'''

BOTTLENECK_BLOCK = '''\
def bottleneck_block(x, filters, stride=1, expansion=4, name=None{dtype_param}):
    """ResNet bottleneck: 1x1 reduce, 3x3, 1x1 expand, with a projection when shapes change."""
{auto}    width = filters // expansion
    shortcut = x
    x = layers.Conv2D(width, 1, use_bias=False, name=f'{{name}}_conv1')(x)
    x = layers.BatchNormalization(name=f'{{name}}_bn1')(x)
    x = layers.ReLU(name=f'{{name}}_relu1')(x)
    x = layers.Conv2D(
        width, 3, strides=stride, padding='same', use_bias=False, name=f'{{name}}_conv2'
    )(x)
    x = layers.BatchNormalization(name=f'{{name}}_bn2')(x)
    x = layers.ReLU(name=f'{{name}}_relu2')(x)
    x = layers.Conv2D(filters, 1, use_bias=False, name=f'{{name}}_conv3')(x)
    x = layers.BatchNormalization(name=f'{{name}}_bn3')(x)
    if stride != 1 or shortcut.shape[-1] != filters:
        shortcut = layers.Conv2D(
            filters, 1, strides=stride, use_bias=False, name=f'{{name}}_proj_conv'
        )(shortcut)
        shortcut = layers.BatchNormalization(name=f'{{name}}_proj_bn')(shortcut)
    x = layers.Add(name=f'{{name}}_add')([x, shortcut])
    return layers.ReLU({dtype_kw}name=f'{{name}}_out')(x)
'''

INCEPTION_MODULE = '''\
def inception_module(x, filters, name=None{dtype_param}):
    """Four parallel branches (1x1, 5x5, 3x3, pooling) joined on the channel axis."""
{auto}    def conv(y, size, suffix):
        return layers.Conv2D(
            filters, size, padding='same', activation='relu', name=f'{{name}}_{{suffix}}'
        )(y)

    b1 = conv(x, 1, 'b1_conv')
    b2 = conv(conv(x, 1, 'b2_reduce'), 5, 'b2_conv')
    b3 = conv(conv(x, 1, 'b3_reduce'), 3, 'b3_conv')
    b4 = layers.MaxPooling2D(3, strides=1, padding='same', name=f'{{name}}_b4_pool')(x)
    b4 = conv(b4, 1, 'b4_conv')
    return layers.Concatenate({dtype_kw}name=f'{{name}}_concat')([b1, b2, b3, b4])
'''

DENSE_BLOCK = '''\
def dense_block(x, num_layers, growth_rate, name=None{dtype_param}):
    """DenseNet block: each layer's output is concatenated onto the running features."""
{auto}    for i in range(1, num_layers + 1):
        prefix = f'{{name}}_l{{i}}'
        y = layers.BatchNormalization(name=f'{{prefix}}_bn1')(x)
        y = layers.ReLU(name=f'{{prefix}}_relu1')(y)
        y = layers.Conv2D(4 * growth_rate, 1, use_bias=False, name=f'{{prefix}}_conv1')(y)
        y = layers.BatchNormalization(name=f'{{prefix}}_bn2')(y)
        y = layers.ReLU(name=f'{{prefix}}_relu2')(y)
        y = layers.Conv2D(
            growth_rate, 3, padding='same', use_bias=False, name=f'{{prefix}}_conv2'
        )(y)
{dtype_last}        x = layers.Concatenate({dtype_last_kw}name=f'{{prefix}}_concat')([x, y])
    return x
'''

TRANSITION_LAYER = '''\
def transition_layer(x, compression=0.5, name=None{dtype_param}):
    """DenseNet transition: batch norm, ReLU, 1x1 convolution that compresses, 2x2 pooling."""
{auto}    channels = int(x.shape[-1] * compression)
    x = layers.BatchNormalization(name=f'{{name}}_bn')(x)
    x = layers.ReLU(name=f'{{name}}_relu')(x)
    x = layers.Conv2D(channels, 1, use_bias=False, name=f'{{name}}_conv')(x)
    return layers.AveragePooling2D(2, strides=2, {dtype_kw}name=f'{{name}}_pool')(x)
'''

# Under mixed precision a helper takes `dtype`, which its last layer is built with
# (dtype='float32' when the block computes a model output; None follows the policy).
_PLAIN = {"dtype_param": "", "dtype_kw": "", "dtype_last": "", "dtype_last_kw": ""}
_WITH_DTYPE = {"dtype_param": ", dtype=None", "dtype_kw": "dtype=dtype, ",
               "dtype_last": "        last_dtype = dtype if i == num_layers else None\n",
               "dtype_last_kw": "dtype=last_dtype, "}

# block kind -> (helper function name, template)
HELPERS = {
    "ResidualBlock": ("residual_block", RESIDUAL_BLOCK),
    "BottleneckBlock": ("bottleneck_block", BOTTLENECK_BLOCK),
    "InceptionModule": ("inception_module", INCEPTION_MODULE),
    "DenseBlock": ("dense_block", DENSE_BLOCK),
    "TransitionLayer": ("transition_layer", TRANSITION_LAYER),
}


def helper_source(kind: str, dtype: bool = False) -> str:
    """The `def` of the helper for block `kind`; with a `dtype` parameter when `dtype`."""
    try:
        func, template = HELPERS[kind]
    except KeyError:
        raise CodegenError(f"No code helper for block kind {kind!r}; "
                           f"expected one of {', '.join(HELPERS)}") from None
    return template.format(auto=_AUTO_NAME.format(kind=func),
                           **(_WITH_DTYPE if dtype else _PLAIN))


def helper_call(kind: str, source: str, kwargs: dict, name: str, indent: str,
                prefix: str) -> str:
    """`prefix + residual_block(x, filters=64, name='res1')`."""
    func = HELPERS[kind][0] if kind in HELPERS else helper_source(kind)
    return call(func, [source], {**kwargs, "name": name}, indent, prefix)


def helper_sources(kinds: Sequence[str], dtype: bool = False) -> list[str]:
    return [helper_source(kind, dtype) for kind in kinds]


def kinds_in(blocks: Mapping[str, Any], names: Sequence[str]) -> list[str]:
    """The block kinds the inner nodes of the user blocks `names` use, in order of first
    use: the helpers of those blocks' functions (and nested models') call them."""
    return list(dict.fromkeys(node["kind"] for name in names for node in blocks[name]["nodes"]
                              if node["kind"] in HELPERS))
