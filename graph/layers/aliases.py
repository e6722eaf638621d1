"""Keras' own aliases of layer classes, accepted as kinds (as Keras' registries do).

Each alias names the same class as its canonical kind in `keras.layers`
(`keras.layers.MaxPool2D is keras.layers.MaxPooling2D`), so a node of kind
"MaxPool2D" is a MaxPooling2D node: `get_spec` resolves it, and code and
imports use the canonical name. tests/graph/test_keras_coverage.py checks the
list against Keras.
"""

from __future__ import annotations

from ..spec import KIND_ALIASES

KERAS_ALIASES = {
    "AvgPool1D": "AveragePooling1D",
    "AvgPool2D": "AveragePooling2D",
    "AvgPool3D": "AveragePooling3D",
    "Convolution1D": "Conv1D",
    "Convolution1DTranspose": "Conv1DTranspose",
    "Convolution2D": "Conv2D",
    "Convolution2DTranspose": "Conv2DTranspose",
    "Convolution3D": "Conv3D",
    "Convolution3DTranspose": "Conv3DTranspose",
    "GlobalAvgPool1D": "GlobalAveragePooling1D",
    "GlobalAvgPool2D": "GlobalAveragePooling2D",
    "GlobalAvgPool3D": "GlobalAveragePooling3D",
    "GlobalMaxPool1D": "GlobalMaxPooling1D",
    "GlobalMaxPool2D": "GlobalMaxPooling2D",
    "GlobalMaxPool3D": "GlobalMaxPooling3D",
    "MaxPool1D": "MaxPooling1D",
    "MaxPool2D": "MaxPooling2D",
    "MaxPool3D": "MaxPooling3D",
    "SeparableConvolution1D": "SeparableConv1D",
    "SeparableConvolution2D": "SeparableConv2D",
}

KIND_ALIASES.update(KERAS_ALIASES)
