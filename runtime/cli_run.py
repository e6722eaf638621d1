"""`kerascanvas run FILE`: train a project's model headless.

Exit codes:
    0  trained (or stopped) and evaluated
    1  the graph is invalid, the settings are refused, or the data does not fit the
       model (each problem names its node, input or output)
    2  the project file cannot be read
    3  training failed: the loss became NaN, or memory ran out

keras and torch are imported inside `run` only, so `kerascanvas --help` stays light.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

EXIT_OK, EXIT_INVALID, EXIT_UNREADABLE, EXIT_FAILED = 0, 1, 2, 3
# Batch events are many and the live view does not need them afterwards.
LOGGED_EVENTS = frozenset({"train_begin", "epoch_end", "train_end", "result"})


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, received {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="the project file (.json)")
    parser.add_argument("--data", metavar="SPEC",
                        help="synthetic[:N], sklearn:digits|iris|wine|breast_cancer, FILE.npz "
                             "or X.npy,Y.npy (default: the project's training.data)")
    parser.add_argument("--epochs", type=_positive, metavar="N")
    parser.add_argument("--batch-size", type=_positive, metavar="N")
    parser.add_argument("--seed", type=int, metavar="N", help="seed for weights and data")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--threads", type=_positive, metavar="N",
                        help="torch CPU threads (1 is often fastest for small models)")
    parser.add_argument("--log", metavar="EVENTS.jsonl", help="write one JSON event per line")
    parser.add_argument("--save", metavar="MODEL.keras", help="save the trained model")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _error(message: str) -> None:
    print(f"kerascanvas run: {message}", file=sys.stderr)


def _overrides(args) -> dict[str, Any]:
    pairs = {"epochs": args.epochs, "batch_size": args.batch_size, "seed": args.seed}
    return {k: v for k, v in pairs.items() if v is not None}


def run(args) -> int:
    """Validate, load data, check it, train, evaluate; return the exit code."""
    from kerascanvas.graph.errors import ProjectFileError
    from kerascanvas.graph.projectfile import load
    from kerascanvas.graph.validate import analyze

    from .build import describe_issues

    try:
        doc = load(args.file)
    except ProjectFileError as exc:
        _error(str(exc))
        return EXIT_UNREADABLE
    analysis = analyze(doc)
    for issue in analysis.warnings:
        _error(describe_issues(doc, [issue], "warning").splitlines()[-1].strip("- "))
    if not analysis.valid:
        _error(describe_issues(doc, analysis.errors, f"{args.file}: the graph is invalid"))
        return EXIT_INVALID
    return _train(doc, args)


def _train(doc, args) -> int:
    from .build import describe_issues
    from .data import DataError, check_data, load_data
    from .keras_env import choose_device
    from .train import resolve_settings

    try:
        settings = resolve_settings(doc, _overrides(args))
        choose_device(args.device)
        data = load_data(args.data or settings["data"], doc, seed=settings["seed"])
    except (ValueError, DataError) as exc:
        _error(str(exc))
        return EXIT_INVALID
    problems = check_data(doc, data)
    if problems:
        _error(describe_issues(doc, problems, f"the data {data.source!r} does not fit the model"))
        return EXIT_INVALID
    with EventLog(args.log) as log:
        progress = None if args.no_progress else ProgressBar()
        sinks = [s for s in (log, progress) if s is not None]
        result = _fit(doc, data, args, lambda event: [s(event) for s in sinks])
        if progress is not None:
            progress.close()
        log({"event": "result", "status": result.status, "message": result.message,
             "metrics": result.metrics, "evaluated_on": result.evaluated_on})
    if not result.ok:
        _error(result.message)
        return EXIT_FAILED
    print(metrics_table(result))
    return EXIT_OK


def _fit(doc, data, args, sink):
    from .train import train

    return train(doc, data, _overrides(args), sink=sink, device=args.device, save=args.save,
                 threads=args.threads)


def metrics_table(result) -> str:
    """The final metrics as an aligned two-column table."""
    title = f"Final metrics ({result.evaluated_on} data, {result.epochs_run} epoch(s), " \
            f"{result.device})"
    if result.message:
        title += f"\n{result.message}"
    if not result.metrics:
        return title
    width = max(len(k) for k in result.metrics)
    rows = [f"  {name:<{width}}  {value:.4f}" for name, value in result.metrics.items()]
    return "\n".join([title, *rows])


class EventLog:
    """Append the events worth keeping to a JSON-lines file (or do nothing without a path)."""

    def __init__(self, path: str | None):
        self.path = path
        self._file = None

    def __enter__(self):
        if self.path:
            self._file = open(self.path, "w", encoding="utf-8")  # noqa: SIM115
        return self

    def __exit__(self, *exc):
        if self._file is not None:
            self._file.close()

    def __call__(self, event: dict) -> None:
        if self._file is not None and event.get("event") in LOGGED_EVENTS:
            self._file.write(json.dumps(event) + "\n")
            self._file.flush()


class ProgressBar:
    """A tqdm bar per epoch, fed by the bridge's events."""

    def __init__(self):
        self._bar = None
        self._epochs = None
        self._steps = None

    def __call__(self, event: dict) -> None:
        kind = event.get("event")
        if kind == "train_begin":
            self._epochs, self._steps = event.get("epochs"), event.get("steps")
        elif kind == "epoch_begin":
            self._open(event["epoch"])
        elif kind == "batch_end" and self._bar is not None:
            self._bar.update(event["batch"] + 1 - self._bar.n)
            self._bar.set_postfix(_short(event["logs"]), refresh=False)
        elif kind == "epoch_end" and self._bar is not None:
            self._bar.set_postfix(_short(event["logs"]))
            self.close()

    def _open(self, epoch: int) -> None:
        from tqdm import tqdm

        self.close()
        self._bar = tqdm(desc=f"epoch {epoch + 1}/{self._epochs}", total=self._steps,
                         unit="batch", file=sys.stderr, leave=True, dynamic_ncols=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _short(logs: dict) -> dict[str, str]:
    return {k: f"{v:.4g}" for k, v in logs.items() if isinstance(v, float | int)}
