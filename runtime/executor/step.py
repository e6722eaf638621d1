"""The lean training step: Keras' `train_step`, with less Python and no host reads.

`LeanStep(model)` is called by `fit` as `model.train_function(data)`, once per
batch. It does what Keras' torch `train_step` does, in the same order and on
the same state:

1. the forward pass in training mode (`program.Program`, or the model itself
   when `program.plan_reason` refuses it);
2. `model._compute_loss` (the compiled losses with their weights, sample and
   class weights, regularization losses);
3. the loss tracker: total += loss * batch, count += batch, as Keras' `Mean`
   does with the batch size as weight;
4. the gradients of the trainable variables (`torch.autograd.grad`, so no
   `zero_grad` walk over the modules);
5. the optimizer step: `updates.lean_update` where it covers the optimizer,
   else Keras' own `optimizer.apply`;
6. the compiled metrics' `update_state`.

Nothing reads a value back to the host. The logs stay in the metric variables:
the step returns the metric names with no values unless `want_logs` is set
(a callback listens to batch ends), and the bridge reads the running metrics
itself when it sends an event (`model.get_metrics_result()`), at most 20
times a second. At the end of an epoch `fit` reads the metrics from the model.
"""

from __future__ import annotations

import torch

from ..keras_env import import_keras
from .program import Program, plan_reason
from .updates import lean_update, unsupported_reason

keras = import_keras()
_unpack = keras.utils.unpack_x_y_sample_weight


class LeanStep:
    """One training step per call, with Keras' `train_step` semantics.

    Attributes:
        want_logs: return the running metrics as Keras' step does (tensors);
            otherwise return their names with None values.
        forward_path: "direct" (the program) or "keras" (the model's __call__), and
            why, for the report.
        update_path: "lean" or "keras", and why.
    """

    def __init__(self, model, want_logs: bool = False, direct: bool = True):
        self.model = model
        self.want_logs = want_logs
        reason = plan_reason(model) if direct else "direct calls switched off"
        self.program = Program(model) if reason is None else None
        self.forward_path = "direct" if reason is None else f"keras ({reason})"
        self.forward_reason = reason  # why not direct, for the user's line
        self.update_path = ""
        self._ready = False
        self._names: dict | None = None

    def forward(self, x):
        if self.program is not None:
            return self.program(x)
        return self.model(x, training=True)

    def _prepare(self) -> None:
        model = self.model
        self.variables = model.trainable_weights[:]
        self.params = [v.value for v in self.variables]
        optimizer = model.optimizer
        if not optimizer.built:
            optimizer.build(self.variables)
        self.update = lean_update(optimizer)
        self.update_path = "lean" if self.update else \
            f"keras ({unsupported_reason(optimizer)})"
        tracker = model._loss_tracker
        self._total, self._count = tracker.total.value, tracker.count.value
        self._ready = True

    def loss(self, x, y, sample_weight):
        """Forward pass and loss, with the loss tracker updated; the loss to differentiate."""
        model = self.model
        y_pred = self.forward(x)
        loss = model._compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight,
                                   training=True)
        batch = next(t for t in keras.tree.flatten(x) if t is not None).shape[0]
        with torch.no_grad():
            self._total.add_(loss.detach().to(self._total.dtype) * batch)
            self._count.add_(batch)
        return model.optimizer.scale_loss(loss), y_pred

    def apply(self, loss) -> None:
        if not self.params:
            return
        grads = torch.autograd.grad(loss, self.params, allow_unused=True)
        with torch.no_grad():
            if self.update is not None and all(g is not None for g in grads):
                self.update(list(grads))
            else:
                self.model.optimizer.apply(list(grads), self.variables)

    def metrics(self, x, y, y_pred, sample_weight):
        model = self.model
        if type(model).compute_metrics is not keras.Model.compute_metrics:
            return model.compute_metrics(x, y, y_pred, sample_weight=sample_weight)
        if model._compile_metrics is not None:
            model._compile_metrics.update_state(y, y_pred, sample_weight)
        return None

    def body(self, x, y, sample_weight):
        """One step on unpacked data; the metrics when the model computes its own."""
        loss, y_pred = self.loss(x, y, sample_weight)
        self.apply(loss)
        return self.metrics(x, y, y_pred, sample_weight)

    def __call__(self, data):
        if not self._ready:
            self._prepare()
        logs = self.body(*_unpack(data[0]))
        return logs if logs is not None else self.logs()

    def logs(self) -> dict:
        if self.want_logs:
            return self.model.get_metrics_result()
        if self._names is None:
            self._names = dict.fromkeys(self.model.get_metrics_result())
        return self._names
