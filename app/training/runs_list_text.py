"""What the Runs tab says of a run's metrics (no Qt): the final metrics after the epoch
they are from, counted from 1 as Keras' progress counts, or why there are none."""

from __future__ import annotations

import os

MISSING = "model file missing"


def metrics_text(record) -> str:
    """"epoch 4/15: accuracy 0.9, loss 0.25": the run's final metrics, by name, after the
    epoch they are from and the epochs it was set to train (a run that stopped early).
    After a NaN loss, the last epoch that ended finite and the one that did not
    (`nan_text`). A run that ended with none (its data refused, killed before its first
    epoch) says why, by the first line of its message, where the column stood empty
    beside "failed"; one another process trains says that no epoch has ended yet."""
    text = ", ".join(f"{k} {v:.4g}" for k, v in sorted(record.final_metrics.items()))
    epoch = record.metrics_epoch
    nan = nan_text(record, text, epoch)
    if nan:
        return nan
    kept = " (best, weights kept)" if record.kept_logs() else ""
    if not text and record.process is not None:
        return "no epoch has ended yet"
    if not text and not record.active and record.message:
        return f"none: {record.message.strip().splitlines()[0]}"
    return f"epoch {epoch}/{record.epochs or '?'}{kept}: {text}" if text and epoch else text


def status_text(record) -> tuple[str, str]:
    """The Runs tab's status of `record` and its tooltip: "finished · model file missing"
    for an ended run whose saved model is no longer on disk (deleted, moved), its path in
    the tooltip, as Export Model lists it."""
    path = record.saved_path
    if record.active or not path or os.path.isfile(path):
        return record.status, record.status
    return f"{record.status} · {MISSING}", f"{record.status}; {MISSING}: {path}"


def nan_text(record, text: str, epoch: int | None) -> str:
    """After a NaN loss: "NaN in epoch 1: no epoch ended with finite values, nothing
    trained kept", or "epoch 2/5, the last finite (NaN in epoch 3): loss 0.48"; empty
    for other runs. `text` and `epoch`: the run's final metrics and their epoch."""
    result = record.result
    if result is None or not result.nan:
        return ""
    dropped = result.dropped_epoch
    where = f"NaN in epoch {dropped}" if dropped else "NaN loss"
    if not text or not epoch or epoch <= result.initial_epoch:
        kept = (f"the weights of epoch {result.initial_epoch} it continued were kept"
                if result.initial_epoch else "nothing trained kept")
        return f"{where}: no epoch ended with finite values, {kept}"
    return f"epoch {epoch}/{record.epochs or '?'}, the last finite ({where}): {text}"
