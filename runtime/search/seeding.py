"""A seed per trial: with `--seed S`, trial N draws its values from a sampler seeded S + N.

Trial numbers are unique in a study (the storage hands them out), so parallel trials
draw distinct values whether they run in one process (`--jobs`) or in several processes
that share a storage and were given the same seed, and a resumed study goes on with new
draws. A trial's draw is reproducible: the random sampler gives trial N the same values
in every study seeded S, and the model-based samplers (TPE, GP, CMA-ES) do so for the same
finished trials before it. Optuna's own `n_jobs` reseeds a shared sampler at random in
each of its threads, which would make a seeded search irreproducible; `reseed_rng` is
therefore a no-op here.

QMC is left as it is: its points are numbered by the study already, and every trial
must share one scrambled sequence (one seed) for them to cover the space evenly.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

import optuna

PER_TRIAL = ("tpe", "random", "gp", "cmaes")


class TrialSeededSampler(optuna.samplers.BaseSampler):
    """Delegates each trial to its own sampler, made by `make(seed + trial.number)`."""

    def __init__(self, make: Callable[[int], optuna.samplers.BaseSampler], seed: int):
        self._make, self.seed = make, seed
        self._samplers: dict[int, optuna.samplers.BaseSampler] = {}
        self._lock = threading.Lock()  # Optuna's threads ask for several trials at once

    def sampler_for(self, number: int) -> optuna.samplers.BaseSampler:
        with self._lock:
            if number not in self._samplers:
                self._samplers[number] = self._make(self.seed + number)
            return self._samplers[number]

    def infer_relative_search_space(self, study, trial):
        return self.sampler_for(trial.number).infer_relative_search_space(study, trial)

    def sample_relative(self, study, trial, search_space):
        return self.sampler_for(trial.number).sample_relative(study, trial, search_space)

    def sample_independent(self, study, trial, param_name, param_distribution):
        return self.sampler_for(trial.number).sample_independent(
            study, trial, param_name, param_distribution)

    def before_trial(self, study, trial) -> None:
        self.sampler_for(trial.number).before_trial(study, trial)

    def after_trial(self, study, trial, state, values) -> None:
        self.sampler_for(trial.number).after_trial(study, trial, state, values)
        with self._lock:
            self._samplers.pop(trial.number, None)

    def reseed_rng(self) -> None:
        """Nothing: a trial's seed is fixed by its number (see the module doc)."""


def seeded_sampler(options: Mapping[str, Any], seed: int | None, make):
    """The sampler `options` name (`make(options, seed)` builds one), seeded per trial
    when a seed is given (`--seed`, or the sampler's own `seed` option)."""
    options = dict(options)
    seed = options.pop("seed", seed)
    first = make(options, seed)  # bad options are refused now, not at the first trial
    if seed is None or options.get("name") not in PER_TRIAL:
        return first
    return TrialSeededSampler(lambda trial_seed: make(options, trial_seed), int(seed))
