"""How a study runs, and where its journal lives: light (no Optuna), so the window can
make them on its GUI thread without importing the search machinery."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def default_storage(project: str | os.PathLike) -> str:
    """The journal file beside the project: `model.json` -> `model.study.log`."""
    path = Path(project)
    return str(path.with_name(path.stem + ".study.log"))


@dataclass
class SearchOptions:
    """How to run a study (see `kerascanvas search --help`).

    Attributes:
        storage: a journal file path or a database URL.
        study_name: the study to create or join.
        trials: trials this process runs (None: until the timeout or a stop).
        timeout: seconds after which no new trial starts.
        jobs: trials at once on this machine.
        sampler, pruner: `{"name": ..., Optuna keywords}`.
        seed: the sampler's seed.
        overrides: training settings that replace the project's for every trial.
        device: "cpu" or "cuda" for every trial (None: the project's setting).
        trusted_code: digests of the CustomLayer code the user trusted (`runtime.trust`:
            the trust store or --trust-custom-code, never the file); each trial's worker
            runs that code and no other, and a study with other custom code never starts.
        max_trials: stop once the study holds this many complete or pruned trials, those
            of earlier runs and other processes included (None: no such limit).
        best_model: a `.keras` path that holds the trained model of the best trial this
            driver ran, replaced whenever a better one completes (None: no model kept).
    """

    storage: str
    study_name: str
    trials: int | None = None
    timeout: float | None = None
    jobs: int = 1
    sampler: Mapping[str, Any] = field(default_factory=lambda: {"name": "tpe"})
    pruner: Mapping[str, Any] = field(default_factory=lambda: {"name": "median"})
    seed: int | None = None
    overrides: Mapping[str, Any] = field(default_factory=dict)
    device: str | None = None
    trusted_code: frozenset[str] = frozenset()
    max_trials: int | None = None
    best_model: str | None = None
