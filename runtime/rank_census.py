"""Which rank a data-parallel run lost, seen from rank 0, across machines.

torchrun's agent knows only the ranks of its own machine, and a rank whose peer is gone
fails too (gloo: "Connection reset by peer"), so a launcher used to name the rank that
noticed the loss (often rank 0, "exited with code 3") instead of the one that was lost:
a rank that exited early with code 0 (which torchrun does not count as a failure), or a
rank or agent lost on another machine. So every rank leaves a few words in the run's
store (torchrun's, which every rank reaches):

- as it joins (`introduce`): its host, its node (torchrun's `GROUP_RANK`) and its pid;
- as its program ends (`sign_off`): its own failure, if any, and whether it lost a peer.

With `rank_watch`'s notes (the last agreement each rank began: its last word), rank 0,
once it has lost a peer and kept the model, reads them all (`lost_ranks`): the ranks that
failed by their own error, else those that ended before the run did, else those that
left no word at all (killed, or gone with their machine or agent). Its report carries
them (`rank_reports`), and its launcher's message names them (`launch.describe_failure`).
"""

from __future__ import annotations

import json
import os
import socket
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .distributed import Session

__all__ = ["describe", "introduce", "lost_ranks", "sign_off"]

WHO = "kerascanvas/who/{rank}"
END = "kerascanvas/end/{rank}"
PROGRESS = "kerascanvas/progress/{rank}"  # `rank_watch.KEY`


def _store(ending: bool = False):
    """The run's store, or None; `ending`: this rank's program ends, so a store gone
    with its machine may hold it 10 s at most (not the process group's 30 minutes)."""
    import datetime

    from .rank_watch import _store as default_store

    store = default_store()
    if ending and store is not None:
        try:
            store.set_timeout(datetime.timedelta(seconds=10))
        except Exception:  # noqa: BLE001  a store without a timeout of its own
            pass
    return store


def _read(store, key: str) -> dict | None:
    """The JSON record at `key`, or None when there is none (never waits for one)."""
    try:
        return json.loads(store.get(key)) if store.check([key]) else None
    except Exception:  # noqa: BLE001  a store gone with its agent: nothing to read
        return None


def _write(store, key: str, record: dict) -> None:
    try:
        store.set(key, json.dumps(record))
    except Exception:  # noqa: BLE001  a store gone with its agent: the run is ending
        pass


def introduce(session: Session, store=None) -> None:
    """Note where this rank runs: host, node and pid."""
    store = store if store is not None else _store()
    if store is not None:
        _write(store, WHO.format(rank=session.rank),
               {"host": socket.gethostname(), "node": os.environ.get("GROUP_RANK"),
                "pid": os.getpid()})


def sign_off(session: Session, store=None) -> None:
    """Note that this rank's program ends: its own failure, and whether it lost a peer."""
    store = store if store is not None else _store(ending=True)
    if store is not None:
        _write(store, END.format(rank=session.rank),
               {"failure": session.failure, "lost": session.lost})


def lost_ranks(session: Session, store=None) -> list[dict]:
    """The ranks this run lost, as rank 0 sees them once it lost a peer (see the module):
    each {"rank", "host", "node", "last" (its last word), "how"}, the likeliest first;
    empty when this rank lost no peer or the store cannot be read."""
    store = store if store is not None else _store(ending=True)
    if session.lost is None or store is None:
        return []
    found: dict[str, list[dict]] = {"failed": [], "ended": [], "silent": []}
    for rank in range(session.world):
        if rank == session.rank:
            continue
        end = _read(store, END.format(rank=rank))
        if end is not None and end.get("lost"):
            continue  # it lost a peer too
        who = _read(store, WHO.format(rank=rank)) or {}
        last = (_read(store, PROGRESS.format(rank=rank)) or {}).get("where")
        kind = "silent" if end is None else "failed" if end.get("failure") else "ended"
        how = {"failed": f"failed in {end and end.get('failure')}",
               "ended": "ended before the run did (its program returned)",
               "silent": "ended without a word (killed, or exited at once, or its machine "
                         "or its torchrun agent was lost)"}[kind]
        found[kind].append({"rank": rank, "host": who.get("host"), "node": who.get("node"),
                            "last": last, "how": how})
    return found["failed"] or found["ended"] or found["silent"]


def describe(lost: dict, how: str | None = None) -> str:
    """One lost rank in words: "rank 1 (node 1, host n1) ended without a word (...); its
    last word: epoch 1, batch 2". `how` replaces the census's own (a launcher that saw
    the rank end says how: "was killed by SIGKILL").

    >>> describe({"rank": 1, "host": "n1", "node": "1", "last": "epoch 1, batch 2",
    ...           "how": "ended before the run did"})
    'rank 1 (node 1, host n1) ended before the run did; its last word: epoch 1, batch 2'
    """
    where = ", ".join(part for part in (
        f"node {lost['node']}" if lost.get("node") is not None else "",
        f"host {lost['host']}" if lost.get("host") else "") if part)
    said = f"; its last word: {lost['last']}" if lost.get("last") else \
        "; it had begun no batch yet"
    return f"rank {lost['rank']}{f' ({where})' if where else ''} {how or lost['how']}{said}"
