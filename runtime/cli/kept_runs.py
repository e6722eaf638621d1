"""What `kerascanvas run` leaves in the project's runs folder, where the window keeps its
runs: the model of the run, and the run's entry in the runs index.

Every run that trained (it finished, a signal stopped it, or it failed: NaN loss, an
error inside `fit` or in the final evaluation after it, memory) is listed in the runs
folder's index (`model.runs/runs.json` beside `model.json`,
`runtime.run_record.merge_index`) with its settings, status,
message, result, epoch curves, batch losses and learning rates, so the window's Training
tab shows it beside its own runs. The entry names the run's model by its path from the
runs folder: the `--save` file, else the model kept in the runs folder, as the window
keeps one for each of its runs (`trained_N.keras` for a run that trained to its end,
`stopped_N.keras` for one stopped or failed with the model as trained so far; names the
window's `run_N.keras` never take). `--no-keep` keeps no model there: the run is still
listed, without a model, and the tab shows it without Save or Continue (as a run that
was killed). A run that ran out of memory while training keeps no model but its
epoch-end snapshot, if it wrote one (`runtime.snapshot`; one whose final evaluation ran
out of memory keeps the model, as trained). A run that continues the model
of a listed run (`--resume trained_1.keras`) is marked as continuing it, and its curves
begin with that run's, as those of a run the window continues.

Keeping and listing come after training, and each failure (an unwritable folder, a lock
held too long, a full disk) is one message; it never changes the exit code.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["CurveTap", "continue_listed", "index_entry", "keep_model", "list_run",
           "listed_entry", "runs_folder", "stopped_model_path"]


def _say(text: str) -> None:
    print(f"kerascanvas run: {text}", file=sys.stderr, flush=True)


def runs_folder(project_file: str | Path) -> Path:
    """The project's runs folder: `model.runs/` beside `model.json`, as in the window."""
    path = Path(project_file)
    return path.with_name(path.stem + ".runs")


def _free_name(folder: Path, prefix: str) -> Path:
    number = 1
    while (folder / f"{prefix}_{number}.keras").exists():
        number += 1
    return folder / f"{prefix}_{number}.keras"


def stopped_model_path(project_file: str | Path, prefix: str = "stopped") -> Path:
    """A free `PREFIX_N.keras` in the project's runs folder (not reserved)."""
    return _free_name(runs_folder(project_file), prefix)


def _numbered(folder: Path, prefix: str):
    number = 1
    while True:
        yield folder / f"{prefix}_{number}.keras"
        number += 1


def save_unused(model, folder: Path, prefix: str) -> Path:
    """Save `model` as the first free `PREFIX_N.keras` in `folder`; its path.

    The model is written whole under a partial name first and only then given its
    name (`atomicfile.commit_unused`): a process killed while saving leaves no empty or
    half-written `PREFIX_N.keras`, two commands saving at once never take the same name,
    and no existing file is ever replaced.
    """
    from kerascanvas.graph import atomicfile

    from ..keras_env import import_keras

    folder.mkdir(parents=True, exist_ok=True)
    base = folder / f"{prefix}.keras"  # the partial's name: Keras checks the suffix
    atomicfile.remove_stale_partials(base)
    partial = atomicfile.partial_path(base)
    try:
        import_keras().Model.save(model, str(partial))
        return atomicfile.commit_unused(partial, _numbered(folder, prefix))
    finally:
        partial.unlink(missing_ok=True)


def keep_model(result, project_file: str | Path, keep: bool = True, data=None) -> None:
    """Keep the run's model in the runs folder when `--save` did not save it: `result.saved`
    then names the file, and its run record (on `data`, `run_record.keep`) is beside it.
    Not with `keep` false (--no-keep), without a model, or after running out of memory.
    A model that cannot be written is said, not raised, and leaves no file behind."""
    from ..run_record import keep as record
    from ..train_messages import OK, OOM

    if result.saved or not keep or result.model is None or result.status == OOM:
        return
    prefix = "trained" if result.status == OK else "stopped"
    folder = runs_folder(project_file)
    try:
        path = save_unused(result.model, folder, prefix)
    except Exception as exc:  # noqa: BLE001  (training is over: say it, keep the exit code)
        _say(f"could not keep the model in {folder} ({type(exc).__name__}: {exc}); the run "
             "is listed without one")
        return
    result.saved = str(path)
    unrecorded = record(result, data)
    if unrecorded:
        _say(unrecorded)


class CurveTap:
    """A sink that keeps the batch losses and learning rates of a run's events as the
    window's curves store them ([x values, y values], x in epochs), for its runs entry."""

    def __init__(self) -> None:
        self.batch_loss: list[list[float]] = [[], []]
        self.lr: list[list[float]] = [[], []]
        self.epoch_logs: list[dict] = []  # each epoch's logs, as the events gave them

    def until(self, epoch: float) -> CurveTap:
        """A tap holding the curves up to `epoch` (the run's snapshot holds that one)."""
        cut = CurveTap()
        cut.batch_loss, cut.lr = _until(self.batch_loss, epoch), _until(self.lr, epoch)
        return cut

    def history_until(self, epochs: int) -> dict[str, list[float]]:
        """The first `epochs` epoch logs of the run, as Keras' history (name -> values)."""
        logs = self.epoch_logs[:max(epochs, 0)]
        return {name: [float(entry.get(name, float("nan"))) for entry in logs]
                for name in dict.fromkeys(k for entry in logs for k in entry)}

    def __call__(self, event) -> None:
        from .. import events as ev

        if isinstance(event, ev.BatchEnd) and event.loss is not None:
            steps = event.steps
            x = event.epoch + ((event.batch + 1) / steps if steps else 1.0)
            self.batch_loss[0].append(float(x))
            self.batch_loss[1].append(float(event.loss))
        elif isinstance(event, ev.EpochEnd):
            self.epoch_logs.append(dict(event.logs))
            if event.lr is not None:
                self.lr[0].append(float(event.epoch + 1))
                self.lr[1].append(float(event.lr))


