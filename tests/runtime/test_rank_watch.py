"""A rank that hangs is told by rank 0's watch (`rank_watch`): which rank, how long it has
been silent, and its last word. The notes go through a real torch store (a HashStore
here, torchrun's TCPStore in a run); the ranks are simulated, and a real hung rank is the
slow test in `tests/cli/test_launcher_exit_codes.py`. The module's clocks are a fake one
that moves only when the test moves it, so a stalled machine changes nothing here."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch.distributed as dist

from kerascanvas.runtime import rank_watch
from kerascanvas.runtime.events import RankSilent
from kerascanvas.runtime.rank_watch import Watch, note

SILENT_S = 0.2


class Clock:
    """Both of the module's clocks (`time.time`, `time.monotonic`), moved by hand."""

    def __init__(self):
        self.now = 1000.0

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(rank_watch, "time", fake)
    return fake


def ranks(world: int) -> list[SimpleNamespace]:
    return [SimpleNamespace(rank=r, world=world, agreements=0, waiting_since=None)
            for r in range(world)]


def test_rank_0_tells_the_rank_it_waits_for_once_with_its_silence_and_last_word(clock):
    store, (main, hung, other), told = dist.HashStore(), ranks(3), []
    paused = [False]
    watch = Watch(main, told.append, lambda: paused[0], SILENT_S, store)
    for session in (main, hung, other):
        note(session, "epoch 2, batch 4", store)
    clock.now += SILENT_S
    for session in (main, other):  # rank 1 hangs in batch 4: it begins no 5th agreement
        note(session, "epoch 2, batch 5", store)
    main.waiting_since = clock.monotonic()
    clock.now += SILENT_S / 2
    watch.look()
    assert told == []  # rank 0 has not waited long enough yet
    clock.now += SILENT_S
    paused[0] = True
    watch.look()
    assert told == []  # a pause holds every rank on purpose
    paused[0] = False
    watch.look()
    watch.look()
    (event,) = told
    assert event.rank == 1 and event.last == "epoch 2, batch 4"
    assert event.seconds == round(2.5 * SILENT_S, 1)  # since its last note, not the wait
    assert event.text().startswith(f"rank 1 has been silent for {event.seconds:.0f} s (its "
                                   "last word: epoch 2, batch 4); the other ranks wait for it")
    main.waiting_since = clock.monotonic()  # the next wait: told again once it is long
    clock.now += 2 * SILENT_S
    watch.look()
    assert [e.rank for e in told] == [1, 1] and isinstance(told[-1], RankSilent)
