"""The benchmark's models, each three ways: a Keras Canvas document, the same model
written by hand in Keras, and in plain torch; and their synthetic data.

Imported by `bench_train_speed.py` (run as a script, so this module is its sibling)."""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np  # noqa: E402

from kerascanvas.graph.document import Document, Edge  # noqa: E402
from kerascanvas.runtime.keras_env import import_keras  # noqa: E402

keras = import_keras()
import torch  # noqa: E402
from torch import nn  # noqa: E402

SIZES = {"mlp": (8192, 512), "cnn": (8192, 512), "resnet": (2048, 128),
         "resnet50": (2048, 256)}  # full, quick (multiples of 64 and 128)
SHAPES = {"mlp": (784,), "cnn": (28, 28, 1), "resnet": (32, 32, 3), "resnet50": (224, 224, 3)}


# ---- the three architectures, as documents, Keras code and torch modules ------------
def _chain(doc: Document, kinds: list[tuple[str, dict]], shape: list[int]) -> Document:
    prev = doc.add_node("Input", name="x", params={"shape": shape})
    for kind, params in kinds:
        node = doc.add_node(kind, params=params)
        doc.connect(Edge(prev.id, 0, node.id, 0))
        prev = node
    doc.outputs = [prev.id]
    return doc


RESNET50 = ((256, 1, 3), (512, 2, 4), (1024, 2, 6), (2048, 2, 3))  # filters, stride, blocks


def document(name: str) -> Document:
    if name == "mlp":
        layers = [("Dense", {"units": 512, "activation": "relu"}),
                  ("Dense", {"units": 512, "activation": "relu"})]
    elif name == "cnn":
        layers = [("Conv2D", {"filters": 32, "kernel_size": [3, 3], "activation": "relu"}),
                  ("MaxPooling2D", {}),
                  ("Conv2D", {"filters": 64, "kernel_size": [3, 3], "activation": "relu"}),
                  ("MaxPooling2D", {}), ("Flatten", {}),
                  ("Dense", {"units": 128, "activation": "relu"})]
    elif name == "resnet":
        layers = [("Conv2D", {"filters": 64, "kernel_size": [3, 3], "padding": "same",
                              "use_bias": False}),
                  ("BatchNormalization", {}), ("ReLU", {}),
                  *[("ResidualBlock", {"filters": 64})] * 4,
                  ("GlobalAveragePooling2D", {})]
    else:
        layers = [("Conv2D", {"filters": 64, "kernel_size": [7, 7], "strides": [2, 2],
                              "padding": "same", "use_bias": False}),
                  ("BatchNormalization", {}), ("ReLU", {}),
                  ("MaxPooling2D", {"pool_size": [3, 3], "strides": [2, 2], "padding": "same"}),
                  *[("BottleneckBlock", {"filters": f, "stride": s if i == 0 else 1})
                    for f, s, n in RESNET50 for i in range(n)],
                  ("GlobalAveragePooling2D", {})]
    layers.append(("Dense", {"units": 10, "activation": "softmax"}))
    return _chain(Document(), layers, list(SHAPES[name]))


def keras_model(name: str):
    if name == "resnet50":  # the same layers as ours, built from the document
        from kerascanvas.runtime.build import build_model

        return build_model(document(name))
    L = keras.layers
    if name == "mlp":
        return keras.Sequential([keras.Input((784,)), L.Dense(512, activation="relu"),
                                 L.Dense(512, activation="relu"),
                                 L.Dense(10, activation="softmax")])
    if name == "cnn":
        return keras.Sequential([keras.Input((28, 28, 1)), L.Conv2D(32, 3, activation="relu"),
                                 L.MaxPooling2D(), L.Conv2D(64, 3, activation="relu"),
                                 L.MaxPooling2D(), L.Flatten(), L.Dense(128, activation="relu"),
                                 L.Dense(10, activation="softmax")])
    inputs = keras.Input((32, 32, 3))
    x = L.ReLU()(L.BatchNormalization()(L.Conv2D(64, 3, padding="same", use_bias=False)(inputs)))
    for _ in range(4):
        y = L.ReLU()(L.BatchNormalization()(L.Conv2D(64, 3, padding="same", use_bias=False)(x)))
        y = L.BatchNormalization()(L.Conv2D(64, 3, padding="same", use_bias=False)(y))
        x = L.ReLU()(L.Add()([x, y]))
    outputs = L.Dense(10, activation="softmax")(L.GlobalAveragePooling2D()(x))
    return keras.Model(inputs, outputs)


class TorchResidual(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels),
            nn.ReLU(), nn.Conv2d(channels, channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(channels))

    def forward(self, x):
        return torch.relu(x + self.body(x))


class TorchBottleneck(nn.Module):
    def __init__(self, inputs: int, filters: int, stride: int):
        super().__init__()
        mid = filters // 4
        self.body = nn.Sequential(
            nn.Conv2d(inputs, mid, 1, bias=False), nn.BatchNorm2d(mid), nn.ReLU(),
            nn.Conv2d(mid, mid, 3, stride, padding=1, bias=False), nn.BatchNorm2d(mid),
            nn.ReLU(), nn.Conv2d(mid, filters, 1, bias=False), nn.BatchNorm2d(filters))
        self.shortcut = nn.Identity() if stride == 1 and inputs == filters else \
            nn.Sequential(nn.Conv2d(inputs, filters, 1, stride, bias=False),
                          nn.BatchNorm2d(filters))

    def forward(self, x):
        return torch.relu(self.shortcut(x) + self.body(x))


def torch_resnet50() -> nn.Module:
    blocks, inputs = [], 64
    for filters, stride, count in RESNET50:
        for i in range(count):
            blocks.append(TorchBottleneck(inputs, filters, stride if i == 0 else 1))
            inputs = filters
    return nn.Sequential(nn.Conv2d(3, 64, 7, 2, padding=3, bias=False), nn.BatchNorm2d(64),
                         nn.ReLU(), nn.MaxPool2d(3, 2, padding=1), *blocks,
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2048, 10))


def torch_model(name: str) -> nn.Module:
    """Logits out; the loss applies log-softmax (what softmax + sparse CE computes)."""
    if name == "mlp":
        return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                             nn.Linear(512, 10))
    if name == "cnn":
        return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                             nn.Linear(64 * 5 * 5, 128), nn.ReLU(), nn.Linear(128, 10))
    if name == "resnet50":
        return torch_resnet50()
    return nn.Sequential(nn.Conv2d(3, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64),
                         nn.ReLU(), *[TorchResidual(64) for _ in range(4)],
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))


def data(name: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.random((n, *SHAPES[name]), dtype="float32"), rng.integers(0, 10, n)


# ---- the four ways ----------------------------------------------------------------