# Keras' ReduceLROnPlateau and LearningRateScheduler add the rate to the epoch logs, so to
# `fit`'s history, under this name. The entry holds the rate as its "lr" curve, as the
# window's runs do (their epoch logs come before those callbacks add it): kept among the
# epoch logs too, it was drawn as a metric plot of its own and listed as a final metric.
KERAS_LR_LOG = "learning_rate"


def index_entry(result, folder: Path, processes: int = 1, tap: CurveTap | None = None,
                graph: str | None = None) -> dict:
    """The runs index entry, in the runs folder `folder`, of a run `train` returned, as
    the window writes its own runs (`app.training.history.record_to_dict`); `saved` is
    the model's path from `folder`, or None when none was kept; `graph`: the digest of
    the graph it trained (`graph.digest`), None when not known."""
    from .. import events as ev

    event = ev.Result.of(result, processes=processes)
    start, settings = result.initial_epoch, ev.plain(result.settings)
    settings.pop("data_fingerprint", None)  # in the run record beside the model
    settings.pop("data_stamp", None)
    epochs = {name: [[float(start + i + 1) for i in range(len(values))], list(values)]
              for name, values in event.history.items() if name != KERAS_LR_LOG}
    return {  # merge_index writes NaN as null (strict JSON)
        "settings": settings, "status": event.status, "epochs": settings.get("epochs"),
        "steps": None, "epoch": result.epochs_run, "initial_epoch": start,
        "epochs_done": result.epochs_run - start, "message": _message(result),
        "result": ev.to_wire(event), "resumed_from": None, "processes": processes,
        "graph": graph,
        "saved": os.path.relpath(result.saved, folder) if result.saved else None,
        "curves": {"batch_loss": tap.batch_loss if tap else [[], []],
                   "lr": tap.lr if tap else [[], []], "epochs": epochs,
                   "last_epoch": result.epochs_run or settings.get("epochs")}}


def _message(result) -> str:
    """The run's message, saying when no model was kept: the tab then offers neither Save
    nor Continue, and says why."""
    if result.saved:
        return result.message
    return f"{result.message} kerascanvas run kept no model of this run.".strip()


def _until(pair: list, epoch: float) -> list[list]:
    """The points of a stored [x values, y values] pair up to x = `epoch`."""
    kept = [(x, y) for x, y in zip(*pair, strict=True) if x is not None and x <= epoch]
    return [[x for x, _ in kept], [y for _, y in kept]]


def _joined(before: list, after: list, epoch: float) -> list[list]:
    head = _until(before, epoch)
    return [[*head[0], *after[0]], [*head[1], *after[1]]]


def listed_entry(folder: Path, model: str | None, besides: str | None = None) -> dict | None:
    """The last entry of `folder`'s runs index whose model is `model` (not the one of uid
    `besides`); None without one (or without an index that can be read)."""
    from ..run_record import read_index

    if not model:
        return None
    try:
        listed = read_index(folder)
    except ValueError:  # merge_index sets an unreadable index aside, and says nothing
        return None
    target = Path(model).resolve()
    return next((e for e in reversed(listed) if e.get("saved") and e.get("uid") != besides
                 and (folder / e["saved"]).resolve() == target), None)


def continue_listed(entry: dict, folder: Path, resumed: str | None,
                    previous: dict | None = None) -> dict | None:
    """When `resumed` (--resume) is the model of a listed run (`previous`, else looked up),
    mark `entry` as continuing it (`resumed_from`) and put that run's curves up to the
    epoch resumed from before its own, as the window does for a run it continues; that
    run's entry (None without one)."""
    previous = previous or listed_entry(folder, resumed, entry.get("uid"))
    if previous is None:
        return None
    start, old, new = entry["initial_epoch"], previous.get("curves") or {}, entry["curves"]
    entry["resumed_from"] = previous["number"]
    entry["graph"] = previous.get("graph")  # it goes on with that run's model
    for name in ("batch_loss", "lr"):
        new[name] = _joined(old.get(name) or [[], []], new[name], start)
    epochs = old.get("epochs") or {}
    new["epochs"] = {name: _joined(epochs.get(name) or [[], []],
                                   new["epochs"].get(name) or [[], []], start)
                     for name in dict.fromkeys([*epochs, *new["epochs"]])}
    return previous


def list_run(result, project_file: str | Path, processes: int = 1,
             tap: CurveTap | None = None, resumed: str | None = None,
             snapshot=None, graph: str | None = None) -> int | None:
    """List the run in the project's runs index, beside the entries already there, and
    say so; its run number, or None after saying why it could not be listed. `resumed`:
    the model --resume continued (`continue_listed`); `snapshot`: the run's
    `run_snapshot.RunSnapshot`, whose number and entry the run's final entry takes;
    `graph`: the digest of the graph trained (`graph.digest`; None: not known)."""
    from ..run_record import INDEX, merge_index
    from .run_continued import continued

    folder = runs_folder(project_file)
    try:
        entry = index_entry(result, folder, processes, tap, graph)
        if snapshot is not None:
            entry = snapshot.entry(entry)
        previous = continue_listed(entry, folder, resumed, snapshot and snapshot.previous)
        merge_index(folder, [entry, *continued(previous, entry, folder, resumed)])
    except (OSError, ValueError, TimeoutError) as exc:  # filelock's Timeout is one
        _say(f"could not list the run in the project's runs index {folder / INDEX}: {exc}")
        return None
    _say(f"listed as Run {entry['number']} in {folder / INDEX}")
    return entry["number"]
