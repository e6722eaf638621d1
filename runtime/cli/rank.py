"""One rank of `kerascanvas run --nproc-per-node N`: what torchrun starts in each process.

    python -m kerascanvas.runtime.cli.rank ARGS.json

ARGS.json holds the `run` command's parsed arguments, written by the launching
`kerascanvas run`; every rank trains with them (`runtime.cli.run.run`), and
`runtime.distributed` makes the ranks one data-parallel run. The exit code is
the `run` command's: 0 trained (or stopped: the launcher's code says so), 1 refused,
3 failed, 70 an unexpected error (one paragraph and a report file, as any command's:
`runtime.cli.crash`; never Python's own 1, which the launcher would take for a
refusal), 130 aborted by the launcher's second signal. Each rank leaves
`rank-RANK.json` beside ARGS.json: its rank, the rank whose stop request stopped
the run (None if none), where it failed and its exit code (`runtime.rank_reports`),
which its launcher reads to say what happened, also of a rank that hangs at its exit
after it (`runtime.rank_exit`). A rank other than 0 exits with 3 only for a failure of its
own: after a NaN loss (which every rank stops on) it exits with 0, and rank 0 says it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from ..distributed import failure, leave
    from ..launch import rank
    from .crash import EXIT_INTERRUPTED, report_crash
    from .run import EXIT_FAILED, EXIT_OK, run

    argv = sys.argv[1:] if argv is None else argv
    with open(argv[0], encoding="utf-8") as handle:
        args = argparse.Namespace(**json.load(handle))
    code = None
    try:
        code = run(args)
        if code == EXIT_FAILED and rank() != 0 and failure() is None:
            # An end every rank agreed on (a NaN loss) or a lost peer: rank 0 says it,
            # and this rank's own 3 would end the run before rank 0 has kept the model.
            code = EXIT_OK
    except KeyboardInterrupt:  # the launcher's signal again: the launcher says so
        code = EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001  (as app.cli.main does for every command)
        code = report_crash("run", ["run", args.file, f"(rank {rank()})"], exc)
    finally:
        report(Path(argv[0]).parent, code)
        leave(code == EXIT_OK)
    return code


def report(folder: Path, code: int | None = None) -> None:
    """Tell this machine's launcher which rank this was, which rank's stop request
    stopped the run, where this rank failed and the exit code it ends with
    (`runtime.rank_reports`)."""
    from ..rank_reports import write_report

    write_report(folder, code)


if __name__ == "__main__":
    sys.exit(main())
