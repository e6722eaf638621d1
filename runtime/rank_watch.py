"""Telling which rank of a data-parallel run hangs.

Before every agreement (`Session.agree_stop`: each training batch, each epoch's end, each
batch of a held-out pass) a rank notes in the run's store (torchrun's, every rank reaches
it) how many agreements it has begun, when, and where ("epoch 2, batch 5"). A rank that
hangs (stuck in a step, a callback, a data read) stops noting, and the others wait for it
in the agreement, silent too. Rank 0 keeps a `Watch` thread during training: once rank 0
has waited `silent_s` in one agreement (not while paused), it reads the notes, and each
rank behind it (fewer agreements begun) that has been silent that long is told once, as
a `events.RankSilent` (the rank, how long it has been silent, its last word) through the
run's sink: the window's log, or a line of `kerascanvas run`.

A rank that hangs cannot be stopped by a request: the agreement that would carry it waits
for that rank. Killing the run ends it.
"""

from __future__ import annotations

import json
import os
import threading
import time
from typing import TYPE_CHECKING

from .events import RankSilent

if TYPE_CHECKING:
    from .distributed import Session

__all__ = ["SILENT_S", "Watch", "note", "notes_of"]

SILENT_S = float(os.environ.get("KERASCANVAS_RANK_SILENT_S", "120"))
KEY = "kerascanvas/progress/{rank}"


def _store():
    """The process group's store (torchrun's rendezvous store), or None."""
    try:
        from torch.distributed import distributed_c10d

        return distributed_c10d._get_default_store()
    except Exception:  # noqa: BLE001  no group, or a torch without it: nothing is noted
        return None


def note(session: Session, where: str, store=None) -> None:
    """Note in the store that this rank begins its next agreement, `where`."""
    session.agreements += 1
    store = store if store is not None else _store()
    if store is None:
        return
    record = {"n": session.agreements, "t": time.time(), "where": where}
    try:
        store.set(KEY.format(rank=session.rank), json.dumps(record))
    except Exception:  # noqa: BLE001  a store gone with its agent: the run is ending
        pass


def notes_of(store, world: int) -> dict[int, dict]:
    """Every rank's last note (ranks that noted nothing yet are left out)."""
    found = {}
    for rank in range(world):
        key = KEY.format(rank=rank)
        try:
            if store.check([key]):
                found[rank] = json.loads(store.get(key))
        except Exception:  # noqa: BLE001  unreadable: that rank is not judged
            continue
    return found


class Watch(threading.Thread):
    """Rank 0's thread that tells the ranks rank 0 waits for (see the module).

    Args:
        session: rank 0's session (its `waiting_since`, set during an agreement).
        sink: receives the `RankSilent` events.
        paused: whether rank 0 is paused (a pause holds every rank on purpose).
        silent_s: how long a wait lasts before the ranks behind are told.
        store: the store to read (torchrun's by default).
        interval: how often to look, in seconds.
    """

    def __init__(self, session: Session, sink, paused=lambda: False,
                 silent_s: float = SILENT_S, store=None, interval: float = 1.0):
        super().__init__(daemon=True, name="kerascanvas-rank-watch")
        self.session, self.sink, self.paused = session, sink, paused
        self.silent_s, self.interval = silent_s, interval
        self.store = store
        self.done = threading.Event()
        self._told: set[int] = set()
        self._wait: float | None = None

    def run(self) -> None:
        while not self.done.wait(self.interval):
            self.look()

    def look(self) -> None:
        """Tell the ranks rank 0 has waited for `silent_s` in this agreement, once each."""
        since = self.session.waiting_since
        if since != self._wait:  # a new agreement (or none): each rank may be told again
            self._wait, self._told = since, set()
        if since is None or self.paused() or time.monotonic() - since < self.silent_s:
            return
        store = self.store if self.store is not None else _store()
        if store is None:
            return
        notes = notes_of(store, self.session.world)
        mine = notes.get(self.session.rank, {}).get("n", self.session.agreements)
        now = time.time()
        for rank in range(self.session.world):
            last = notes.get(rank)
            behind = last is None or last["n"] < mine
            silent = now - last["t"] if last is not None else time.monotonic() - since
            if rank in self._told or not behind or silent < self.silent_s:
                continue
            self._told.add(rank)
            where = last["where"] if last is not None else "none yet in this run"
            self.sink(RankSilent(rank, round(silent, 1), where))
