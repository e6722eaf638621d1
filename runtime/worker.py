"""Training in a subprocess that can be stopped, paused, resumed and killed.

The parent holds a `TrainingRun`. Its `start()` launches a process (spawn
context, so the child has fresh Keras global state and can be killed without
harm to the parent), which builds the model from the document's JSON,
trains it, and sends plain dict events over a multiprocessing queue: those of
`callbacks.FastBridge`, then one final

    {"event": "result", "status": "finished|stopped|failed", "message": "...",
     "history": {...}, "epochs_run": 3, "saved": "model.keras" | null, "device": "cpu"}

Commands go the other way ("stop", "pause", "resume"): a thread in the child
hands them to the bridge, so a stop takes effect after the current batch.
The child saves the model to `save_path` when training finishes, stops, or
fails with a NaN loss (with the last weights whose epoch loss was finite).
`kill()` terminates the process; the parent marks the run "killed".
There is no Qt here: the app polls `poll_events()` from a timer.
"""

from __future__ import annotations

import math
import multiprocessing
import queue
import threading
import traceback
from collections.abc import Callable, Mapping
from typing import Any

from kerascanvas.graph.document import Document
from kerascanvas.graph.projectfile import from_dict, to_dict

RUNNING, FINISHED, STOPPED, KILLED, FAILED = "running", "finished", "stopped", "killed", "failed"
COMMANDS = ("stop", "pause", "resume")


class Control:
    """Commands for a bridge that may not exist yet (the model is still being built)."""

    def __init__(self):
        self.bridge = None
        self._pending: list[str] = []
        self._lock = threading.Lock()

    def command(self, name: str) -> None:
        with self._lock:
            if self.bridge is None:
                self._pending.append(name)
            else:
                _apply(self.bridge, name)

    def attach(self, bridge) -> None:
        with self._lock:
            self.bridge = bridge
            for name in self._pending:
                _apply(bridge, name)
            self._pending.clear()


def _apply(bridge, name: str) -> None:
    {"stop": bridge.request_stop, "pause": bridge.pause, "resume": bridge.resume}[name]()


def _listen(commands, control: Control) -> None:
    while True:
        name = commands.get()
        if name is None:
            return
        control.command(name)


def _child_main(payload: dict, events, commands) -> None:
    from .keras_env import ensure_backend

    ensure_backend()
    control = Control()
    threading.Thread(target=_listen, args=(commands, control), daemon=True).start()
    try:
        result = train_document(payload, events.put, control)
    except BaseException as exc:  # noqa: B036  the parent must hear of any failure
        result = {"event": "result", "status": FAILED, "message": _failure(exc),
                  "traceback": traceback.format_exc()}
    events.put(result)
    events.close()
    events.join_thread()


