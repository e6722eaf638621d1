"""The project's `training.test_data` in `kerascanvas run`: read and checked against the
model before training (a missing or unfitting file is refused then, naming the field,
not found out after a long run), and the trained model scored on it afterwards.

The window's runs did this (`runtime.run_evaluation`); the command ignored the setting
without a word and printed only the validation data's metrics.
"""

from __future__ import annotations

from typing import Any


def open_test_data(doc, settings: dict, analysis) -> tuple[Any, str | None]:
    """(the checked test data or None, why it is refused or None)."""
    from ..data import DataError
    from ..train import TrainingRefused, load_checked_data

    spec = settings.get("test_data")
    if not spec:
        return None, None
    try:
        return load_checked_data(doc, settings, spec, analysis), None
    except (DataError, TrainingRefused, ValueError, OSError) as exc:
        return None, f"the project's training.test_data {spec!r}: {exc}"


def test_metrics_text(result, doc, test) -> str:
    """The trained model's metrics on the test data, as a table under its header; or,
    when that evaluation fails, what failed (the model is kept whatever happens here)."""
    from ..fitplan import plan_fit

    spec = result.settings.get("test_data")
    try:
        plan = plan_fit(doc, test, {**result.settings, "validation_split": 0.0})
        metrics = result.model.evaluate(**plan.evaluate, verbose=0, return_dict=True)
    except Exception as exc:  # noqa: BLE001 - a metric, a layer, memory: training stands
        first = next((line for line in str(exc).splitlines() if line.strip()), "")
        return (f"The evaluation on training.test_data {spec!r} failed: "
                f"{type(exc).__name__}: {first}. The trained model is kept.")
    width = max((len(name) for name in metrics), default=0)
    rows = [f"  {name:<{width}}  {float(value):.4f}" for name, value in metrics.items()]
    return "\n".join([f"Test metrics (training.test_data {spec!r})", *rows])
