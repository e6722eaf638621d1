"""The compile of an exported `.keras`: the model is compiled as a run of the project
starts, so that `keras.saving.load_model(path, safe_mode=True)` gives a model ready to
`evaluate` and `fit`.

The compile is the training runtime's own (`model_compile.compile_model`): the
optimizer and its learning-rate schedule, each output's loss and metrics, and the loss
weights of the project's training settings. A schedule counts optimizer steps, so its
length comes from the training data, read as a run reads it (`train.load_checked_data`,
`fitplan.plan_fit`). What stops the compile (refused settings, untrusted or failing
custom loss code, data a schedule cannot be counted on) leaves the model uncompiled,
and the reason, naming the field, is returned for the export's message.
"""

from __future__ import annotations

import json
import zipfile

from kerascanvas.graph.document import Document

from .archive_check import ArchiveError, read_config_member

# How the export's message begins its reason when the file is written uncompiled; the
# window finds the reason in the export process's output by it.
UNCOMPILED = "not compiled:"


def compile_for_export(model, doc: Document) -> str | None:
    """Compile `model` with `doc`'s training settings, its optimizer built (the archive
    then holds its variables: a fresh step count and slots); None when done, else why
    not (the model is left uncompiled), naming the field."""
    from kerascanvas.graph.training_schema import check_training, resolve_extended

    errors = [issue.message for issue in check_training(doc) if issue.severity == "error"]
    if errors:  # what `kerascanvas run` refuses, each naming its field
        return "; ".join(errors)
    settings = resolve_extended(doc)
    steps = _steps_per_epoch(doc, settings)
    if isinstance(steps, str):
        return steps
    from .custom_code import CustomCodeError
    from .model_compile import compile_model

    try:
        compile_model(model, doc, settings, steps)
    except (CustomCodeError, ValueError, TypeError) as exc:
        model.compiled = False
        return str(exc)
    model.optimizer.build(model.trainable_variables)
    return None


def _steps_per_epoch(doc: Document, settings: dict) -> int | str:
    """The optimizer steps of an epoch, as a run of `settings` counts them; 1 where the
    schedule counts none (a constant rate). A reason naming the fields where the data
    cannot be read to count them."""
    schedule = settings["schedule"].get("name", "constant")
    if schedule == "constant":
        return 1
    from .dataset import DataError
    from .fitplan import plan_fit
    from .train import load_checked_data

    try:
        data = load_checked_data(doc, dict(settings))
    except (DataError, OSError, ValueError) as exc:
        return (f"training.schedule: the {schedule} schedule counts optimizer steps, and "
                f"training.data {settings['data']!r} could not be read to count them: "
                f"{str(exc).splitlines()[0]}")
    return plan_fit(doc, data, settings).steps


def archive_config(path: str):
    """The parsed config.json of a `.keras` archive (nothing loaded), None where it cannot
    be read."""
    try:
        with zipfile.ZipFile(path) as archive:
            return json.loads(read_config_member(archive, "config.json", str(path)))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, ArchiveError):
        return None


def archive_compiled(path: str) -> bool:
    """Whether the `.keras` archive at `path` holds a compile config (a run's kept model
    does: its losses, metrics and optimizer, whose state the archive holds too)."""
    config = archive_config(path)
    return isinstance(config, dict) and bool(config.get("compile_config"))


def registered_names(path: str) -> list[str]:
    """The registered names ("Custom>half_mse", "kerascanvas>FocalLoss") the compile
    config of the `.keras` at `path` refers to: `load_model` compiles it only where
    those are registered (custom objects), as for any Keras model."""
    config = archive_config(path)
    found: dict[str, None] = {}

    def walk(value) -> None:
        if isinstance(value, dict):
            name = value.get("registered_name")
            if value.get("class_name") == "function" and isinstance(value.get("config"), str):
                name = value["config"]
            if isinstance(name, str) and ">" in name:
                found[name] = None
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(config.get("compile_config") if isinstance(config, dict) else None)
    return list(found)
