"""What each rank tells the launcher of its machine when it ends: a small JSON file,
`rank-RANK.json`, in a folder both share (beside the launcher's arguments or payload).

A rank writes its global rank, the rank whose stop request stopped the run
(`distributed.stop_asker`), its own failure, if it had one: where and what it received
(`distributed.failure`: "epoch 2, batch 3: RuntimeError: ..."), and the exit code its
program ends with (`runtime.rank_exit` goes by it when the rank hangs at its exit). The
launcher reads them (`RankReports`) once torchrun is done, and its message names the
failed rank, where, and the error it received (`blamed_rank`,
`launch.describe_failure`); a rank killed by a signal leaves no report, and the
launcher's message says the signal.
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["RankReports", "blamed_rank", "write_report"]


def write_report(folder: str | Path, code: int | None = None) -> None:
    """This rank's report in `folder/rank-RANK.json` (nothing when the folder is gone:
    the launcher that would read it has ended), with the exit `code` its program ends
    with (None: not known). The rank also signs off in the run's store, and rank 0, when
    it lost a peer, reports the ranks the run lost (`rank_census`)."""
    from .distributed import failure, rank, stop_asker
    from .rank_census import lost_ranks, sign_off
    from .rank_join import session

    mine = session()
    lost = []
    if mine is not None:
        sign_off(mine)
        lost = lost_ranks(mine) if mine.is_main else []
    try:
        (Path(folder) / f"rank-{rank()}.json").write_text(
            json.dumps({"rank": rank(), "stop_asker": stop_asker(), "failure": failure(),
                        "lost_peer": mine.lost if mine is not None else None,
                        "lost": lost, "code": code}), encoding="utf-8")
    except OSError:
        pass


class RankReports:
    """The reports in a folder: `ranks`, the global ranks that wrote one; `asker`, the
    rank whose stop request stopped the run (None when none did, or no rank said);
    `failures`, rank -> where it failed and what it received; `lost`, the ranks the run
    lost as rank 0 saw them, when it ran here (`rank_census.lost_ranks`); `peers`, rank
    -> what it received when it lost a peer."""

    def __init__(self, reports: list[dict]) -> None:
        self.ranks = sorted(int(r["rank"]) for r in reports)
        askers = [r["stop_asker"] for r in reports if r.get("stop_asker") is not None]
        self.asker = min(askers) if askers else None
        self.failures = {int(r["rank"]): str(r["failure"]) for r in reports
                         if r.get("failure")}
        # The ranks the run lost, as rank 0 saw them (`rank_census.lost_ranks`).
        self.lost = next((list(r["lost"]) for r in reports if r.get("lost")), [])
        # rank -> what it received when it lost a peer ("RuntimeError: Connection ...").
        self.peers = {int(r["rank"]): str(r["lost_peer"]) for r in reports
                      if r.get("lost_peer")}
        # rank -> the exit code its program ended with (None: it did not say).
        self.codes = {int(r["rank"]): r.get("code") for r in reports}

    @classmethod
    def read(cls, folder: str | Path) -> RankReports:
        reports = []
        for path in sorted(Path(folder).glob("rank-*.json")):
            try:
                reports.append(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError):
                continue
        return cls([r for r in reports if isinstance(r, dict) and "rank" in r])

    def holds_main(self, launch) -> bool:
        """Whether rank 0 ran on this machine (on one machine it always does)."""
        return launch.nnodes == 1 or 0 in self.ranks


def blamed_rank(failures: dict, reports: RankReports | None) -> int | None:
    """The rank to name for a run torchrun ended (`failures`: rank -> its
    `ProcessFailure`): the lowest that reported an error of its own, else the lowest a
    signal other than torchrun's SIGTERM ended; None when neither (take torchrun's first).
    """
    import signal

    own = sorted(r for r in failures if reports is not None and r in reports.failures)
    killed = sorted(r for r, f in failures.items()
                    if f.exitcode < 0 and -f.exitcode != signal.SIGTERM)
    return (own or killed or [None])[0]
