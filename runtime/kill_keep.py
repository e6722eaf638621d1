"""What a killed training run keeps: the files it had written whole before the kill.

The window's Kill ends a run at once (`worker.TrainingRun.kill`), yet loses nothing the
run had already kept. A run writes its model and its predictions NPZ whole or not at all
(under a partial name, then renamed: `graph.atomicfile`), so once none of its processes
can write anything more, a file at the final path that the run wrote is complete. It is
kept, and the run's result names it: a kill in the final evaluation (training has ended
and the model is saved; the evaluation on test data and the predictions come after)
keeps the model, "killed" with a message that says where it is and what it holds. The
partial files of a write the kill cut short are removed. A file at those paths from
before the run, as it was then, is not the run's: it is left alone, and not named. A
kill in training, before the model was saved, keeps the model's last epoch-end snapshot
(`runtime.snapshot`), named with the epoch it holds.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from kerascanvas.graph.atomicfile import remove_stale_partials

from .events import KILLED, Result
from .snapshot import kept_snapshot, kept_text

NOT_SAVED = "Training was killed; the model was not saved."
AS_IT_ENDED = "as training ended"


def own_files(save: str | None) -> list[str]:
    """The files a run that saves its model to `save` writes: the model, its predictions."""
    from .run_evaluation import predictions_next_to  # numpy: not while the window opens

    return [save, predictions_next_to(save)] if save else []


def file_identity(path: str) -> tuple[int, ...] | None:
    """What tells the file at `path` from another one written there later (a rename
    gives it another inode); None when there is none."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns


def kept_after_kill(save: str | None, before: Mapping[str, tuple[int, ...] | None],
                    snapshot_before: tuple[int, ...] | None = None) -> Result:
    """The "killed" result of a run that saved to `save`, once none of its processes runs:
    the files it wrote (those whose `file_identity` differs from `before`, taken as it
    began) are kept and named, partial ones removed. Killed before it saved its model, it
    keeps the epoch-end snapshot it wrote, if any (`runtime.snapshot`; `snapshot_before`:
    the snapshot's identity as the run began), as its model."""
    written = []
    for path in own_files(save):
        remove_stale_partials(path)
        identity = file_identity(path)
        if identity is not None and identity != before.get(path):
            written.append(path)
    predictions = next((p for p in written if p != save), None)
    evaluation = {"split": "", "metrics": {}, "predictions": predictions} if predictions \
        else None
    if save not in written:
        snapshot = kept_snapshot(save, snapshot_before)
        if snapshot:  # killed in training: the model as trained at an epoch's end
            return Result(KILLED, f"Training was killed. {kept_text(snapshot)}", saved=snapshot,
                          evaluation=evaluation)
        return Result(KILLED, NOT_SAVED, evaluation=evaluation)
    return Result(KILLED, killed_message(save, bool(predictions)), saved=save,
                  evaluation=evaluation)


def killed_message(save: str, predictions: bool, held: str = AS_IT_ENDED) -> str:
    """What a run killed after it saved its model to `save` says; `held`: what the model
    holds ("trained to the end, epoch 3 of 3")."""
    lost = ("with its predictions, without the final evaluation's scores" if predictions
            else "without the final evaluation's scores or predictions")
    return (f"Training was killed in its final evaluation; the model was kept at {save} "
            f"({held}), {lost}.")
