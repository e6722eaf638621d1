"""`kerascanvas search --show`'s table: every trial of the study, by number, with its state,
value, the epochs it reached, how long it trained, and the values it was given. Light: it
reads the study's summary (`search.study.summary`), no Optuna or Keras.

A trial takes one row, its parameters the indented lines below it (and a failed trial's
message after them), so that a study with many or long parameter names stays readable
in an 80-column terminal (a lost trial's message follows the table, with what became of
it):

      #  state         val_accuracy  epochs  duration
  *   1  complete            0.7500       2      3.1s
         hidden.units=24, training.optimizer.learning_rate=0.001
      2  pruned                   -       1      1.4s
         hidden.units=4, training.optimizer.learning_rate=0.1
"""

from __future__ import annotations

import textwrap
from typing import Any

WIDTH = 80
INDENT = " " * 8  # under the state column: the numbers stand out on the left
BEST = "*"


def study_table(summary: dict[str, Any], width: int = WIDTH) -> list[str]:
    """The lines of the table of `summary`'s trials (a header, then each trial by number;
    the best marked `*`, said on a last line)."""
    trials = sorted(summary["trials"], key=lambda t: t["number"])
    if not trials:
        return ["The study holds no trial yet."]
    best = (summary.get("best") or {}).get("number")
    metric = summary["metric"]
    value_width = max(len(metric), 10)
    lines = [f"  {'#':>4}  {'state':<10}  {metric:>{value_width}}  {'epochs':>6}  "
             f"{'duration':>8}"]
    for trial in trials:
        mark = BEST if trial["number"] == best else " "
        lines.append(f"{mark} {trial['number']:>4}  {trial['state']:<10}  "
                     f"{_value(trial):>{value_width}}  {_epochs(trial):>6}  "
                     f"{_duration(trial.get('duration_s')):>8}")
        lines += _wrapped(_params(trial["params"]), width)
        if trial["state"] == "failed" and trial.get("message") and not trial.get("lost"):
            lines += _wrapped(trial["message"], width)
    if best is not None:
        lines.append(f"{BEST} the best trial ({summary['direction']} {metric})")
    return lines


def _value(trial: dict[str, Any]) -> str:
    value = trial.get("value")
    return "-" if value is None else f"{value:.4f}"


def _epochs(trial: dict[str, Any]) -> str:
    """The epochs the trial reported (a pruned one: those before it was stopped)."""
    curve = trial.get("curve") or {}
    return str(max(int(step) for step in curve) + 1) if curve else "-"


def _duration(seconds: float | None) -> str:
    """`3.1s`, `4m05s`, `2h07m`; `-` while unknown (a running trial)."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def _params(params: dict[str, Any]) -> str:
    if not params:
        return "(no values drawn)"
    return ", ".join(f"{key}={_short(value)}" for key, value in params.items())


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else repr(value)


def _wrapped(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width=width, initial_indent=INDENT, subsequent_indent=INDENT,
                         break_long_words=True, break_on_hyphens=False)
