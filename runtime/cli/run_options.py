"""The flags of `kerascanvas run` and the training settings they override.

Options written `NAME[:k=v,...]` take Keras' keyword names; values are JSON
(numbers, true/false, null, [lists]) or plain text (`named_options`). `kerascanvas
search` reads its options the same way.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from kerascanvas.graph.training_schema import DEVICES, PRECISIONS

from .common import add_initial_weights_argument, add_trust_argument


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, received {text!r}")
    return value


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, received {text!r}")
    return int(text)


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, received {text!r}")
    return value


def _split_top(text: str) -> list[str]:
    """Split on commas outside brackets, so `boundaries=[5,10],factor=0.5` is two parts."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += {"[": 1, "{": 1, "]": -1, "}": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [p for p in (*parts, current) if p.strip()]


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def named_options(text: str) -> dict[str, Any]:
    """`NAME[:k=v,...]` as `{"name": NAME, k: v, ...}` (values read as JSON where they can be).

    >>> named_options("sgd:momentum=0.9,nesterov=true")
    {'name': 'sgd', 'momentum': 0.9, 'nesterov': True}
    """
    name, _, rest = text.partition(":")
    options: dict[str, Any] = {"name": name.strip()}
    for part in _split_top(rest):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise argparse.ArgumentTypeError(f"expected NAME[:key=value,...], received "
                                             f"{text!r} (no '=' in {part!r})")
        options[key.strip()] = _value(value.strip())
    return options


def class_weight_option(text: str):
    """`balanced`, `none`, or `ID=WEIGHT,...` (`none` stays a word until `overrides`)."""
    if text in ("balanced", "none"):
        return text
    try:
        return {k.strip(): float(v) for k, v in (p.split("=") for p in text.split(","))}
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected balanced, none or ID=WEIGHT,...; "
                                         f"received {text!r}") from exc


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="the project file (.json)")
    add_trust_argument(parser)
    parser.add_argument("--data", metavar="SPEC",
                        help="synthetic[:N], sklearn:digits|iris|wine|breast_cancer, FILE.npz, "
                             "X.npy,Y.npy, csv:FILE[?features=a,b&target=y] or images:FOLDER "
                             "(default: the project's training.data)")
    parser.add_argument("--epochs", type=_positive, metavar="N",
                        help="the epoch to train to, as Keras' fit(epochs=) (with --resume: "
                             "an epoch after the one reached; default the rest of the "
                             "resumed run's plan, or the project's epochs more when it "
                             "trained them all)")
    parser.add_argument("--batch-size", type=_positive, metavar="N")
    parser.add_argument("--validation-split", type=float, metavar="F")
    parser.add_argument("--seed", type=int, metavar="N", help="seed for weights and data")
    parser.add_argument("--shuffle", action=argparse.BooleanOptionalAction, default=None,
                        help="shuffle the training data every epoch")
    parser.add_argument("--shuffle-before-split", action=argparse.BooleanOptionalAction,
                        default=None, help="hold out the validation split from the samples "
                        "in a seeded order, not their last rows (data sorted by label)")
    parser.add_argument("--optimizer", type=named_options, metavar="NAME[:k=v,...]",
                        help="adam, adamw, sgd, rmsprop, adagrad or nadam, with options")
    parser.add_argument("--lr", type=_rate, metavar="RATE",
                        help="the learning rate (with --resume, default: the rate the "
                        "resumed run ended with, from its run record)")
    parser.add_argument("--schedule", type=named_options, metavar="NAME[:k=v,...]",
                        help="constant, cosine_decay, exponential_decay or step (in epochs)")
    parser.add_argument("--callback", type=named_options, action="append", default=[],
                        metavar="NAME[:k=v,...]",
                        help="added to the project's callbacks (repeatable): early_stopping, "
                             "model_checkpoint, reduce_lr_on_plateau, csv_logger, "
                             "terminate_on_nan, tensorboard")
    parser.add_argument("--class-weight", type=class_weight_option,
                        metavar="balanced|none|ID=W,...", help="weigh the loss per class")
    parser.add_argument("--mixed-precision", choices=PRECISIONS)
    parser.add_argument("--device", choices=DEVICES)
    parser.add_argument("--executor", choices=("auto", "keras"),
                        help="auto: the fastest training step that keeps Keras' results "
                             "(default); keras: Keras' own train step")
    parser.add_argument("--threads", type=_positive, metavar="N",
                        help="torch CPU threads (1 is often fastest for small models)")
    parser.add_argument("--resume", metavar="MODEL.keras",
                        help="continue a saved model: weights and optimizer state, on the "
                             "data its run record (MODEL.keras.run.json, written by --save) "
                             "names; other data is refused without --data-changed")
    parser.add_argument("--data-changed", action="store_true",
                        help="with --resume: continue on --data (or changed data) other "
                             "than the recorded data of the run")
    parser.add_argument("--initial-epoch", type=_count, default=None, metavar="N",
                        help="the epoch the resumed model had reached (default: the one "
                             "its run record names, so the epochs number on)")
    add_initial_weights_argument(parser)
    parser.add_argument("--log", metavar="EVENTS.jsonl", help="write one JSON event per line")
    parser.add_argument("--save", metavar="MODEL.keras",
                        help="save the trained model here (default: in the project's runs "
                             "folder, FILE.runs/, where the run is listed)")
    parser.add_argument("--no-keep", action="store_true",
                        help="without --save, keep no model in the runs folder (the run is "
                             "still listed there, without one)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    group = parser.add_argument_group(
        "several processes (torchrun, torch DDP)",
        "batch_size stays the global batch: each of the N processes trains on batch_size/N "
        "samples of it per step. gloo on the CPU, nccl with one process per GPU.")
    group.add_argument("--nproc-per-node", type=_positive, metavar="N",
                       help="processes on this machine (one per GPU on a GPU machine)")
    group.add_argument("--nnodes", type=_positive, default=1, metavar="M",
                       help="machines in the run; each runs this command (default 1)")
    group.add_argument("--node-rank", type=_count, metavar="R",
                       help="this machine's number, 0..M-1 (default: torchrun assigns one)")
    group.add_argument("--rdzv-endpoint", metavar="HOST:PORT",
                       help="where the machines meet, the same on every one")
    group.add_argument("--rdzv-id", default="kerascanvas", metavar="ID",
                       help="a name for the run, the same on every machine")


