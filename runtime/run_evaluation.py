"""What the window shows of a trained model beyond its scores: the evaluation on the
held-out data and the predictions behind its confusion matrix and examples.

After a run trained (`worker.train_document`), rank 0 evaluates the model on the test
data when there is some (else the run's own final score stands) and predicts the
held-out data (test, else validation, else training). The predictions go to an NPZ
beside the saved model: `y_true` and `y_pred` of the first output (class ids for
classifiers, values for regression; `y_true_1`, `y_pred_1`... for further outputs),
`outputs` (their names), and when known `class_names` and `x` (the first input's first 32
samples: images, or rows of table data and token ids, which the window lists with their
predictions).
A stop during these passes ends them after the current batch, and their results are
dropped. An error in them (a metric or a shape that fails on the test data, memory
running out) is the result's `evaluation_error`, naming the pass and the error: the
run's status, its saved model and its own final score stand.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np

from kerascanvas.graph.atomicfile import replacing
from kerascanvas.graph.document import Document
from kerascanvas.graph.training import output_names

from .data import label_form

__all__ = ["SAMPLE_IMAGES", "PassFailed", "evaluate_run", "evaluation_fields"]

SAMPLE_IMAGES = 32


def evaluation_fields(result, doc: Document, data, payload: Mapping[str, Any],
                      analysis=None, guard=None) -> dict:
    """{"evaluation": {...}} of a trained model, or {"evaluation_error": text}: the
    `Result` fields.

    Predictions go to an NPZ next to the saved model (see `evaluate_run`). `guard`: a
    `bridge.CutOnStop`; a stop during these passes ends them, and there is then no
    evaluation beyond the run's own final score (`result.metrics`).
    """
    from .fault_callbacks import prediction_faults
    from .train import TrainingRefused, load_checked_data

    path = _predictions_path(payload.get("save"))
    test = payload.get("test_data") or result.settings.get("test_data")
    try:
        test_data = load_checked_data(doc, result.settings, test, analysis) if test else None
    except (TrainingRefused, ValueError, OSError) as exc:
        # Training itself went well: its result stands, and the reason is shown.
        return {"evaluation_error": f"Could not evaluate the trained model on the test data "
                                    f"{test!r}: {exc}"}
    try:
        evaluation = evaluate_run(result, doc, data, path, test_data, guard,
                                  prediction_faults(payload.get("fault"), guard))
    except PassFailed as exc:  # the model is saved and kept: its Save and Continue work
        return {"evaluation_error": str(exc)}
    if guard is not None and guard.cut is not None:
        return {"evaluation_error": "The predictions were stopped on request: no confusion "
                                    "matrix or examples, and no score on test data."}
    return {"evaluation": evaluation}


class PassFailed(Exception):
    """An error in a pass over the data after training; its text names the pass, the
    data and the error."""


@contextmanager
def _in_pass(name: str, lost: str):
    """Raise any error of the pass `name` as a `PassFailed` naming it and what the run
    lacks without it (`lost`); memory running out too: the trained model is kept
    whatever fails here."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001  (a metric, a layer, Keras, memory)
        first = next((line.strip() for line in str(exc).splitlines() if line.strip()), "")
        raise PassFailed(f"{name} failed after training, by an error: {type(exc).__name__}"
                         f"{': ' + first if first else ''}. The trained model is kept, "
                         f"without {lost}.") from exc


