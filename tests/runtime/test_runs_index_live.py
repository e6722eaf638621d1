"""A run listed as running in the runs index reads "running" while its process lives and
"interrupted", with what it kept, once that process is gone without writing its end; an
entry of another host is not judged by a process lookup here."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from kerascanvas.runtime import runs_index

# A process that lists itself as running in the index given, says so, then waits.
LISTS_ITSELF = textwrap.dedent("""
    import sys, time
    from kerascanvas.runtime import runs_index as ri
    ri.merge_index(sys.argv[1], [{"uid": "cli", "status": ri.RUNNING, "message": "training",
                                  ri.PROCESS: ri.this_process("gone: snapshot kept")}])
    print("listed", flush=True)
    time.sleep(120)
""")


@pytest.fixture
def listing_child(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", LISTS_ITSELF, str(tmp_path)],
                             stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    assert child.stdout.readline().strip() == "listed"
    yield child
    if child.poll() is None:
        child.kill()
    child.wait(timeout=30)


def listed(folder) -> dict:
    [entry] = runs_index.read_index(folder)
    return entry


def test_a_live_process_reads_running_and_a_killed_one_interrupted(tmp_path, listing_child):
    entry = listed(tmp_path)
    assert entry[runs_index.PROCESS]["pid"] == listing_child.pid
    assert runs_index.judged(entry)["status"] == "running"
    listing_child.send_signal(signal.SIGKILL)
    listing_child.wait(timeout=30)
    judged = runs_index.judged(listed(tmp_path))
    assert (judged["status"], judged["message"]) == ("interrupted", "gone: snapshot kept")
    # The next write of the index writes it so; the new entry is left as given.
    runs_index.merge_index(tmp_path, [{"uid": "next", "status": "finished"}])
    runs = json.loads((tmp_path / runs_index.INDEX).read_text())["runs"]
    assert [(r["uid"], r["status"]) for r in runs] == [("cli", "interrupted"),
                                                       ("next", "finished")]


def test_a_pid_taken_by_a_later_process_is_not_the_run(tmp_path):
    """The pid lives (this process), but started at another time: the run's is gone."""
    mine = runs_index.this_process("gone")
    if mine["started"] is None:
        pytest.skip("no process start times here (/proc)")
    entry = {"status": "running", runs_index.PROCESS: {**mine, "started": mine["started"] - 1}}
    assert runs_index.judged(entry)["status"] == "interrupted"
    entry[runs_index.PROCESS]["started"] = mine["started"]
    assert runs_index.judged(entry)["status"] == "running"


def test_a_process_of_an_earlier_boot_is_gone(tmp_path, listing_child):
    """A power cut: the machine restarted, and a pid may name a new process."""
    entry = listed(tmp_path)
    if entry[runs_index.PROCESS]["boot"] is None:
        pytest.skip("no boot id here (/proc)")
    assert runs_index.judged(entry)["status"] == "running"
    entry[runs_index.PROCESS]["boot"] = "an earlier boot"
    assert runs_index.judged(entry)["status"] == "interrupted"


@pytest.mark.parametrize("status", ["finished", "failed", "stopped"])
def test_an_ended_run_is_left_as_listed(status):
    entry = {"status": status, runs_index.PROCESS: {"pid": 2**22 + 7, "host": "here"}}
    assert runs_index.judged(entry) is entry


def test_another_hosts_run_is_not_judged_here(tmp_path, listing_child):
    """A runs folder on a shared disk: the pid names no process of this machine."""
    entry = listed(tmp_path)
    entry[runs_index.PROCESS]["host"] = "node7"
    listing_child.kill()
    listing_child.wait(timeout=30)
    assert runs_index.judged(entry) is entry and runs_index.elsewhere(entry) == "node7"
    assert runs_index.elsewhere(listed(tmp_path)) is None  # this host's