def _failure(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return f"Training failed: {text}"


# ---- the engine: runs in the child (tests also call it in-process) ---------------
def _result(status: str, message: str = "", **fields) -> dict[str, Any]:
    return {"event": "result", "status": status, "message": message, **fields}


def _single(values: list):
    # One output or input: the bare value, as hand-written Keras code passes it.
    return values[0] if len(values) == 1 else values


def _output_names(doc: Document) -> list[str]:
    return [doc.node(nid).name for nid in doc.outputs]


def prepare_fit(doc: Document, data, settings: Mapping[str, Any]) -> tuple[dict, int, int]:
    """(fit keyword arguments, training samples, steps per epoch) for arrays or images."""
    from .sources import ImageFolder
    from .train import split_validation

    if isinstance(data, ImageFolder):
        return ({"x": data.train, "validation_data": data.validation},
                data.num_samples, len(data.train))
    inputs = [n.name for n in doc.nodes.values() if n.kind == "Input"]
    outputs = _output_names(doc)
    x, y, xv, yv = split_validation(data, float(settings["validation_split"]))
    validation = None
    if xv is not None:
        validation = (_single([xv[n] for n in inputs]), _single([yv[n] for n in outputs]))
    samples = len(next(iter(x.values())))
    batch = int(settings["batch_size"])
    return ({"x": _single([x[n] for n in inputs]), "y": _single([y[n] for n in outputs]),
             "batch_size": batch, "shuffle": bool(settings["shuffle"]),
             "validation_data": validation}, samples, math.ceil(samples / batch))


def class_weights(value, labels) -> dict[int, float] | None:
    """Keras' `class_weight` from the setting: None, "balanced" or {class id: weight}.

    "balanced" weighs class c by n / (classes * count(c)), as scikit-learn does.
    """
    import numpy as np

    if value is None:
        return None
    if value != "balanced":
        return {int(k): float(v) for k, v in value.items()}
    labels = np.asarray(labels)
    ids = labels.argmax(-1) if labels.ndim > 1 and labels.shape[-1] > 1 else labels.reshape(-1)
    classes, counts = np.unique(ids.astype("int64"), return_counts=True)
    return {int(c): len(ids) / (len(classes) * int(n)) for c, n in zip(classes, counts,
                                                                       strict=True)}


def compile_for(model, doc: Document, settings: Mapping[str, Any], steps: int) -> None:
    """Compile with the settings' optimizer and schedule, our losses and metrics by name."""
    from .data import output_shapes
    from .extras import resolve_loss, resolve_metric
    from .optim import make_optimizer

    names = _output_names(doc)
    shapes = output_shapes(doc)
    units = {doc.node(nid).name: shapes.get(nid, (None,))[-1] for nid in doc.outputs}
    weights = settings.get("loss_weights")
    model.compile(
        optimizer=make_optimizer(settings, steps),
        loss=_single([resolve_loss(settings["loss"][n]) for n in names]),
        metrics=_single([[resolve_metric(m, units[n]) for m in settings["metrics"][n]]
                         for n in names]),
        loss_weights=_single([weights[n] for n in names]) if weights else None)


def _load(doc: Document, settings: Mapping[str, Any]):
    from .build import describe_issues
    from .data import Dataset, check_data
    from .sources import open_source

    data = open_source(settings["data"], doc, settings["seed"],
                       float(settings["validation_split"]), int(settings["batch_size"]))
    if isinstance(data, Dataset):
        problems = check_data(doc, data)
        if problems:
            raise ValueError(describe_issues(doc, problems, f"The data {data.source!r} does "
                                                            "not fit the model"))
    return data


def _labels(data, fit_args: Mapping[str, Any]):
    return data.train.labels if hasattr(data, "train") else fit_args["y"]


def train_document(payload: Mapping[str, Any], sink: Callable[[dict], None],
                   control: Control | None = None) -> dict[str, Any]:
    """Build, compile and fit the document's model; return the "result" event.

    Args:
        payload: {"document": project dict, "overrides": {...}, "save": path or None,
            "fault": None or {"at_batch": N, "error": "oom"|"nan"}}.
        sink: receives the bridge's events.
        control: hands stop/pause/resume commands to the bridge once it exists.

    Returns:
        The result event. Settings, data and build problems, NaN losses and running
        out of memory all become a "failed" result with a message, never an exception.
    """
    from kerascanvas.graph.training_schema import check_training, resolve_extended

    doc = from_dict(payload["document"])
    doc.training = {**doc.training, **(payload.get("overrides") or {})}
    errors = [i.message for i in check_training(doc) if i.severity == "error"]
    if errors:
        return _result(FAILED, "The training settings are refused: " + "; ".join(errors))
    settings = resolve_extended(doc)
    try:
        data = _load(doc, settings)
    except Exception as exc:  # DataError, ValueError: the message names the source
        return _result(FAILED, str(exc))
    return _fit(doc, data, settings, payload, sink, control or Control())


def _fit(doc, data, settings, payload, sink, control) -> dict[str, Any]:
    from .build import build_model
    from .callbacks import FastBridge, FaultInjector, LastFiniteWeights, make_callbacks
    from .keras_env import choose_device, device_scope, import_keras
    from .precision import keep_outputs_float32, policy_for, precision_scope

    keras = import_keras()
    device = choose_device(settings["device"])
    if settings["seed"] is not None:
        keras.utils.set_random_seed(int(settings["seed"]))
    fit_args, samples, steps = prepare_fit(doc, data, settings)
    bridge = FastBridge(sink, {**settings, "device": device},
                        batch_size=int(settings["batch_size"]), samples=samples)
    keeper = LastFiniteWeights()
    extra = [FaultInjector(**payload["fault"])] if payload.get("fault") else []
    control.attach(bridge)
    status, message = FINISHED, ""
    with device_scope(device):
        with precision_scope(policy_for(settings)):
            model = build_model(doc)
            keep_outputs_float32(model)
            compile_for(model, doc, settings, steps)
        try:
            model.fit(**fit_args, epochs=int(settings["epochs"]), verbose=0,
                      class_weight=class_weights(settings["class_weight"],
                                                 _labels(data, fit_args)),
                      callbacks=[bridge, keeper, *make_callbacks(settings), *extra])
        except Exception as exc:
            return _oom_result(exc, device, settings, bridge)
    if bridge.nan_at is not None or keeper.nan_epoch is not None:
        keeper.restore()
        status, message = FAILED, _nan_message(bridge, keeper, settings)
    elif bridge.stopped:
        status, message = STOPPED, f"Stopped on request after {bridge.epochs_run} epoch(s)."
    saved = payload.get("save")
    if saved:
        model.save(saved)
    history = getattr(getattr(model, "history", None), "history", {}) or {}
    return _result(status, message, history=history, epochs_run=bridge.epochs_run,
                   saved=saved, device=device)


def _oom_result(exc: Exception, device: str, settings, bridge) -> dict[str, Any]:
    from .train import is_out_of_memory

    if not is_out_of_memory(exc):
        raise exc
    detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return _result(FAILED, f"Out of memory on {device} while training with batch size "
                           f"{settings['batch_size']}. Try a smaller batch size or a smaller "
                           f"model. The model was not saved. ({detail})",
                   epochs_run=bridge.epochs_run, saved=None, device=device, oom=True)


def _nan_message(bridge, keeper, settings) -> str:
    epoch, batch = bridge.nan_at or (keeper.nan_epoch, None)
    where = f"epoch {epoch + 1}" + (f", batch {batch + 1}" if batch is not None else "")
    kept = f"epoch {keeper.good_epochs}" if keeper.good_epochs else "before training"
    return (f"The loss became NaN or infinite at {where} (learning rate "
            f"{settings['optimizer']['learning_rate']}). Training stopped; the weights kept "
            f"are those from {kept}. Try a lower learning rate, or check the data for "
            f"extreme values.")


class TrainingRun:
    """One training run of a document in a child process, driven from the parent.

    Args:
        document: a Document or its project-file dict.
        overrides: training settings that replace the document's (epochs, data...).
        save_path: a `.keras` path the child saves the model to when it ends.
        fault: for tests and UI checks, `{"at_batch": N, "error": "oom"|"nan"}` makes
            the child fail that way at batch N of the first epoch.
    """

    def __init__(self, document: Document | Mapping[str, Any],
                 overrides: Mapping[str, Any] | None = None, save_path: str | None = None,
                 fault: Mapping[str, Any] | None = None):
        doc_dict = to_dict(document) if isinstance(document, Document) else dict(document)
        self.payload = {"document": doc_dict, "overrides": dict(overrides or {}),
                        "save": str(save_path) if save_path else None,
                        "fault": dict(fault) if fault else None}
        self.status = "ready"
        self.result: dict[str, Any] | None = None
        self.process = None
        self._events = self._commands = None

    def start(self) -> None:
        """Launch the child process; events start arriving through `poll_events()`."""
        if self.process is not None:
            raise RuntimeError(f"This run was already started (status {self.status!r})")
        context = multiprocessing.get_context("spawn")
        self._events, self._commands = context.Queue(), context.Queue()
        self.process = context.Process(target=_child_main, daemon=True, name="kerascanvas-train",
                                       args=(self.payload, self._events, self._commands))
        self.process.start()
        self.status = RUNNING

    def _send(self, name: str) -> None:
        if self.status == RUNNING:
            self._commands.put(name)

    def stop(self) -> None:
        """Stop after the current batch; the child saves the model and reports "stopped"."""
        self._send("stop")

    def pause(self) -> None:
        """Hold training before the next batch (a "paused" event follows)."""
        self._send("pause")

    def resume(self) -> None:
        self._send("resume")

    def kill(self, timeout: float = 5.0) -> None:
        """Terminate the child at once (last resort: nothing is saved); status "killed"."""
        if self.process is None or self.status != RUNNING:
            return
        self.process.terminate()
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout)
        self.status = KILLED
        self.result = {"event": "result", "status": KILLED,
                       "message": "Training was killed; the model was not saved."}

    def poll_events(self) -> list[dict[str, Any]]:
        """The events that arrived since the last call, without blocking."""
        if self._events is None or self.status == KILLED:
            return []
        received = self._drain()
        if self.status == RUNNING and not self.process.is_alive():
            received += self._drain(wait=0.5)
            if self.status == RUNNING:
                self.status = FAILED
                self.result = {"event": "result", "status": FAILED, "message": (
                    f"The training process ended unexpectedly (exit code "
                    f"{self.process.exitcode}); the model was not saved.")}
                received.append(self.result)
        return received

    def _drain(self, wait: float = 0.0) -> list[dict[str, Any]]:
        received = []
        while True:
            try:
                event = self._events.get(timeout=wait) if wait else self._events.get_nowait()
            except queue.Empty:
                return received
            received.append(event)
            if event.get("event") == "result":
                self.result, self.status = event, event["status"]
                self._commands.put(None)

    def wait(self, timeout: float | None = None, on_event: Callable | None = None) -> str:
        """Block until the run ends (or `timeout` seconds pass); return the status."""
        import time

        deadline = math.inf if timeout is None else time.monotonic() + timeout
        while self.status == RUNNING and time.monotonic() < deadline:
            for event in self.poll_events():
                if on_event is not None:
                    on_event(event)
            time.sleep(0.05)
        if self.status != RUNNING and self.process is not None:
            self.process.join(5)
        return self.status