# ---- evaluation and predictions ----------------------------------------------------
def evaluate_run(result, doc: Document, data, path: str, test=None, guard=None,
                 faults=()) -> dict[str, Any]:
    """Predict on the held-out data (test, else validation, else training); save an NPZ.

    Args:
        result: a `train.TrainResult` with its model.
        doc: the document trained. data: the training data (Dataset or ImageFolder).
        path: where the predictions NPZ goes.
        test: test data (same kinds as `data`), or None.
        guard: a Keras callback for the passes (`bridge.CutOnStop`: a stop ends them;
            the caller then drops what they gave), or None.
        faults: a test's callbacks for the predictions (`fault_callbacks.prediction_faults`).

    Returns:
        {"split": ..., "metrics": {Keras name: value}, "predictions": path}.
    """
    from .fitplan import plan_fit

    settings = result.settings
    if test is not None:
        with _in_pass("The evaluation on the test data", "a score on test data"):
            plan = plan_fit(doc, test, {**settings, "validation_split": 0.0})
            metrics = result.model.evaluate(**plan.evaluate, verbose=0, return_dict=True,
                                            callbacks=[guard] if guard else None)
        split, metrics = "test", {k: float(v) for k, v in metrics.items()}
    else:
        plan = plan_fit(doc, data, settings)
        split, metrics = plan.evaluated_on, dict(result.metrics)
    names = output_names(doc)
    with _in_pass(f"The predictions on the {split} data", "a confusion matrix or examples"):
        x, y_true, y_pred = _predict(result.model, plan.evaluate, len(names), guard, faults)
        arrays = {"outputs": np.array(names)}
        for i, name in enumerate(names):
            form = label_form(settings["loss"][name], y_pred[i].shape[-1])
            suffix = f"_{i}" if i else ""
            arrays[f"y_true{suffix}"], arrays[f"y_pred{suffix}"] = _labelled(
                y_true[i], y_pred[i], form)
    classes = _class_names(test if test is not None else data, names[0])
    if classes:
        arrays["class_names"] = np.array(classes)
    if x is not None and (x.ndim in (2, 3) or (x.ndim == 4 and x.shape[-1] in (1, 3, 4))):
        arrays["x"] = x
    with _in_pass(f"Writing the predictions to {path}", "a confusion matrix or examples"):
        # Whole or not at all, as the model: a predictions file that exists is complete.
        with replacing(path) as partial:  # its name ends in .npz too: numpy adds none
            np.savez(partial, **arrays)
    return {"split": split, "metrics": metrics, "predictions": path}


def _listed(value, count: int) -> list:
    if isinstance(value, Mapping):
        return list(value.values())
    return list(value) if isinstance(value, list | tuple) else [value]


def _predict(model, evaluate: Mapping[str, Any], outputs: int, guard=None, faults=()):
    """(first input's samples or None, labels per output, predictions per output); a
    `guard` that a stop asked ends the pass early."""
    if "y" in evaluate:  # arrays
        x = evaluate["x"]
        callbacks = [*([guard] if guard else []), *faults]
        predicted = model.predict(x, batch_size=evaluate.get("batch_size"), verbose=0,
                                  callbacks=callbacks or None)
        first = _listed(x, 1)[0]
        return (np.asarray(first[:SAMPLE_IMAGES]), _listed(evaluate["y"], outputs),
                _listed(predicted, outputs))
    batches = evaluate["x"]  # an image folder's batches: predicted one batch at a time
    shown, labels, predicted = [], [], []
    for index in range(len(batches)):
        if guard is not None and guard.asked and shown:
            guard.cut = (index, len(batches))
            break
        x, y = batches[index]
        shown.append(x[:SAMPLE_IMAGES - sum(len(s) for s in shown)])
        labels.append(np.asarray(y))
        predicted.append(np.asarray(model.predict_on_batch(x)))
    return np.concatenate(shown), [np.concatenate(labels)], [np.concatenate(predicted)]


def _labelled(y_true, y_pred, form: str) -> tuple[np.ndarray, np.ndarray]:
    """Class ids of labels and predictions for classifiers; values for regression."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if form == "regression":
        return y_true.astype("float32"), y_pred.astype("float32")
    if y_pred.shape[-1] > 1:
        pred = y_pred.reshape(-1, y_pred.shape[-1]).argmax(-1)
    else:
        pred = (y_pred.reshape(-1) > 0.5).astype("int64")
    rows = y_true.ndim >= 2 and y_true.shape[-1] > 1
    true = y_true.reshape(-1, y_true.shape[-1]).argmax(-1) if rows else \
        np.rint(y_true.reshape(-1)).astype("int64")
    return true.astype("int64"), pred.astype("int64")


def _class_names(data, output: str) -> list[str]:
    names = getattr(data, "class_names", None)
    if isinstance(names, Mapping):
        names = names.get(output)
    return [str(n) for n in names or []]


def predictions_next_to(save: str) -> str:
    """Where a run that saves its model to `save` writes its predictions NPZ."""
    return os.path.splitext(save)[0] + ".predictions.npz"


def _predictions_path(save: str | None) -> str:
    if save:
        return predictions_next_to(save)
    handle, path = tempfile.mkstemp(prefix="kerascanvas-", suffix=".predictions.npz")
    os.close(handle)
    return path
