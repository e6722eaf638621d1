"""What `kerascanvas search` says and writes: a line per trial, the study's best, the
best trial's project, where the best model went, what a signal ended. Light: no keras."""

from __future__ import annotations

import sys
from pathlib import Path

from .. import events as ev
from .stops import NAMES


def say(message: str) -> None:
    print(f"kerascanvas search: {message}", file=sys.stderr, flush=True)


def held_line(study) -> str:
    """`; the study holds 12 trials` when it is resumed (joined with trials in it)."""
    count = len(study.get_trials(deepcopy=False))
    return f"; it holds {count} trial{'s' * (count != 1)} already" if count else ""


def kept_model_line(models, metric: str) -> str:
    if models.trial is None:
        return f"--best-model {models.path} was not written: no trial of this run completed"
    return (f"the model of trial {models.trial} ({metric}={models.value:.4g}), the best "
            f"of this run, is in {models.path}")


def stopped_line(signum: int, aborted: bool, ran: list, options, args) -> str:
    """What a signal ended, what was kept, and how to go on."""
    done = ran.count("complete")
    how = "aborted (its trials killed)" if aborted else "stopped after the trials' batch"
    best = ("; --best-project was not written" if aborted and args.best_project else "")
    return (f"{how} by {NAMES.get(signum, signum)}: {done} trial{'s' * (done != 1)} of this "
            f"run completed, and every finished trial is kept in {options.storage}{best}. "
            f"Run the same command again to continue the study")


def timeout_line(cut: list[int], ran: list, timeout: float) -> str:
    """What `--timeout` ended: the trials it stopped, and what this run completed."""
    done = ran.count("complete")
    many = len(cut) != 1
    stopped = (f"trial{'s' * many} {', '.join(map(str, sorted(cut)))} stopped after "
               f"{'their' if many else 'its'} current batch and marked failed (no value)"
               if cut else "no trial was running")
    return (f"--timeout {timeout:g} s reached: {stopped}; {done} trial{'s' * (done != 1)} "
            f"of this run completed")


def write_best(doc, best, path: str, project_file: str, weights: dict | None = None,
               search: dict | None = None) -> None:
    """Save the project with the best trial's values (the training settings the project's,
    not the flags'); its relative data and callback paths are made absolute when it goes
    to another folder, so they still resolve, and so is its initial weights file (saved
    relative to `path`'s folder). `weights`: the project's own weights section, when the
    trials ran with it turned off (--no-initial-weights is for the one command).
    `search`: the project's own search section, when --metric or --direction changed the
    objective for this study only; what they changed is said. A best trial whose values
    reshape layers keeps the weights section too: as in that trial, the layers that still
    fit the file take its weights and the others start fresh."""
    from kerascanvas.graph.commands import UndoStack
    from kerascanvas.graph.projectfile import save
    from kerascanvas.graph.search_edit import apply_values
    from kerascanvas.graph.training_paths import anchored_settings

    if best is None:
        say(f"--best-project {path} was not written: the study has no complete trial")
        return
    missing = apply_values(UndoStack(), doc, best["params"])
    if weights is not None:
        doc.weights = dict(weights)
    overridden = _restore_search(doc, search)
    home = Path(project_file).resolve().parent
    if Path(path).resolve().parent != home:
        doc.training = {**(doc.training or {}), **anchored_settings(doc.training, home)}
    save(doc, path)
    kept = f" ({', '.join(missing)} kept as in the project: trial {best['number']} " \
           "did not search them)" if missing else ""
    say(f"wrote the project with the values of trial {best['number']} to {path}{kept}")
    if overridden:
        say(f"its search section is the project's own: {overridden} overrode it for this "
            "study only")


def _restore_search(doc, own: dict | None) -> str:
    """Put the project's own search section back in `doc`; the flags that had changed it
    ("--metric val_loss, --direction minimize"), or "" when none did."""
    if own is None:
        return ""
    changed = [f"--{key} {doc.search[key]}" for key in ("metric", "direction")
               if key in doc.search and doc.search.get(key) != own.get(key)]
    doc.search = dict(own)
    return ", ".join(changed)


def best_line(summary) -> str:
    best = summary["best"]
    counts = ", ".join(f"{n} {state}" for state, n in sorted(summary["counts"].items()))
    if best is None:
        return f"Study {summary['study']}: no complete trial ({counts})."
    params = ", ".join(f"{k}={_short(v)}" for k, v in best["params"].items())
    return (f"Study {summary['study']} ({counts}): best trial {best['number']}, "
            f"{summary['metric']}={best['value']:.4f} with {params}")


def trial_lines(summary, lost_only: bool = False, marked=()) -> list[str]:
    """`trial 3 failed: Its process (node7:4242) stopped answering: ...` for each failed
    trial (only those whose process went away, with `lost_only`); a trial in `marked`,
    listed as running until this process marked it failed, says so."""
    lines = []
    for t in summary["trials"]:
        if t["state"] != "failed" or (lost_only and not t.get("lost")):
            continue
        if t["number"] in marked:
            lines.append(f"trial {t['number']} was listed as running; its process is gone, "
                         f"so it is now marked failed: {t['message']}")
        else:
            lines.append(f"trial {t['number']} failed: {t['message']}")
    return lines


def marked_line(marked: list[int]) -> str:
    """What `--show` did to trials whose process is gone (their messages say more)."""
    many = len(marked) != 1
    return (f"trial{'s' * many} {', '.join(map(str, marked))} {'were' if many else 'was'} "
            f"listed as running, but {'their processes are' if many else 'its process is'} "
            "gone: marked failed (see the message of each)")


def _short(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else repr(value)


class TrialLog:
    """One line on stderr per trial that starts and ends."""

    def __init__(self, doc):
        self.doc = doc

    def __call__(self, event: ev.StudyEvent) -> None:
        if isinstance(ev.require_study(event), ev.TrialStart):
            params = ", ".join(f"{k}={_short(v)}" for k, v in event.params.items())
            say(f"trial {event.number} started: {params}")
        elif isinstance(event, ev.TrialEnd):
            value, took = event.value, event.duration_s
            what = f"value {value:.4f}" if value is not None else event.message
            say(f"trial {event.number} {event.state}"
                   f"{f' in {took:.1f}s' if took else ''}: {what}")
