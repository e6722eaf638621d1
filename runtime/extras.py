"""Losses and metrics Keras lacks in the form we need, and the names settings use.

Settings name them like Keras' own: a loss "focal_loss" (or
`{"name": "focal_loss", "gamma": 3.0}`), metrics "f1_macro", "f1_micro" and
"rmse". The classes are registered under the package "kerascanvas", so a saved
model loads again (in safe mode) once this module is imported.

Labels may be class ids or one-hot rows, whichever the output's loss uses: the
loss and metric look at the shapes to tell which.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kerascanvas.graph import loss_names

from .keras_env import import_keras

keras = import_keras()
ops = keras.ops


def _class_ids_or_rows(y_true, y_pred):
    """(labels, sparse): labels squeezed to ids when they are ids, else one-hot rows."""
    classes = y_pred.shape[-1]
    if len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == 1 and classes != 1:
        y_true = ops.squeeze(y_true, axis=-1)
    return y_true, len(y_true.shape) < len(y_pred.shape)


@keras.saving.register_keras_serializable(package="kerascanvas")
class FocalLoss(keras.losses.Loss):
    """Focal loss (Lin et al. 2017): cross-entropy scaled by `(1 - p_t) ** gamma`.

    One output unit is read as a binary (sigmoid) output and `alpha` weighs the
    positive class, `1 - alpha` the negative one. Several units are read as a
    softmax over classes, with class-id or one-hot labels, and `alpha` scales
    every class alike (Keras' `CategoricalFocalCrossentropy` does the same).

    Args:
        alpha: the class balance weight, in [0, 1].
        gamma: the focusing exponent; 0 gives plain (alpha-weighted) cross-entropy.
        from_logits: whether predictions are logits rather than probabilities.
    """

    def __init__(self, alpha: float = 0.25, gamma: float = 2.0, from_logits: bool = False,
                 reduction="sum_over_batch_size", name: str = "focal_loss", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.alpha = float(alpha)
        self.gamma = float(gamma)
        self.from_logits = bool(from_logits)

    def call(self, y_true, y_pred):
        y_pred = ops.convert_to_tensor(y_pred)
        y_true = ops.cast(ops.convert_to_tensor(y_true), y_pred.dtype)
        if y_pred.shape[-1] == 1:
            return self._binary(y_true, y_pred)
        y_true, sparse = _class_ids_or_rows(y_true, y_pred)
        if sparse:
            y_true = ops.one_hot(ops.cast(y_true, "int32"), y_pred.shape[-1], dtype=y_pred.dtype)
        log_p = self._log_probs(y_pred)
        p = ops.exp(log_p)
        per_class = -self.alpha * ops.power(1.0 - p, self.gamma) * log_p
        return ops.sum(y_true * per_class, axis=-1)

    def _log_probs(self, y_pred):
        if self.from_logits:
            return ops.log_softmax(y_pred, axis=-1)
        eps = keras.backend.epsilon()
        return ops.log(ops.clip(y_pred, eps, 1.0 - eps))

    def _binary(self, y_true, y_pred):
        if len(y_true.shape) < len(y_pred.shape):
            y_true = ops.expand_dims(y_true, -1)
        if self.from_logits:
            log_p1, log_p0 = ops.log_sigmoid(y_pred), ops.log_sigmoid(-y_pred)
        else:
            eps = keras.backend.epsilon()
            p = ops.clip(y_pred, eps, 1.0 - eps)
            log_p1, log_p0 = ops.log(p), ops.log(1.0 - p)
        p1 = ops.exp(log_p1)
        pos = -self.alpha * ops.power(1.0 - p1, self.gamma) * log_p1
        neg = -(1.0 - self.alpha) * ops.power(p1, self.gamma) * log_p0
        return ops.mean(y_true * pos + (1.0 - y_true) * neg, axis=-1)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha, "gamma": self.gamma,
                "from_logits": self.from_logits}


@keras.saving.register_keras_serializable(package="kerascanvas")
class F1Score(keras.metrics.Metric):
    """F1 score over all batches of an epoch, from arg-max (or thresholded) predictions.

    Keeps true positives, false positives and false negatives per class. "macro"
    averages the per-class F1 over the classes seen in the labels or the
    predictions so far (as scikit-learn does); "micro" pools the counts.

    Args:
        num_classes: the output's units (a one-unit sigmoid output counts 2 classes).
        average: "macro" or "micro".
        threshold: the decision threshold of a one-unit (binary) output.
    """

    def __init__(self, num_classes: int, average: str = "macro", threshold: float = 0.5,
                 name: str | None = None, dtype=None):
        if average not in ("macro", "micro"):
            raise ValueError(f"F1Score average: expected 'macro' or 'micro'. "
                             f"Received: {average!r}")
        super().__init__(name=name or f"f1_{average}", dtype=dtype)
        self.num_classes = max(2, int(num_classes))
        self.average = average
        self.threshold = float(threshold)
        shape = (self.num_classes,)
        self.tp = self.add_variable(shape=shape, initializer="zeros", name="tp")
        self.fp = self.add_variable(shape=shape, initializer="zeros", name="fp")
        self.fn = self.add_variable(shape=shape, initializer="zeros", name="fn")

    def _ids(self, y_true, y_pred):
        if y_pred.shape[-1] == 1:
            pred = ops.cast(ops.squeeze(y_pred, -1) > self.threshold, "int32")
            true = ops.reshape(y_true, ops.shape(pred))
            return ops.cast(ops.round(true), "int32"), pred
        y_true, sparse = _class_ids_or_rows(y_true, y_pred)
        true = y_true if sparse else ops.argmax(y_true, axis=-1)
        return ops.cast(true, "int32"), ops.argmax(y_pred, axis=-1)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.convert_to_tensor(y_pred)
        true, pred = self._ids(ops.convert_to_tensor(y_true), y_pred)
        t = ops.reshape(ops.one_hot(true, self.num_classes, dtype=self.dtype),
                        (-1, self.num_classes))
        p = ops.reshape(ops.one_hot(pred, self.num_classes, dtype=self.dtype),
                        (-1, self.num_classes))
        w = 1.0
        if sample_weight is not None:
            w = ops.reshape(ops.cast(sample_weight, self.dtype), (-1, 1))
        self.tp.assign_add(ops.sum(w * t * p, axis=0))
        self.fp.assign_add(ops.sum(w * (1.0 - t) * p, axis=0))
        self.fn.assign_add(ops.sum(w * t * (1.0 - p), axis=0))

    def result(self):
        if self.average == "micro":
            tp = ops.sum(self.tp)
            return ops.divide_no_nan(2.0 * tp, 2.0 * tp + ops.sum(self.fp) + ops.sum(self.fn))
        denominator = 2.0 * self.tp + self.fp + self.fn
        per_class = ops.divide_no_nan(2.0 * self.tp, denominator)
        seen = ops.cast(denominator > 0, self.dtype)
        return ops.divide_no_nan(ops.sum(per_class * seen), ops.sum(seen))

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes,
                "average": self.average, "threshold": self.threshold}


LOSSES = {"focal_loss": FocalLoss}
METRICS = {
    "f1_macro": lambda units: F1Score(units, "macro"),
    "f1_micro": lambda units: F1Score(units, "micro"),
    "rmse": lambda units: keras.metrics.RootMeanSquaredError(name="rmse"),
}
# Classes a saved model may name, for keras.saving.load_model(custom_objects=...).
CUSTOM_OBJECTS = {"kerascanvas>FocalLoss": FocalLoss, "kerascanvas>F1Score": F1Score}


def resolve_loss(loss: str | Mapping[str, Any]):
    """A loss for `model.compile`: our object for our names, else what Keras resolves.

    Args:
        loss: a name ("focal_loss", "mse", ...) or `{"name": ..., **options}`.
    """
    if isinstance(loss, Mapping):
        options = loss_names.options(loss)
        name = loss.get("name")
        if name in LOSSES:
            return LOSSES[name](**options)
        cls = loss_names.loss_class(loss)
        if cls is None:  # the user's own code: Keras finds it by its registered name
            return keras.losses.get({"class_name": name, "config": options})
        try:  # the class: a snake-case name would resolve to a function without options
            return getattr(keras.losses, cls)(**options)
        except TypeError as exc:
            raise ValueError(f"loss {name!r}: {exc}; {cls} takes "
                             f"{', '.join(_option_names(cls))}") from None
    return LOSSES[loss]() if loss in LOSSES else loss


def _option_names(cls: str) -> list[str]:
    import inspect

    params = inspect.signature(getattr(keras.losses, cls).__init__).parameters
    return [p for p in params if p not in ("self", "args", "kwargs")]


def resolve_metric(metric: str, units: int | None):
    """A metric for `model.compile`; `units` is the output's last dimension (for F1)."""
    if metric in METRICS:
        return METRICS[metric](units or 2)
    return metric
