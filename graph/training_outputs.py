"""The training settings' per-output losses and metrics, and the custom code they may
name: the names Keras resolves, and the checks of each output's choice. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import loss_names, training_code
from .document import Document
from .script_names import TAKEN_CODE
from .setting_issue import SettingIssue, _issue
from .training import output_names

# Loss names `keras.losses.get` resolves (a test checks the list against Keras' registry).
KERAS_LOSSES = (
    "BCE", "BinaryCrossentropy", "BinaryFocalCrossentropy", "CTC", "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy", "CategoricalHinge", "Circle", "CosineSimilarity", "Dice",
    "Hinge", "Huber", "KLD", "KLDivergence", "LogCosh", "MAE", "MAPE", "MSE", "MSLE",
    "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredError",
    "MeanSquaredLogarithmicError", "Poisson", "SparseCategoricalCrossentropy", "SquaredHinge",
    "Tversky", "bce", "binary_crossentropy", "binary_focal_crossentropy",
    "categorical_crossentropy", "categorical_focal_crossentropy", "categorical_hinge",
    "circle", "cosine_similarity", "ctc", "dice", "hinge", "huber", "kl_divergence", "kld",
    "log_cosh", "mae", "mape", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_error", "mean_squared_logarithmic_error", "mse", "msle", "poisson",
    "sparse_categorical_crossentropy", "squared_hinge", "tversky",
)
OUR_LOSSES = ("focal_loss",)  # runtime.extras.LOSSES


SUGGEST_FIX = "use_suggested_name"


def known_losses(doc: Document) -> list[str]:
    return [*KERAS_LOSSES, *OUR_LOSSES,
            *training_code.defined(training_code.source(doc.training))]


def known_metrics(doc: Document) -> list[str]:
    return [*KERAS_METRICS, *OUR_METRICS,
            *training_code.defined(training_code.source(doc.training))]


def metric_suggestions(doc: Document) -> list[str]:
    """The metric names a typo is matched against: Keras' lower-case ones, ours, the code's."""
    return [*METRIC_NAMES, *training_code.defined(training_code.source(doc.training))]


def closest(name: Any, known: list[str]) -> str | None:
    """The known name closest to a mistyped one ('sparse_categorical_crossentopy'), if any."""
    import difflib

    found = difflib.get_close_matches(str(name), known, n=1)
    return found[0] if found else None


def _hinted(field: str, message: str, close: str | None) -> SettingIssue:
    hint = f" Did you mean {close!r}?" if close else ""
    return SettingIssue(field, "error", f"{field}: {message}{hint}",
                        fixes=(SUGGEST_FIX,) if close else (),
                        data={"suggestion": close} if close else {})


def _check_losses(doc: Document, settings: Mapping[str, Any]) -> list[SettingIssue]:
    known = known_losses(doc)
    issues = []
    for out, loss in (settings.get("loss") or {}).items():
        name = training_code.reference_name(loss)
        if name not in known:
            issues.append(_hinted(f"training.loss.{out}", f"{loss!r} is not a loss Keras "
                                  "knows by name, nor one the custom code defines.",
                                  closest(name, known)))
            continue
        unknown, takes = loss_names.unknown_options(loss)
        if unknown:
            issues.append(_issue(f"training.loss.{out}", f"{name} does not take the option "
                                 f"{', '.join(map(repr, unknown))}. It takes "
                                 f"{', '.join(takes)}"))
    return issues


def with_suggested_names(doc: Document, field: str) -> dict | None:
    """The training settings with each unknown loss or metric of `field`
    ("training.loss.OUT" or "training.metrics.OUT") renamed to its closest known name,
    or None when nothing there has a suggestion."""
    import copy

    from .training import resolve_training

    head, _, out = field.removeprefix("training.").partition(".")
    settings = resolve_training(doc)
    if head not in ("loss", "metrics") or out not in settings[head]:
        return None
    known = known_losses(doc) if head == "loss" else known_metrics(doc)
    offered = known if head == "loss" else metric_suggestions(doc)

    def renamed(value):
        name = training_code.reference_name(value)
        twin = label_twin(value, settings["loss"].get(out)) if head == "metrics" else None
        close = twin or (None if name in known else closest(name, offered))
        if close is None:
            return value
        return {**value, "name": close} if isinstance(value, Mapping) else close

    value = settings[head][out]
    new = renamed(value) if head == "loss" else _once([renamed(v) for v in value])
    if new == value:
        return None
    training = copy.deepcopy(doc.training or {})
    raw = training.get(head)
    per = dict(raw) if isinstance(raw, dict) else {n: copy.deepcopy(raw) for n in
                                                   output_names(doc)} if raw is not None else {}
    per[out] = new
    training[head] = per
    return training


def _once(metrics: list) -> list:
    """`metrics` without a second metric of a name already listed (accuracy renamed to the
    mae listed after it), which Keras would log under one name twice."""
    seen, kept = set(), []
    for metric in metrics:
        name = training_code.reference_name(metric)
        if name is None or name not in seen:
            kept.append(metric)
        seen.add(name)
    return kept


def _check_custom_code(doc: Document, settings: Mapping[str, Any]) -> list[SettingIssue]:
    from .layers.custom import TRUST_FIX
    from .layers.custom_context import context

    return [SettingIssue(field, "error", message, code,
                         fixes=(TRUST_FIX,) if code == training_code.UNTRUSTED else ())
            for field, message, code in
            training_code.check(doc.training, settings, context(doc).trusted)] + [
        SettingIssue(training_code.WHERE, "warning", message, TAKEN_CODE)
        for message in training_code.script_clashes(doc.training)]


# Metric names `model.compile` takes as strings: Keras builds each from the name
# alone (the rest of `keras.metrics` needs arguments, such as IoU's num_classes).
# A test checks the list against Keras' own registry, both ways.
KERAS_METRICS = (
    "accuracy", "acc", "auc", "bce", "binary_accuracy", "binary_crossentropy",
    "binary_io_u", "categorical_accuracy", "categorical_crossentropy", "categorical_hinge",
    "concordance_correlation", "cosine_similarity", "f1_score", "f_beta_score",
    "false_negatives", "false_positives", "hinge", "kl_divergence", "log_cosh_error", "mae",
    "mape", "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error",
    "mean_squared_logarithmic_error", "mse", "msle", "pearson_correlation", "poisson",
    "precision", "r2_score", "recall", "root_mean_squared_error",
    "sparse_categorical_accuracy", "sparse_categorical_crossentropy",
    "sparse_top_k_categorical_accuracy", "squared_hinge", "top_k_categorical_accuracy",
    "true_negatives", "true_positives",
    # and their class names
    "AUC", "Accuracy", "BCE", "BinaryAccuracy", "BinaryCrossentropy", "BinaryIoU",
    "CategoricalAccuracy", "CategoricalCrossentropy", "CategoricalHinge",
    "ConcordanceCorrelation", "CosineSimilarity", "F1Score", "FBetaScore", "FalseNegatives",
    "FalsePositives", "Hinge", "KLDivergence", "LogCoshError", "MAE", "MAPE", "MSE", "MSLE",
    "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredError",
    "MeanSquaredLogarithmicError", "PearsonCorrelation", "Poisson", "Precision", "R2Score",
    "Recall", "RootMeanSquaredError", "SparseCategoricalAccuracy",
    "SparseCategoricalCrossentropy", "SparseTopKCategoricalAccuracy", "SquaredHinge",
    "TopKCategoricalAccuracy", "TrueNegatives", "TruePositives",
)
OUR_METRICS = ("f1_macro", "f1_micro", "rmse")  # runtime.extras.METRICS
METRIC_NAMES = tuple(n for n in KERAS_METRICS if n[0].islower() and n not in
                     ("f1_score", "f_beta_score")) + OUR_METRICS
# Built from the name alone, these give a vector (one value per class).
PER_CLASS = {"f1_score", "F1Score", "f_beta_score", "FBetaScore"}
# Keras' top-k accuracies, built from the name, use k=5 and fail in the first batch
# with 5 classes or fewer.
TOP_K = {"sparse_top_k_categorical_accuracy", "top_k_categorical_accuracy",
         "SparseTopKCategoricalAccuracy", "TopKCategoricalAccuracy"}
TOP_K_DEFAULT = 5
# Metrics that read one-hot rows, and their twins that read class ids: a loss trains on one
# form of labels, and the other metric misreads them (top_k_categorical_accuracy under
# sparse_categorical_crossentropy fails in the first batch, categorical_accuracy is wrong).
ONE_HOT_TO_IDS = {"categorical_accuracy": "sparse_categorical_accuracy",
                  "top_k_categorical_accuracy": "sparse_top_k_categorical_accuracy",
                  "categorical_crossentropy": "sparse_categorical_crossentropy",
                  "CategoricalAccuracy": "SparseCategoricalAccuracy",
                  "TopKCategoricalAccuracy": "SparseTopKCategoricalAccuracy",
                  "CategoricalCrossentropy": "SparseCategoricalCrossentropy"}
IDS_TO_ONE_HOT = {ids: hot for hot, ids in ONE_HOT_TO_IDS.items()}


# Metrics that compare each prediction with a label of its own shape (0/1 per unit):
# class ids, one per sample, fail in the first batch ("The size of tensor a (8) must
# match the size of tensor b (24)").
SAME_SHAPE = frozenset({"auc", "AUC", "precision", "Precision", "recall", "Recall",
                        "true_positives", "TruePositives", "true_negatives", "TrueNegatives",
                        "false_positives", "FalsePositives", "false_negatives",
                        "FalseNegatives", "binary_accuracy", "BinaryAccuracy", "binary_io_u",
                        "BinaryIoU"})


REGRESSION_LOSSES = frozenset({"mean_squared_error", "mean_absolute_error", "huber",
                               "log_cosh", "mean_squared_logarithmic_error",
                               "mean_absolute_percentage_error"})
ACCURACIES = frozenset({"accuracy", "acc", "binary_accuracy", "categorical_accuracy",
                        "sparse_categorical_accuracy"})


def label_twin(metric: Any, loss: Any) -> str | None:
    """The metric reading the labels `loss` trains on, where `metric` reads the other form.

    >>> label_twin("top_k_categorical_accuracy", "sparse_categorical_crossentropy")
    'sparse_top_k_categorical_accuracy'
    >>> label_twin("sparse_categorical_accuracy", "categorical_crossentropy")
    'categorical_accuracy'
    >>> label_twin("accuracy", "mse")  # regression targets: an error, not a hit rate
    'mae'
    """
    name = loss_names.canonical(loss)
    if name == "sparse_categorical_crossentropy":
        return ONE_HOT_TO_IDS.get(metric) if isinstance(metric, str) else None
    if name == "categorical_crossentropy":
        return IDS_TO_ONE_HOT.get(metric) if isinstance(metric, str) else None
    if name in REGRESSION_LOSSES and metric in ACCURACIES:  # targets, not classes
        return "mse" if name == "mean_absolute_error" else "mae"
    return None


def _check_metrics(doc: Document, settings: Mapping[str, Any],
                   results: Mapping[str, Any] | None) -> list[SettingIssue]:

    known = set(KERAS_METRICS) | set(OUR_METRICS)
    custom = training_code.defined(training_code.source(doc.training))
    issues, units = [], None
    for out, metrics in (settings.get("metrics") or {}).items():
        for metric in metrics or []:
            field = f"training.metrics.{out}"
            if training_code.reference_name(metric) in custom:
                continue  # the custom code's own: checked with it
            if not isinstance(metric, str) or metric not in known:
                issues.append(_hinted(field, f"{metric!r} is not a metric Keras builds from "
                                             "its name.", closest(metric, metric_suggestions(doc))))
            elif (twin := label_twin(metric, (settings.get("loss") or {}).get(out))) and \
                    loss_names.canonical(settings["loss"][out]) in REGRESSION_LOSSES:
                if _output_activation(doc, out) in PROBABILITIES:
                    continue  # probabilities: Keras' accuracy reads them as classes
                loss = training_code.reference_name(settings["loss"][out])
                issues.append(SettingIssue(
                    field, "warning", f"{field}: {metric} counts predictions equal to their "
                    f"labels (rounded at 0.5 for one unit), but output {out!r} is trained "
                    f"for regression ({loss}): it stays near 0 and says nothing of the fit; "
                    f"use {twin}", fixes=(SUGGEST_FIX,), data={"suggestion": twin}))
            elif twin:
                forms = ("one-hot rows", "class ids")[::1 if twin in IDS_TO_ONE_HOT else -1]
                loss = training_code.reference_name(settings["loss"][out])
                issues.append(SettingIssue(
                    field, "error", f"{field}: {metric} expects {forms[0]} as labels, but "
                    f"output {out!r} is trained on {forms[1]} ({loss}); use {twin}",
                    fixes=(SUGGEST_FIX,), data={"suggestion": twin}))
            elif metric in SAME_SHAPE and loss_names.canonical(
                    (settings.get("loss") or {}).get(out)) == "sparse_categorical_crossentropy":
                issues.append(_issue(field, f"{metric} compares each prediction with a label "
                                            "of the same shape (0 or 1 per unit), but output "
                                            f"{out!r} is trained on class ids (sparse_"
                                            "categorical_crossentropy), one per sample; use "
                                            "categorical_crossentropy with one-hot labels"))
            elif metric in PER_CLASS:
                issues.append(_issue(field, f"{metric} gives one value per class (Keras' "
                                            "default average=None), which training logs, "
                                            "curves and the results table cannot show as "
                                            "one number; use f1_macro or f1_micro"))
            elif metric in TOP_K:
                units = _output_units(doc, results) if units is None else units
                k = TOP_K_DEFAULT
                if units.get(out) is not None and units[out] <= k:
                    issues.append(_issue(field, f"{metric} counts a hit in the top {k} "
                                                f"classes, but output {out!r} has "
                                                f"{units[out]}; it needs more than {k}"))
    return issues


# Outputs that are probabilities: trained with a regression loss they are still classes, and
# Keras' "accuracy" (binary on one unit, categorical on several) counts them right.
PROBABILITIES = ("sigmoid", "softmax")


def _output_activation(doc: Document, out: str) -> str | None:
    """The activation the output named `out` applies last (None: not plain to see)."""
    from .inference import spec_of

    for name, (nid, port) in zip(output_names(doc), doc.output_refs(), strict=True):
        node = doc.nodes.get(nid)
        spec = spec_of(node) if node is not None and name == out and not port else None
        if spec is not None:
            try:
                return spec.final_activation(spec.resolve(node.params))
            except Exception:  # noqa: BLE001 - bad params are reported by their node
                return None
    return None


def _output_units(doc: Document, results: Mapping[str, Any] | None) -> dict[str, int | None]:
    if results is None:  # shapes only: the full analysis checks the training settings
        from .inference import infer_graph

        results = {}
        infer_graph(doc, results, {})
    units = {}
    for name, (nid, port) in zip(output_names(doc), doc.output_refs(), strict=True):
        shapes = results[nid].output_shapes if nid in results else None
        shape = shapes[port] if shapes and port < len(shapes) else None
        units[name] = shape[-1] if shape else None
    return units


def check_class_ids(doc: Document, class_weight: Any,
                    results: Mapping[str, Any] | None) -> list[SettingIssue]:
    """A warning per class id of `class_weight` that the one output has no unit for
    (`{"9": 2.0}` for three classes): Keras trains without a word, the weight unused."""
    if not isinstance(class_weight, Mapping) or len(doc.outputs) != 1:
        return []
    ((name, units),) = _output_units(doc, results).items()
    if units is None:
        return []
    classes = max(units, 2)  # one sigmoid unit holds two classes
    return [SettingIssue(f"training.class_weight.{key}", "warning",
                         f"training.class_weight.{key}: output {name!r} has {units} unit(s), "
                         f"so its classes are 0 to {classes - 1}; the weight of class {key} "
                         f"is never used. Received: {key!r}: {weight!r}")
            for key, weight in class_weight.items()
            if str(key).isdigit() and int(key) >= classes]
