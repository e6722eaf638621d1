"""The runs index as the window and `kerascanvas run` write it at once: each write adds or
replaces its own entry and copies the others' lines as they are (`runs_index_lines`), no
entry is lost when two processes write together, a writer killed mid-write leaves the
index as it was, and the window lists its new run at Start whatever the index holds."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from kerascanvas.app.training import project_runs, runs_watch
from kerascanvas.graph import projectfile
from kerascanvas.runtime import runs_index
from kerascanvas.runtime.runs_index_lines import rows_of

from .training_fakes import mlp, started, training_panel

# Adds COUNT runs to FOLDER's index as the window does (its run numbered, listed as
# running, then kept ended: `run_listing`, `history.save_runs`) or as `kerascanvas run`
# does (numbered, listed running with its process, then its end: `merge_index`). It
# waits for the file GO, so that both writers write at once.
WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from kerascanvas.app.training.history import save_runs
    from kerascanvas.app.training.records import RunRecord
    from kerascanvas.app.training.run_listing import RunListing
    from kerascanvas.runtime import runs_index

    folder, kind, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    print("ready", flush=True)
    while not (folder / "GO").exists():
        time.sleep(0.005)
    for i in range(count):
        number = runs_index.reserve_number(folder)
        if kind == "window":
            record = RunRecord(number, {"epochs": 2}, folder=str(folder), status="running",
                               uid=f"window{i}")
            RunListing(record, str(folder / f"run_{number}.last.keras")).begin()
            record.status = "finished"
            save_runs(folder, [record])
        else:
            process = runs_index.this_process("the command ended")
            runs_index.merge_index(folder, [{"uid": f"cli{i}", "number": number,
                                             "status": runs_index.RUNNING,
                                             runs_index.PROCESS: process}])
            runs_index.merge_index(folder, [{"uid": f"cli{i}", "number": number,
                                             "status": "finished"}])
""")

# Writes one entry, held after its new index is written beside the old one and before
# it replaces it (`atomicfile.commit`), where it is killed.
HELD_WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from kerascanvas.graph import atomicfile
    from kerascanvas.runtime import runs_index

    real = atomicfile.commit
    def held(partial, path):
        if Path(path).name == runs_index.INDEX:
            print("writing", flush=True)
            time.sleep(120)
        real(partial, path)
    atomicfile.commit = held
    runs_index.merge_index(sys.argv[1], [{"uid": "killed", "status": "finished"}])
""")

# Writes entries until it is killed, printing each uid once its write returned.
ENDLESS_WRITER = textwrap.dedent("""
    import sys
    from kerascanvas.runtime import runs_index

    for i in range(100_000):
        runs_index.merge_index(sys.argv[1], [{"uid": f"k{i}", "status": "finished",
                                              "message": "x" * 2000}])
        print(f"k{i}", flush=True)
