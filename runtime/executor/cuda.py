"""The whole training step captured as a CUDA graph, once per batch shape.

NOT VERIFIED: this project's tests run without a GPU, so this path has never
run on CUDA here. It is built on facts measured on an H100 (DESIGN.md, "Speed
on GPU": the Keras step captured and replayed equalled eager, BatchNormalization
statistics advanced, dropout masks differed), and `benchmarks/gpu_checks.sh`
checks it where a GPU is present. Any error while capturing makes the step fall
back to the lean eager step for the rest of the run, with the error as reason.

`CapturedStep(model, lean)` is the `train_function`. For each new batch shape
(the full batches, the last partial batch) it:

1. copies the batch into static input buffers (later batches are copied into
   them from the device-resident feed, `runtime.feed`, with no host transfer);
2. snapshots all state that a step changes (weights, BatchNormalization
   statistics, seed-generator state, optimizer iterations and slots, metric
   totals) and torch's CUDA RNG state;
3. warms up the lean step on a side stream (as torch's graph capture needs),
   then restores the snapshot, so the warm-up leaves no trace;
4. captures one lean step (forward, loss with its weights, loss tracker,
   gradients, optimizer update, metric updates) with the learning rate
   computed on the device (`safe.schedule_rate` for schedules, and the rate
   variable itself otherwise, so ReduceLROnPlateau's change applies).

Each call then fills the buffers and replays the graph: every batch, the first
included, is a real step run by the graph. Graphs of all shapes share one
memory pool. Logs stay in the metric variables, as in the lean step.
"""

from __future__ import annotations

import torch

from ..keras_env import import_keras
from .safe import safe_schedule_known, schedule_rate

keras = import_keras()

__all__ = ["CapturedStep", "safe_schedule_known"]


def _variables(model) -> list:
    return [*model.variables, *model.optimizer.variables, *model.metrics_variables]


def _state(model) -> list[torch.Tensor]:
    seen, out = set(), []
    for variable in _variables(model):
        value = variable.value
        if id(value) not in seen:
            seen.add(id(value))
            out.append(value)
    return out


class Snapshot:
    """Copies of every state tensor of a model (weights, BatchNormalization
    statistics, seed-generator states, optimizer iterations and slots, metric
    totals) and of torch's RNG on `device`, to put back. It works on the CPU too,
    where the tests check that a warm-up and `restore` leave no trace."""

    def __init__(self, model, device: str = "cuda"):
        self.model = model
        self.tensors = _state(model)
        with torch.no_grad():
            self.copies = [t.detach().clone() for t in self.tensors]
        self.cuda = device == "cuda"
        self.rng = torch.cuda.get_rng_state() if self.cuda else torch.get_rng_state()

    def restore(self, strict: bool = True) -> None:
        """Put every state tensor and the RNG back.

        Raises:
            RuntimeError: (with `strict`) state was created after the snapshot (a
                metric built by the warm-up's first step), so its values cannot be
                put back. `fit` builds every metric before the first step.
        """
        with torch.no_grad():
            for tensor, copy in zip(self.tensors, self.copies, strict=True):
                tensor.copy_(copy)
        if self.cuda:
            torch.cuda.set_rng_state(self.rng)
        else:
            torch.set_rng_state(self.rng)
        known = {id(t) for t in self.tensors}
        new = [v.path for v in _variables(self.model) if id(v.value) not in known]
        if strict and new:
            raise RuntimeError("the warm-up created state it cannot put back: "
                               + ", ".join(new))


class Graph:
    """One captured step: the graph and its static input buffers."""

    def __init__(self, graph, inputs: list[torch.Tensor]):
        self.graph, self.inputs = graph, inputs

    def run(self, flat: list[torch.Tensor]) -> None:
        for buffer, value in zip(self.inputs, flat, strict=True):
            buffer.copy_(value, non_blocking=True)
        self.graph.replay()


class CapturedStep:
    """`fit`'s train function on CUDA: capture per batch shape, then replay.

    Attributes:
        failed: why capture stopped being used (None while it works).
    """

    def __init__(self, model, lean, warmup: int = 3):
        self.model, self.lean, self.warmup = model, lean, warmup
        self.graphs: dict[tuple, Graph] = {}
        self.pool = None
        self.failed: str | None = None

    @property
    def want_logs(self) -> bool:
        return self.lean.want_logs

    @want_logs.setter
    def want_logs(self, value: bool) -> None:
        self.lean.want_logs = value

    def __call__(self, data):
        if self.failed is not None:
            return self.lean(data)
        flat = keras.tree.flatten(data[0])
        key = tuple((tuple(t.shape), t.dtype, t.device) for t in flat)
        graph = self.graphs.get(key)
        if graph is None:
            graph = self._capture_or_fall_back(data[0], flat, key)
            if graph is None:
                return self.lean(data)
        graph.run(flat)
        return self.lean.logs()

    def _capture_or_fall_back(self, batch, flat, key) -> Graph | None:
        if not all(t.is_cuda for t in flat):
            self.failed = "a batch that is not on the GPU"
            return None
        snapshot = Snapshot(self.model)
        try:
            graph = self._capture(batch, flat)
            snapshot.restore()
        except Exception as exc:  # any capture error: train on, eagerly, and say why
            torch.cuda.synchronize()
            snapshot.restore(strict=False)
            self.failed = f"capture failed ({type(exc).__name__}: {exc})"
            return None
        self.graphs[key] = graph
        return graph

    def _capture(self, batch, flat) -> Graph:
        lean = self.lean
        if not lean._ready:
            lean._prepare()
        buffers = [t.detach().clone() for t in flat]
        static = keras.tree.pack_sequence_as(batch, buffers)
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(static)
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(self.warmup):
                lean.body(x, y, sample_weight)
        torch.cuda.current_stream().wait_stream(side)
        torch.cuda.synchronize()
        graph = torch.cuda.CUDAGraph()
        with _rate_on_device(lean), torch.cuda.graph(graph, pool=self.pool):
            lean.body(x, y, sample_weight)
        self.pool = graph.pool()
        return Graph(graph, buffers)


class _rate_on_device:
    """While capturing, a schedule's rate comes from `safe.schedule_rate`."""

    def __init__(self, lean):
        update = getattr(lean.update, "inner", lean.update)
        self.update = update if hasattr(update, "rate") else None

    def __enter__(self):
        if self.update is None:
            return self
        optimizer = self.update.optimizer
        schedule = optimizer._learning_rate
        if isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule):
            iterations = optimizer._iterations.value
            self.update.rate = lambda: schedule_rate(schedule, iterations)
        return self

    def __exit__(self, *exc):
        if self.update is not None:
            self.update.rate = None