def overrides(args, training: dict) -> dict[str, Any]:
    """The training settings the flags set, over the project's `training` section."""
    pairs = {"epochs": args.epochs, "batch_size": args.batch_size, "seed": args.seed,
             "validation_split": args.validation_split, "shuffle": args.shuffle,
             "shuffle_before_split": getattr(args, "shuffle_before_split", None),
             "mixed_precision": args.mixed_precision, "device": args.device,
             "data": args.data, "schedule": args.schedule,
             "executor": getattr(args, "executor", None)}
    out = {k: v for k, v in pairs.items() if v is not None}
    if args.class_weight is not None:
        out["class_weight"] = None if args.class_weight == "none" else args.class_weight
    if args.optimizer or args.lr:
        optimizer = args.optimizer or training.get("optimizer") or {"name": "adam"}
        optimizer = {"name": optimizer} if isinstance(optimizer, str) else dict(optimizer)
        out["optimizer"] = {**optimizer, **({"learning_rate": args.lr} if args.lr else {})}
    if args.callback:
        out["callbacks"] = [*(training.get("callbacks") or []), *args.callback]
    if args.resume and args.epochs is None:
        out["epochs"] = resume_target(args, training)
    return out


def resume_target(args, training: dict) -> int:
    """The epoch a resume without --epochs trains to: the rest of the resumed run's plan
    (its record's), or, when it trained them all (or its record has no plan), the
    project's epochs more, as the window's Continue offers."""
    start, plan = args.initial_epoch or 0, getattr(args, "resume_plan", None)
    return plan if plan and plan > start else start + int(training.get("epochs") or 10)


def project_overrides(doc, args) -> dict[str, Any]:
    """The settings a run changes: the project's relative paths (data, checkpoint, logs)
    put under the project file's folder, as the window reads them
    (`graph.training_paths`), then the flags, whose paths stay relative to the current
    folder."""
    from kerascanvas.graph.training_paths import anchored_settings

    training = doc.training or {}
    anchored = anchored_settings(training, Path(args.file).resolve().parent)
    return {**anchored, **overrides(args, {**training, **anchored})}