""")


def earlier_index(folder: Path, runs: int) -> list[dict]:
    """An index of `runs` ended runs as an earlier version wrote it (one JSON line)."""
    entries = [{"number": n, "uid": f"old{n}", "status": "finished", "settings": {"epochs": 2},
                "curves": {"batch_loss": [[0.0, 0.5, 1.0], [1.0, 0.8, None]]}}
               for n in range(1, runs + 1)]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / runs_index.INDEX).write_text(json.dumps({"runs": entries}))
    return entries


def spawn(tmp_path: Path, script: str, *args) -> subprocess.Popen:
    path = tmp_path / f"writer{len(list(tmp_path.glob('writer*.py')))}.py"
    path.write_text(script)
    return subprocess.Popen([sys.executable, str(path), *map(str, args)],
                            stdout=subprocess.PIPE, text=True)


def test_two_processes_adding_runs_at_once_keep_every_entry(tmp_path):
    folder = tmp_path / "model.runs"
    earlier_index(folder, 200)
    writers = [spawn(tmp_path, WRITER, folder, kind, 15) for kind in ("window", "cli")]
    for writer in writers:
        assert writer.stdout.readline().strip() == "ready"
    (folder / "GO").touch()
    for writer in writers:
        assert writer.wait(timeout=120) == 0
    entries = runs_index.read_index(folder)
    uids = [e["uid"] for e in entries]
    expected = {f"old{n}" for n in range(1, 201)} | {f"window{i}" for i in range(15)} | {
        f"cli{i}" for i in range(15)}
    assert len(uids) == 230 and set(uids) == expected
    assert [e["number"] for e in entries] == list(range(1, 231))  # none shared
    assert {e["status"] for e in entries} == {"finished"}
    assert rows_of((folder / runs_index.INDEX).read_bytes()) is not None  # one a line


def test_a_writer_killed_before_its_index_replaces_the_old_leaves_the_old(tmp_path):
    folder = tmp_path / "model.runs"
    before = earlier_index(folder, 50)
    runs_index.merge_index(folder, [{"uid": "kept", "status": "finished"}])
    on_disk = (folder / runs_index.INDEX).read_bytes()
    writer = spawn(tmp_path, HELD_WRITER, folder)
    try:
        assert writer.stdout.readline().strip() == "writing"
        assert list(folder.glob(".partial-*")), "the new index is written beside the old"
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
    assert (folder / runs_index.INDEX).read_bytes() == on_disk
    assert len(runs_index.read_index(folder)) == len(before) + 1
    # The next writer takes the lock the killed one held, and removes its partial file.
    runs_index.merge_index(folder, [{"uid": "next", "status": "finished"}])
    assert [e["uid"] for e in runs_index.read_index(folder)][-2:] == ["kept", "next"]
    assert not list(folder.glob(".partial-*"))


@pytest.mark.parametrize("after_s", [0.3, 0.9, 1.5])
def test_a_writer_killed_at_any_moment_leaves_a_readable_index_with_what_it_wrote(
        tmp_path, after_s):
    folder = tmp_path / "model.runs"
    earlier_index(folder, 300)
    writer = spawn(tmp_path, ENDLESS_WRITER, folder)
    assert writer.stdout.readline().startswith("k0")  # imported, writing
    time.sleep(after_s)
    writer.send_signal(signal.SIGKILL)
    written = {line.strip() for line in writer.stdout.read().splitlines()} | {"k0"}
    writer.wait(timeout=30)
    uids = {e["uid"] for e in runs_index.read_index(folder)}
    assert written <= uids and {f"old{n}" for n in range(1, 301)} <= uids


@pytest.fixture
def panel(qtbot, tmp_path):
    yield from training_panel(qtbot, tmp_path)


def opened(panel, qtbot, tmp_path, runs: int) -> Path:
    """The panel on a project whose runs folder lists `runs` runs (an earlier layout)."""
    path = tmp_path / "model.json"
    projectfile.save(mlp(), path)
    folder = tmp_path / "model.runs"
    earlier_index(folder, runs)
    panel.follow_project(str(path))
    qtbot.waitUntil(lambda: panel.runs.topLevelItemCount() == runs, timeout=20_000)
    return folder


def lines(folder: Path) -> dict[str, bytes]:
    return {row.uid: row.line for row in rows_of((folder / runs_index.INDEX).read_bytes())}


def test_the_new_run_is_listed_at_start_and_its_end_changes_its_line_alone(
        panel, qtbot, tmp_path):
    folder = opened(panel, qtbot, tmp_path, 120)
    run, record = started(panel, qtbot)
    item = panel.runs.topLevelItem(120)
    assert (item.text(0), item.text(1)) == ("Run 121", "running")
    qtbot.waitUntil(lambda: not panel.index_writes.busy, timeout=10_000)  # off the GUI thread
    listed = runs_index.read_index(folder)
    assert (len(listed), listed[-1]["uid"], listed[-1]["status"]) == (121, record.uid,
                                                                     "running")
    at_start = lines(folder)
    qtbot.wait(300)  # the index change is noticed and read back
    qtbot.waitUntil(lambda: not panel.refresher.busy, timeout=20_000)
    assert panel.runs.topLevelItemCount() == 121 and panel.controller.current is record
    assert panel.runs.topLevelItem(120).text(0) == "Run 121"
    run.push({"event": "result", "status": "finished", "saved": run.save_path})
    qtbot.waitUntil(lambda: not record.active and not panel.index_writes.busy,
                    timeout=10_000)
    at_end = lines(folder)
    assert runs_index.read_index(folder)[-1]["status"] == "finished"
    assert {uid for uid in at_end if at_end[uid] != at_start[uid]} == {record.uid}


def test_a_run_that_could_not_be_kept_is_kept_with_the_next(panel, qtbot, tmp_path,
                                                              monkeypatch):
    folder = opened(panel, qtbot, tmp_path, 3)
    real = project_runs.merge_index_stamped

    def full_disk(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(project_runs, "merge_index_stamped", full_disk)
    run, first = started(panel, qtbot)
    run.push({"event": "result", "status": "finished", "saved": run.save_path})
    qtbot.waitUntil(lambda: f"Could not keep {first.label}" in panel.log.toPlainText(),
                    timeout=10_000)  # said once its write, off the GUI thread, failed
    monkeypatch.setattr(project_runs, "merge_index_stamped", real)
    run, second = started(panel, qtbot)
    run.push({"event": "result", "status": "stopped", "saved": run.save_path})
    qtbot.waitUntil(lambda: not second.active and not panel.index_writes.busy,
                    timeout=10_000)
    status = {e["uid"]: e["status"] for e in runs_index.read_index(folder)}
    assert (status[first.uid], status[second.uid]) == ("finished", "stopped")
    assert len(status) == 5 and os.path.isdir(folder)


def test_the_window_does_not_read_back_its_own_writes_but_reads_anothers(
        panel, qtbot, tmp_path):
    """Each write of the window (its run's listing at Start, its end) was read back whole
    as a change of the index (30 MB at 2,000 runs); another process's write is read,
    also when the window wrote after it before the change was noticed."""
    folder = opened(panel, qtbot, tmp_path, 3)
    reads = []
    panel.runs_watch.changed.connect(reads.append)
    run, record = started(panel, qtbot)
    run.push({"event": "result", "status": "finished", "saved": run.save_path})
    qtbot.waitUntil(lambda: not record.active and not panel.index_writes.busy,
                    timeout=10_000)
    qtbot.wait(3 * runs_watch.DEBOUNCE_MS)
    assert reads == [] and runs_index.read_index(folder)[-1]["uid"] == record.uid
    runs_index.merge_index(folder, [{"uid": "cli1", "status": "finished"}])  # another's
    qtbot.waitUntil(lambda: panel.runs.topLevelItemCount() == 5, timeout=10_000)
    assert len(reads) == 1
    runs_index.merge_index(folder, [{"uid": "cli2", "status": "finished"}])
    run, record = started(panel, qtbot)  # the window writes before it is noticed
    qtbot.waitUntil(lambda: panel.runs.topLevelItemCount() == 7, timeout=10_000)
    assert [r.uid for r in panel.controller.runs][-2:] == [record.uid, "cli2"] or \
        [r.uid for r in panel.controller.runs][-2:] == ["cli2", record.uid]
    run.push({"event": "result", "status": "finished", "saved": run.save_path})
    qtbot.waitUntil(lambda: not record.active and not panel.index_writes.busy,
                    timeout=10_000)
