"""The runs index (runs.json) that the window and `kerascanvas run` both write: each
writer re-reads it under its lock, so no run's entry is lost or overwritten."""

from __future__ import annotations

import json
import threading

from kerascanvas.runtime import run_record


def entry(uid: str, number: int | None = None, **more) -> dict:
    return {"uid": uid, **({"number": number} if number else {}), "status": "finished",
            **more}


def numbers(folder) -> dict[str, int]:
    runs = json.loads((folder / run_record.INDEX).read_text())["runs"]
    return {run_record.entry_uid(r): r["number"] for r in runs}


def test_a_new_entry_takes_the_next_number_and_keeps_the_others(tmp_path):
    run_record.merge_index(tmp_path, [entry("w1", 1), entry("w2", 2)])
    added = entry("cli")
    run_record.merge_index(tmp_path, [added])
    assert added["number"] == 3
    assert numbers(tmp_path) == {"w1": 1, "w2": 2, "cli": 3}


def test_a_writer_replaces_its_own_entries_and_never_another_runs(tmp_path):
    run_record.merge_index(tmp_path, [entry("w1", 1)])
    run_record.merge_index(tmp_path, [entry("cli")])  # number 2 on disk
    # A window that did not see it writes its own run 2: the command's run moves to 3.
    run_record.merge_index(tmp_path, [entry("w1", 1, status="stopped"), entry("w2", 2)])
    assert numbers(tmp_path) == {"w1": 1, "w2": 2, "cli": 3}
    runs = json.loads((tmp_path / run_record.INDEX).read_text())["runs"]
    assert runs[0]["status"] == "stopped"


def test_entries_written_before_uids_are_known_by_their_number(tmp_path):
    (tmp_path / run_record.INDEX).write_text(json.dumps(
        {"runs": [{"number": 1, "status": "finished"}, {"number": 2, "status": "failed"}]}))
    run_record.merge_index(tmp_path, [{"number": 2, "uid": "run-2", "status": "stopped"}])
    runs = json.loads((tmp_path / run_record.INDEX).read_text())["runs"]
    assert [(r["number"], r["status"]) for r in runs] == [(1, "finished"), (2, "stopped")]


def test_an_unreadable_index_is_set_aside_not_overwritten(tmp_path):
    (tmp_path / run_record.INDEX).write_text("{not json")
    run_record.merge_index(tmp_path, [entry("cli")])
    (aside,) = tmp_path.glob("runs.json.unreadable-*")
    assert aside.read_text() == "{not json" and numbers(tmp_path) == {"cli": 1}


def test_concurrent_writers_lose_no_entry(tmp_path):
    def add(prefix: str) -> None:
        for i in range(15):
            run_record.merge_index(tmp_path, [entry(f"{prefix}{i}")])

    threads = [threading.Thread(target=add, args=(p,)) for p in "abc"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    found = numbers(tmp_path)
    assert len(found) == 45 and sorted(found.values()) == list(range(1, 46))
