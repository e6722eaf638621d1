"""The training executor: a faster `train_function` under Keras' own `fit`.

Keras' torch trainer calls `model.train_function(data)` once per batch, and
`make_train_function` keeps a function that is already set. `install(model,
...)` sets one after `compile`, so `fit` keeps its callbacks, history,
validation, `initial_epoch` and saving, and only the step itself changes:

* on the CPU (and on CUDA when capture is blocked), `step.LeanStep`: the
  forward pass as direct torch calls (`program`, `lowerings`), the loss and
  metrics through Keras, an in-place optimizer update (`updates`), and no read
  back to the host;
* on CUDA, `cuda.CapturedStep`: the lean step captured once per batch shape as
  a CUDA graph and replayed (see that module; never run on CUDA in this
  project's tests, which have no GPU).

`install` returns a `Choice` saying which path runs and why; every fallback
has its reason (`blockers`), which `kerascanvas run` prints and the app shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..events import ExecutorChosen
from .blockers import capture_blockers, step_blockers


@dataclass
class Choice:
    """Which step trains, and why.

    Attributes:
        path: "cuda-graph", "lean", or "keras" (Keras' own train step).
        reasons: why a faster path was not taken (empty when the fastest runs).
        detail: what the lean step does inside (forward and update paths).
    """

    path: str
    reasons: list[str] = field(default_factory=list)
    detail: str = ""

    def describe(self) -> str:
        """One line for the user."""
        names = {"cuda-graph": "captured CUDA-graph step", "lean": "lean step",
                 "keras": "Keras' own train step"}
        text = f"Executor: {names.get(self.path, self.path)}"
        if self.detail:
            text += f" ({self.detail})"
        if self.reasons:
            text += "; not faster because " + "; ".join(self.reasons)
        return text + "."

    def event(self) -> ExecutorChosen:
        """The training event that reports this choice."""
        return ExecutorChosen(self.path, list(self.reasons), self.describe())


def install(model, device: str | None = None, resident: bool = False,
            want_logs: bool = True, enabled: bool = True) -> Choice:
    """Set `model.train_function` to the fastest step that keeps Keras' semantics.

    Args:
        model: a compiled keras.Model (torch backend).
        device: "cpu" or "cuda": where training runs (None: where the weights are).
        resident: whether the training batches come from device-resident tensors
            (`runtime.feed`); capture needs them.
        want_logs: each step returns its logs, as Keras' does (a plain `fit` hands them
            to batch-end hooks); False returns only their names, for a callback list
            that calls batch-end hooks only where a callback listens (`attach`).
        enabled: False keeps Keras' own step (the `executor: keras` setting).

    Returns:
        The `Choice` made. Nothing is changed when it is "keras".
    """
    if not enabled:
        return Choice("keras", ["the executor is switched off in the settings"])
    blocked = step_blockers(model)
    if blocked:
        return Choice("keras", blocked)
    from .step import LeanStep

    if device is None:
        weights = model.weights
        device = weights[0].value.device.type if weights else "cpu"
    lean = LeanStep(model, want_logs=want_logs)
    reasons = capture_blockers(model, device, resident) if device == "cuda" else []
    if device == "cuda" and not reasons:
        from .cuda import CapturedStep

        model.train_function = CapturedStep(model, lean)
        return Choice("cuda-graph", [], _detail(lean))
    model.train_function = lean
    return Choice("lean", reasons, _detail(lean))


def _detail(lean) -> str:
    reason = lean.forward_reason
    if reason is None:
        return "direct forward pass"
    return f"forward pass through Keras, as {reason}"


def uninstall(model) -> None:
    """Give `fit` Keras' own step again (it makes it on the next call)."""
    model.train_function = None


def resident(plan) -> bool:
    """Whether `plan.fit` trains from device-resident batches (`runtime.feed`)."""
    from ..feed import DeviceArrays

    loader = plan.fit.get("x")
    return isinstance(getattr(loader, "dataset", None), DeviceArrays)


def attach(model, plan, device: str, callbacks, setting: str = "auto") -> Choice:
    """`install` for a training run: `plan` is the run's FitPlan, `callbacks` the
    callbacks `fit` gets (a step returns logs only when one listens to batch ends),
    `setting` the training setting "executor" ("auto" or "keras")."""
    from ..callbacks import defines

    want = any(defines(c, "on_train_batch_end", "on_batch_end") for c in callbacks)
    return install(model, device, resident(plan), want, enabled=setting != "keras")


def _announce_base():
    from ..keras_env import import_keras

    return import_keras().callbacks.Callback


class Announce(_announce_base()):
    """Sends the choice's event to `sink` when training begins (after the bridge's
    own), and a second one if a captured step falls back during the first epoch
    (a capture error)."""

    def __init__(self, sink, event: ExecutorChosen, model):
        super().__init__()
        self.sink, self.event, self._told = sink, event, False
        self.set_model(model)

    def on_train_begin(self, logs=None):
        self.sink(self.event)

    def on_epoch_end(self, epoch, logs=None):
        failed = getattr(self.model.train_function, "failed", None)
        if failed and not self._told:
            self._told = True
            self.sink(Choice("lean", [failed], "after a failed capture").event())
