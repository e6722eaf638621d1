"""Imported first by the trial server: it lowers its own priority before torch and keras.

The trials fork from a server process that imports torch and keras once
(`child.context`). Each trial lowers its priority as the app's training worker
does (`runtime.worker`), but the server itself would import at normal priority
and compete with the window for the CPU while it starts. Importing this module
in the server (the first of its preload list) lowers the server's priority
first; the trials it forks start from there. Imported anywhere else (the
window, the CLI, a test) it changes nothing: only the server's command line is
the forkserver's.
"""

from __future__ import annotations

import os
import sys

NICENESS = 10  # as `runtime.worker.NICENESS`; not imported from there (it imports numpy)
_SERVER_COMMAND = "from multiprocessing.forkserver import main"


def in_trial_server() -> bool:
    """Whether this process is a multiprocessing forkserver (our trial server)."""
    return any(_SERVER_COMMAND in arg for arg in getattr(sys, "orig_argv", ()))


def lower_priority() -> bool:
    """Lower this process's priority by NICENESS; False where that is not possible."""
    try:
        os.nice(NICENESS)
    except (AttributeError, OSError):  # no nice() here, or not permitted: run anyway
        return False
    return True


if in_trial_server():
    lower_priority()
