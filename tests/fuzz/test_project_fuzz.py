"""A seeded campaign of mutated project files: no document may crash the core.

Each document must either be refused with `ProjectFileError` (the CLI's exit 2),
or load, analyse, summarise and report as JSON without raising; a valid one must
also give source that compiles in every code style that accepts it. The default
suite runs 2,000 documents; the slow suite runs 10,000 more with other seeds.
A failure names the seed and index, and `mutated_documents(seed, index + 1)`
replays it.
"""

from __future__ import annotations

import collections
import traceback

import pytest

from tests.fuzz.mutator import check_document, mutated_documents


def run_campaign(seed: int, count: int) -> tuple[collections.Counter, list[str]]:
    outcomes: collections.Counter = collections.Counter()
    crashes = []
    for index, text in enumerate(mutated_documents(seed, count)):
        try:
            outcomes[check_document(text)] += 1
        except Exception as exc:  # noqa: BLE001 - every crash is collected and reported
            where = traceback.extract_tb(exc.__traceback__)[-1]
            crashes.append(f"seed {seed} index {index}: {type(exc).__name__} at "
                           f"{where.filename}:{where.lineno}: {str(exc)[:200]}")
    return outcomes, crashes


def test_two_thousand_mutated_documents():
    outcomes, crashes = run_campaign(seed=2026, count=2000)
    assert crashes == []
    # The campaign is only worth its time if mutants get past the loader.
    assert outcomes["valid"] + outcomes["invalid"] >= 300, outcomes


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_ten_thousand_mutated_documents(seed):
    _, crashes = run_campaign(seed=seed, count=2000)
    assert crashes == []
