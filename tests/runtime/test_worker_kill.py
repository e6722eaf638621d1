"""`worker_kill.end_tree` ends a process and every process below it, also those it keeps
starting while the kill is under way, and their own children (on Linux, by /proc)."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

import pytest

from kerascanvas.runtime.worker_kill import descendants, end_tree
from tests.runtime.test_kill_keeps_what_was_written import processes_tagged

# Starts a process with a child of its own every few milliseconds, without end.
SPAWNER = "while :; do bash -c 'sleep 60 & wait' & sleep 0.005; done"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_process_that_keeps_starting_others_is_ended_with_all_below_it(monkeypatch):
    tag = f"tree-{uuid.uuid4().hex}"
    monkeypatch.setenv("KERASCANVAS_TEST_RUN", tag)
    root = subprocess.Popen(["bash", "-c", SPAWNER])
    try:
        deadline = time.monotonic() + 30
        while len(descendants(root.pid)) < 6:  # children, and theirs
            assert time.monotonic() < deadline, "the processes did not start"
            time.sleep(0.01)
        below = end_tree(root.pid)
        assert root.wait(5) == -9 and len(below) >= 6
        # SIGKILL is sent to each, and each ends when the kernel next runs it: under load
        # (the whole default run) three killed ones still showed in /proc the moment
        # after; what counts is that none goes on
        deadline = time.monotonic() + 5
        while processes_tagged(tag) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert processes_tagged(tag) == []
    finally:
        for pid in processes_tagged(tag):  # a failed test leaves nothing running
            subprocess.run(["kill", "-9", str(pid)], check=False)
