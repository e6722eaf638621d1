"""Training speed of our runtime against Keras' own fit and a plain PyTorch loop.

Same data, same architecture, same batch size, Adam. Four ways, in samples/s:

    (a) ours: `runtime.train.train` on a document, the one engine behind the app's
        worker and `kerascanvas run` (build_model, the shared compile, Keras' fit
        fed from device-resident batches (`runtime.feed`) with batch-end hooks
        called only where a callback listens (`runtime.dispatch`), FastBridge),
        with events to a sink that drops them
    (b) a hand-written Keras model with model.fit, verbose=0 and verbose=1
    (c) a plain PyTorch loop (nn.Module, torch.optim.Adam)
    (d) (a) with live plotting attached: the sink queues events and another thread
        appends them into numpy buffers, as the app's plot panel does

Models: an MLP (784-512-512-10), the MNIST CNN (28x28x1) and a small ResNet
(stem conv + 4 residual blocks of 64 channels on 32x32x3). Ratios printed:
(a)/(b) for both verbose settings, (a)/(c), (d)/(a). The first epoch of each way
is a warm-up, not timed. Each round runs every way once; odd rounds run them in
reverse order, and the printed ratios are medians of the rounds' own ratios. It
needs keras, torch and this package installed
(`pip install -e .`); nothing else, and nothing is downloaded.

    KERAS_BACKEND=torch python benchmarks/bench_train_speed.py --quick
    KERAS_BACKEND=torch python benchmarks/bench_train_speed.py --device cuda
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import os
import queue
import threading
import time

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np  # noqa: E402

from kerascanvas.graph.document import Document, Edge  # noqa: E402
from kerascanvas.runtime.keras_env import device_scope, import_keras  # noqa: E402

keras = import_keras()
import torch  # noqa: E402
from torch import nn  # noqa: E402

BATCH = 64
SIZES = {"mlp": (8192, 512), "cnn": (8192, 512), "resnet": (2048, 128)}  # full, quick


# ---- the three architectures, as documents, Keras code and torch modules ------------
def _chain(doc: Document, kinds: list[tuple[str, dict]], shape: list[int]) -> Document:
    prev = doc.add_node("Input", name="x", params={"shape": shape})
    for kind, params in kinds:
        node = doc.add_node(kind, params=params)
        doc.connect(Edge(prev.id, 0, node.id, 0))
        prev = node
    doc.outputs = [prev.id]
    return doc


def document(name: str) -> Document:
    if name == "mlp":
        layers = [("Dense", {"units": 512, "activation": "relu"}),
                  ("Dense", {"units": 512, "activation": "relu"})]
        shape = [784]
    elif name == "cnn":
        layers = [("Conv2D", {"filters": 32, "kernel_size": [3, 3], "activation": "relu"}),
                  ("MaxPooling2D", {}),
                  ("Conv2D", {"filters": 64, "kernel_size": [3, 3], "activation": "relu"}),
                  ("MaxPooling2D", {}), ("Flatten", {}),
                  ("Dense", {"units": 128, "activation": "relu"})]
        shape = [28, 28, 1]
    else:
        layers = [("Conv2D", {"filters": 64, "kernel_size": [3, 3], "padding": "same",
                              "use_bias": False}),
                  ("BatchNormalization", {}), ("ReLU", {}),
                  *[("ResidualBlock", {"filters": 64})] * 4,
                  ("GlobalAveragePooling2D", {})]
        shape = [32, 32, 3]
    layers.append(("Dense", {"units": 10, "activation": "softmax"}))
    return _chain(Document(), layers, shape)


def keras_model(name: str):
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


def torch_model(name: str) -> nn.Module:
    """Logits out; the loss applies log-softmax (what softmax + sparse CE computes)."""
    if name == "mlp":
        return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                             nn.Linear(512, 10))
    if name == "cnn":
        return nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                             nn.Linear(64 * 5 * 5, 128), nn.ReLU(), nn.Linear(128, 10))
    return nn.Sequential(nn.Conv2d(3, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64),
                         nn.ReLU(), *[TorchResidual(64) for _ in range(4)],
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))


def data(name: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    shape = {"mlp": (784,), "cnn": (28, 28, 1), "resnet": (32, 32, 3)}[name]
    rng = np.random.default_rng(0)
    return rng.random((n, *shape), dtype="float32"), rng.integers(0, 10, n)


# ---- the four ways ----------------------------------------------------------------
def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def time_fit(model, x, y, epochs: int, device: str, **fit) -> float:
    """Samples/s of `model.fit` over `epochs` epochs, after one untimed warm-up epoch."""
    model.fit(x, y, batch_size=BATCH, epochs=1, **fit)
    _sync(device)
    start = time.perf_counter()
    model.fit(x, y, batch_size=BATCH, epochs=epochs, **fit)
    _sync(device)
    return len(x) * epochs / (time.perf_counter() - start)


class EpochClock:
    """Passes events on to `sink` and notes when each epoch ended.

    The bridge turns the epoch's logs into floats before it sends `epoch_end`,
    which waits for the GPU, so these times include all the epoch's work.
    """

    def __init__(self, sink):
        self.sink = sink
        self.ends: list[float] = []

    def __call__(self, event: dict) -> None:
        if event["event"] == "epoch_end":
            self.ends.append(time.perf_counter())
        self.sink(event)

    def rate(self, samples: int) -> float:
        """Samples/s over the epochs after the first (the warm-up)."""
        return samples * (len(self.ends) - 1) / (self.ends[-1] - self.ends[0])


def ours(name, x, y, epochs, device, sink) -> float:
    """The app's and the command's path: `runtime.train.train` on a document."""
    from kerascanvas.runtime.data import Dataset
    from kerascanvas.runtime.train import prepare, train

    doc = document(name)
    doc.training = {"optimizer": {"name": "adam"}, "batch_size": BATCH, "epochs": epochs + 1,
                    "validation_split": 0.0, "device": device}
    doc, _ = prepare(doc)
    data = Dataset({"x": x}, {doc.node(doc.outputs[0]).name: y})
    clock = EpochClock(sink)
    train(doc, data, sink=clock)
    return clock.rate(len(x))


def keras_fit(name, x, y, epochs, device, verbose) -> float:
    with device_scope(device):
        model = keras_model(name)
        model.compile("adam", "sparse_categorical_crossentropy")
        with contextlib.redirect_stdout(io.StringIO()):
            return time_fit(model, x, y, epochs, device, verbose=verbose)


def torch_loop(name, x, y, epochs, device) -> float:
    model = torch_model(name).to(device)
    if x.ndim == 4:
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    xs, ys = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    def epoch():
        model.train()
        order = torch.randperm(len(xs), device=device)
        for i in range(0, len(xs), BATCH):
            idx = order[i:i + BATCH]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(xs[idx]), ys[idx])
            loss.backward()
            optimizer.step()

    epoch()
    _sync(device)
    start = time.perf_counter()
    for _ in range(epochs):
        epoch()
    _sync(device)
    return len(x) * epochs / (time.perf_counter() - start)


class PlotSink:
    """Queues events; a thread appends batch losses into numpy buffers at about 20 Hz."""

    def __init__(self):
        self.events: queue.SimpleQueue = queue.SimpleQueue()
        self.x = np.zeros(0, dtype="float64")
        self.loss = np.zeros(0, dtype="float64")
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def __call__(self, event: dict) -> None:
        self.events.put(event)

    def _drain(self) -> None:
        while not self._done.wait(0.05):
            xs, losses = [], []
            while not self.events.empty():
                event = self.events.get()
                if event["event"] == "batch_end":
                    xs.append(event["epoch"] * 1e6 + event["batch"])
                    losses.append(event["logs"].get("loss", np.nan))
            if xs:
                self.x = np.concatenate([self.x, xs])
                self.loss = np.concatenate([self.loss, losses])

    def close(self) -> None:
        self._done.set()
        self._thread.join()


def plotted(name, x, y, epochs, device) -> float:
    plot = PlotSink()
    try:
        return ours(name, x, y, epochs, device, plot)
    finally:
        plot.close()


def measure(name: str, n: int, epochs: int, device: str, reverse: bool) -> dict[str, float]:
    """One round: every way once, in the listed order or reversed (rounds alternate,
    so a drift of the machine within a round does not favour one way)."""
    x, y = data(name, n)
    ways = {"a": lambda: ours(name, x, y, epochs, device, lambda e: None),
            "b0": lambda: keras_fit(name, x, y, epochs, device, verbose=0),
            "b1": lambda: keras_fit(name, x, y, epochs, device, verbose=1),
            "c": lambda: torch_loop(name, x, y, epochs, device),
            "d": lambda: plotted(name, x, y, epochs, device)}
    rates = {}
    for key in (reversed(list(ways)) if reverse else list(ways)):
        gc.collect()
        rates[key] = ways[key]()
    return rates


def median_round(rounds: list[dict[str, float]]) -> dict[str, float]:
    """Median rate per way, and each ratio as the median of the rounds' own ratios
    (the ways of one round ran back to back, so their ratio is the least noisy)."""
    out = {key: float(np.median([r[key] for r in rounds])) for key in ("a", "b0", "b1", "c", "d")}
    for name, (top, bottom) in RATIOS.items():
        out[name] = float(np.median([r[top] / r[bottom] for r in rounds]))
    out["spread"] = {name: (min(r[t] / r[b] for r in rounds), max(r[t] / r[b] for r in rounds))
                     for name, (t, b) in RATIOS.items()}
    return out


RATIOS = {"a/b0": ("a", "b0"), "a/b1": ("a", "b1"), "a/c": ("a", "c"), "d/a": ("d", "a")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--quick", action="store_true", help="small data, one timed epoch")
    parser.add_argument("--models", default="mlp,cnn,resnet")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of all ways back to back; medians are printed")
    args = parser.parse_args()
    torch.manual_seed(0)
    keras.utils.set_random_seed(0)
    print(f"device {args.device}, batch {BATCH}, samples/s (higher is better)")
    header = (f"{'model':<7}{'(a) ours':>10}{'(b) fit v0':>12}{'(b) fit v1':>12}"
              f"{'(c) torch':>11}{'(d) +plot':>11}{'a/b0':>7}{'a/b1':>7}{'a/c':>7}{'d/a':>7}")
    print(header)
    spreads = []
    for name in args.models.split(","):
        full, quick = SIZES[name]
        rounds = [measure(name, quick if args.quick else full, 1 if args.quick else 2,
                          args.device, reverse=i % 2 == 1) for i in range(max(1, args.rounds))]
        r = median_round(rounds)
        print(f"{name:<7}{r['a']:>10.0f}{r['b0']:>12.0f}{r['b1']:>12.0f}{r['c']:>11.0f}"
              f"{r['d']:>11.0f}{r['a/b0']:>7.2f}{r['a/b1']:>7.2f}"
              f"{r['a/c']:>7.2f}{r['d/a']:>7.2f}", flush=True)
        spreads.append((name, r["spread"]))
    print(f"medians of {max(1, args.rounds)} rounds; min-max of the ratios over the rounds:")
    for name, spread in spreads:
        print(f"  {name:<7}" + "  ".join(f"{k} {lo:.2f}-{hi:.2f}" for k, (lo, hi)
                                        in spread.items()))


if __name__ == "__main__":
    main()
