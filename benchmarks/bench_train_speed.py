"""Training speed of our runtime against Keras' own fit and hand-written PyTorch.

Same data, same architecture, same batch size, Adam. Five ways, in samples/s:

    (a)  ours: `runtime.train.train` on a document, the one engine behind the app's
         worker and `kerascanvas run`: build_model, the shared compile, Keras' fit
         with the executor's step (`runtime.executor`: the lean step on the CPU, the
         captured CUDA-graph step on a GPU) fed from device-resident batches
         (`runtime.feed`), FastBridge; events go to a sink that drops them
    (b)  a hand-written Keras model trained with model.fit(verbose=0)
    (c)  the best hand-written PyTorch we know: data resident on the device, torch's
         fused Adam; on CUDA the whole step (forward, backward, a capturable Adam)
         captured as one CUDA graph and replayed with static input buffers
    (c0) a plain PyTorch loop (nn.Module, torch.optim.Adam defaults, zero_grad,
         backward, step), data resident on the device
    (d)  (a) with live plotting attached: the sink puts events on a multiprocessing
         queue, and another process appends them into numpy buffers at most 20
         times a second, as the app's worker and plot panel do
    (al) (ac) with --compile: the executor's lean step under a plain `fit`, without
         and with its forward pass compiled by torch.compile; the compile's cost is
         printed, and (ac)/(al) amortised over an MNIST-size run

Models: an MLP (784-512-512-10), the MNIST CNN (28x28x1), a small ResNet (stem
conv + 4 residual blocks of 64 channels on 32x32x3) and, on CUDA only, a
ResNet50-size model (stem, bottleneck stages 3-4-6-3, 224x224x3; run it with
`--batch 128`). Ratios printed: (a)/(b), (a)/(c), (a)/(c0), (d)/(a).

The ways are interleaved epoch by epoch in one process, so a shared, noisy
machine slows all of them alike: our run trains a warm-up epoch, then epochs
without and with live plotting in turn ((a), (d)), and after each of them (b),
(c) and (c0) train one epoch of their own (already warmed up), in alternating
order. Each ratio is the median over pairs of epochs run next to each other;
the quartiles of those pair ratios show the spread. It needs keras, torch and
this package installed (`pip install -e .`); nothing else, and nothing is
downloaded.

    KERAS_BACKEND=torch python benchmarks/bench_train_speed.py --quick
    TORCHINDUCTOR_FORCE_DISABLE_CACHES=1 KERAS_BACKEND=torch \
        python benchmarks/bench_train_speed.py --quick --models mlp,cnn --compile
    KERAS_BACKEND=torch python benchmarks/bench_train_speed.py --device cuda --batch 128 \
        --models mlp,cnn,resnet,resnet50
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

from kerascanvas.runtime import events as ev  # noqa: E402
from kerascanvas.runtime.keras_env import device_scope, import_keras  # noqa: E402

keras = import_keras()
import torch  # noqa: E402
from speed_models import SIZES, data, document, keras_model, torch_model  # noqa: E402
from torch import nn  # noqa: E402

BATCH = 64  # --batch changes it


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


class KerasFit:
    """(b): a hand-written Keras model trained with `model.fit`, one epoch per call."""

    def __init__(self, name, x, y, device, verbose=0):
        self.x, self.y, self.device, self.verbose = x, y, device, verbose
        with device_scope(device):
            self.model = keras_model(name)
            self.model.compile("adam", "sparse_categorical_crossentropy")
        self.epoch()  # warm-up

    def epoch(self) -> float:
        """Samples/s from the epoch's begin hook to its end hook, the span the bridge
        times for ours (the end hook gets the logs as floats, so the GPU is done)."""
        timer = EpochTimer()
        with device_scope(self.device), contextlib.redirect_stdout(io.StringIO()):
            self.model.fit(self.x, self.y, batch_size=BATCH, epochs=1, verbose=self.verbose,
                           callbacks=[timer])
        return len(self.x) / timer.seconds


class EpochTimer(keras.callbacks.Callback):
    """Times one epoch. It has no batch hooks, so Keras dispatches batches as it
    would with no callback at all."""

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds = time.perf_counter() - self.start


class TorchLoop:
    """(c0): the same network in plain PyTorch (nn.Module, torch.optim.Adam with its
    defaults), data on the device, one epoch per call."""

    def __init__(self, name, x, y, device):
        self.device = device
        self.model = torch_model(name).to(device)
        if x.ndim == 4:
            x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
        self.xs, self.ys = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
        self.optimizer = self.make_optimizer()
        self.loss = nn.CrossEntropyLoss()
        self.epoch()  # warm-up

    def make_optimizer(self):
        return torch.optim.Adam(self.model.parameters(), lr=1e-3)

    def step(self, x, y) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        self.loss(self.model(x), y).backward()
        self.optimizer.step()

    def epoch(self) -> float:
        _sync(self.device)
        start = time.perf_counter()
        self.model.train()
        order = torch.randperm(len(self.xs), device=self.device)
        for i in range(0, len(self.xs), BATCH):
            idx = order[i:i + BATCH]
            self.step(self.xs[idx], self.ys[idx])
        _sync(self.device)
        return len(self.xs) / (time.perf_counter() - start)


class TorchBest(TorchLoop):
    """(c): the best hand-written PyTorch we know. Torch's fused Adam; on CUDA the whole
    step captured once as a CUDA graph (Adam with capturable=True) and replayed with
    static input buffers. The data sizes are whole batches, so one graph serves."""

    def make_optimizer(self):
        cuda = self.device == "cuda"
        return torch.optim.Adam(self.model.parameters(), lr=1e-3, fused=True,
                                capturable=cuda)

    def step(self, x, y) -> None:
        if self.device != "cuda":
            return super().step(x, y)
        if not hasattr(self, "graph"):
            self._capture(x, y)
        self.static_x.copy_(x)
        self.static_y.copy_(y)
        self.graph.replay()

    def _capture(self, x, y) -> None:
        self.static_x, self.static_y = x.clone(), y.clone()
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(3):
                super().step(self.static_x, self.static_y)
        torch.cuda.current_stream().wait_stream(side)
        self.graph = torch.cuda.CUDAGraph()
        self.optimizer.zero_grad(set_to_none=True)
        with torch.cuda.graph(self.graph):
            self.loss(self.model(self.static_x), self.static_y).backward()
            self.optimizer.step()


class LeanFit(KerasFit):
    """(al) and (ac), with --compile: the hand-written Keras model trained with
    `model.fit`, the executor's lean step installed (`runtime.executor.install`);
    for (ac) its forward pass (the direct program) is compiled by `torch.compile`
    (inductor), which also compiles the backward. Both run under the same harness,
    so (ac)/(al) is what compiling changes. `first_s` is the warm-up epoch's time
    (for (ac), the compile happens in it)."""

    def __init__(self, name, x, y, device, compiled: bool):
        self.compiled = compiled
        super().__init__(name, x, y, device)

    def epoch(self) -> float:
        if hasattr(self, "first_s"):
            return super().epoch()
        from kerascanvas.runtime.executor import install

        choice = install(self.model, self.device)
        step = self.model.train_function
        if self.compiled and step.program is not None:
            step.forward = torch.compile(step.program, dynamic=False)
        self.path = choice.describe() + (" Forward compiled." if self.compiled else "")
        start = time.perf_counter()
        rate = super().epoch()
        self.first_s = time.perf_counter() - start
        return rate


def plot_main(events, ready) -> None:
    """The plotting side of (d), in a process of its own as the app's window is: it
    takes the events off a multiprocessing queue and, at most 20 times a second,
    appends the batch losses into numpy buffers as the app's plot panel does. It
    blocks, costing nothing, while no events come."""
    ready.set()  # the child has imported this module: the timed epochs may start
    x, loss = np.zeros(0, dtype="float64"), np.zeros(0, dtype="float64")
    while True:
        batch = [events.get()]
        redraw = time.monotonic() + 0.05
        while None not in batch and (wait := redraw - time.monotonic()) > 0:
            try:
                batch.append(events.get(timeout=wait))
            except queue.Empty:
                break
        shown = [ev.from_wire(e) for e in batch if e is not None]
        points = [(e.epoch * 1e6 + e.batch, e.logs.get("loss", np.nan))
                  for e in shown if isinstance(e, ev.BatchEnd)]
        if points:
            x = np.concatenate([x, [p[0] for p in points]])
            loss = np.concatenate([loss, [p[1] for p in points]])
        if None in batch:
            return


class PlotSink:
    """(d)'s live plotting: while `active` is set, each event goes onto a
    multiprocessing queue (as the app's worker sends its events) to `plot_main`
    in another process; otherwise events are dropped."""

    def __init__(self):
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        self.events = context.Queue()
        self.active = threading.Event()
        ready = context.Event()
        self._process = context.Process(target=plot_main, args=(self.events, ready),
                                        daemon=True)
        self._process.start()
        if not ready.wait(900):  # a loaded machine imports slowly
            raise RuntimeError("the plotting process did not start")

    def __call__(self, event: ev.TrainingEvent) -> None:
        if self.active.is_set():
            self.events.put(ev.to_wire(event))

    def close(self) -> None:
        self.events.put(None)
        self._process.join(timeout=30)


class Interleave(keras.callbacks.Callback):
    """Runs in our training run, after the bridge, at the end of each of our epochs:
    one epoch of every other way (in alternating order), then switches plotting on
    for our next epoch when it was off and off when it was on."""

    def __init__(self, others: dict, plot: PlotSink):
        super().__init__()
        self.others, self.plot = others, plot
        self.rates: dict[str, list[float]] = {key: [] for key in others}

    def on_epoch_end(self, epoch, logs=None):
        if epoch == 0:  # our warm-up epoch; the others warmed up when made
            return
        keys = list(self.others)
        for key in reversed(keys) if epoch % 2 else keys:
            gc.collect()
            self.rates[key].append(self.others[key].epoch())
        if self.plot.active.is_set():
            self.plot.active.clear()
        else:
            self.plot.active.set()


def measure(name: str, n: int, rounds: int, device: str,
            compiled: bool = False) -> tuple[dict, str, dict]:
    """Per-epoch rates of every way, interleaved epoch by epoch in one process, and
    the executor's own account of the step it ran.

    Our run (`runtime.train.train` on a document, the app's and the command's path)
    trains 1 + 2 * rounds epochs: a warm-up, then epochs without and with live
    plotting in turn, (a) and (d). After each, (b), (c) and (c0) train one epoch
    each (and (al), (ac) with `compiled`). Our rates are the bridge's own
    `samples_per_s` of each epoch. The third value holds (al) and (ac), or nothing.
    """
    from kerascanvas.runtime.data import Dataset
    from kerascanvas.runtime.train import prepare, train

    x, y = data(name, n)
    others = {"b": KerasFit(name, x, y, device), "c": TorchBest(name, x, y, device),
              "c0": TorchLoop(name, x, y, device)}
    if compiled:
        others.update(al=LeanFit(name, x, y, device, False), ac=LeanFit(name, x, y, device, True))
    plot = PlotSink()
    interleave = Interleave(others, plot)
    doc = document(name)
    doc.training = {"optimizer": {"name": "adam"}, "batch_size": BATCH,
                    "epochs": 1 + 2 * rounds, "validation_split": 0.0, "device": device}
    doc, _ = prepare(doc)
    ours: list[float] = []
    executor: list[str] = []

    def sink(event):
        if isinstance(event, ev.EpochEnd):
            ours.append(event.samples_per_s)
        elif isinstance(event, ev.ExecutorChosen):
            executor.append(event.message)
        plot(event)

    try:
        train(doc, Dataset({"x": x}, {doc.node(doc.outputs[0]).name: y}), sink=sink,
              callbacks=[interleave])
    finally:
        plot.close()
    timed = ours[1:]
    lean = {key: others[key] for key in ("al", "ac") if key in others}
    return {"a": timed[0::2], "d": timed[1::2], **interleave.rates}, " / ".join(executor), lean


RATIOS = {"a/b": ("a", "b"), "a/c": ("a", "c"), "a/c0": ("a", "c0"), "d/a": ("d", "a")}


def pairs(rates: dict[str, list[float]], top: str, bottom: str) -> list[float]:
    """Ratios of epochs run next to each other: (b, c, c0) ran right after epoch i of
    ours, so (a) epoch k pairs with their epoch 2k and (d) epoch k with (a) epoch k."""
    def series(key):
        if key in ("a", "d"):
            return rates[key]
        return rates[key][0::2] if top == "a" else rates[key][1::2]
    return [t / b for t, b in zip(series(top), series(bottom), strict=False)]


def summary(rates: dict[str, list[float]]) -> dict:
    out = {key: float(np.median(v)) for key, v in rates.items()}
    for name, (top, bottom) in RATIOS.items():
        values = pairs(rates, top, bottom)
        out[name] = float(np.median(values))
        out[name + " range"] = (float(np.percentile(values, 25)),
                                float(np.percentile(values, 75)))
    return out


REALISTIC_SAMPLES, REALISTIC_EPOCHS = 60000, 10  # an MNIST-size run


def compile_line(name: str, rates: dict, lean: dict) -> str:
    """(ac)/(al) per epoch, the compile's extra seconds (the difference of their
    warm-up epochs), and (ac)/(al) over a realistic run with that cost included."""
    ratios = [c / e for c, e in zip(rates["ac"], rates["al"], strict=False)]
    ratio = float(np.median(ratios))
    extra = lean["ac"].first_s - lean["al"].first_s
    run_al = REALISTIC_EPOCHS * REALISTIC_SAMPLES / float(np.median(rates["al"]))
    amortised = 1.0 / (1.0 / ratio + max(extra, 0.0) / run_al)  # run_al / (run_ac + extra)
    return (f"  {name:<9}(al) {np.median(rates['al']):.0f}/s  (ac) {np.median(rates['ac']):.0f}/s"
            f"  ac/al {ratio:.2f} (quartiles {np.percentile(ratios, 25):.2f}-"
            f"{np.percentile(ratios, 75):.2f})  compile +{extra:.1f} s  amortised ac/al "
            f"{amortised:.2f}\n  {'':<9}{lean['ac'].path}")


def main() -> None:
    global BATCH
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--quick", action="store_true",
                        help="small data, and 2 rounds unless --rounds says otherwise")
    parser.add_argument("--models", default="mlp,cnn,resnet",
                        help="among mlp, cnn, resnet, resnet50 (resnet50: CUDA only)")
    parser.add_argument("--batch", type=int, default=BATCH)
    parser.add_argument("--rounds", type=int, default=None,
                        help="epochs of (a) and of (d); the others run 2x as many (default 5)")
    parser.add_argument("--compile", action="store_true",
                        help="also (al) and (ac): the lean step without and with its "
                             "forward compiled by torch.compile, and the compile's cost")
    args = parser.parse_args()
    BATCH = args.batch
    torch.manual_seed(0)
    keras.utils.set_random_seed(0)
    rounds = max(1, args.rounds or (2 if args.quick else 5))
    print(f"device {args.device}, batch {BATCH}, samples/s (higher is better), medians "
          f"of {rounds} interleaved epochs; ratios are medians of adjacent-epoch pairs")
    print(f"{'model':<9}{'(a) ours':>10}{'(b) fit':>10}{'(c) best':>10}{'(c0) torch':>11}"
          f"{'(d) +plot':>11}" + "".join(f"{k:>7}" for k in RATIOS))
    results, compiled_lines = [], []
    for name in args.models.split(","):
        if name == "resnet50" and args.device != "cuda":
            print(f"{name:<9}skipped: a ResNet50-size model is measured on CUDA only")
            continue
        full, quick = SIZES[name]
        rates, executor, lean = measure(name, quick if args.quick else full, rounds,
                                        args.device, args.compile)
        r = summary(rates)
        print(f"{name:<9}{r['a']:>10.0f}{r['b']:>10.0f}{r['c']:>10.0f}{r['c0']:>11.0f}"
              f"{r['d']:>11.0f}" + "".join(f"{r[k]:>7.2f}" for k in RATIOS), flush=True)
        results.append((name, r, executor))
        if lean:
            compiled_lines.append(compile_line(name, rates, lean))
    print("quartiles of the paired ratios, and the step (a) ran:")
    for name, r, executor in results:
        print(f"  {name:<9}" + "  ".join(f"{k} {r[k + ' range'][0]:.2f}-{r[k + ' range'][1]:.2f}"
                                          for k in RATIOS))
        print(f"  {'':<9}{executor}")
    if compiled_lines:
        print(f"torch.compile of the lean step's forward: (ac)/(al) is the median of "
              f"adjacent-epoch ratios; amortised, over a {REALISTIC_EPOCHS}-epoch run of "
              f"{REALISTIC_SAMPLES} samples, with the compile's extra seconds")
        print("\n".join(compiled_lines))


if __name__ == "__main__":
    main()
