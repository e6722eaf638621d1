"""One rank of `kerascanvas run --nproc-per-node N`: what torchrun starts in each process.

    python -m kerascanvas.runtime.cli.rank ARGS.json

ARGS.json holds the `run` command's parsed arguments, written by the launching
`kerascanvas run`; every rank trains with them (`runtime.cli.run.run`), and
`runtime.distributed` makes the ranks one data-parallel run. The exit code is
the `run` command's: 0 trained (or stopped: the launcher's code says so), 1 refused,
3 failed, 130 aborted by the launcher's second signal.
"""

from __future__ import annotations

import argparse
import json
import sys


def main(argv: list[str] | None = None) -> int:
    from ..distributed import leave
    from .crash import EXIT_INTERRUPTED
    from .run import run

    argv = sys.argv[1:] if argv is None else argv
    with open(argv[0], encoding="utf-8") as handle:
        args = argparse.Namespace(**json.load(handle))
    try:
        return run(args)
    except KeyboardInterrupt:  # the launcher's signal again: the launcher says so
        return EXIT_INTERRUPTED
    finally:
        leave()


if __name__ == "__main__":
    sys.exit(main())
