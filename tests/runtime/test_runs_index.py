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


def test_a_number_once_given_never_changes_with_both_writers_interleaved(tmp_path):
    """A window starts run 1, stops it and continues it as run 2; `kerascanvas run` lists
    its run while run 2 trains; run 2 then ends and is written."""
    first = run_record.reserve_number(tmp_path)
    run_record.merge_index(tmp_path, [entry("w1", first, status="stopped")])
    second = run_record.reserve_number(tmp_path, floor=first + 1)
    cli = entry("cli")
    run_record.merge_index(tmp_path, [cli])  # the number it prints
    run_record.merge_index(tmp_path, [entry("w1", first, status="stopped"),
                                      entry("w2", second)])
    assert (first, second, cli["number"]) == (1, 2, 3)
    assert numbers(tmp_path) == {"w1": 1, "w2": 2, "cli": 3}
    assert run_record.reserve_number(tmp_path) == 4


def test_a_writer_replaces_its_own_entries_and_never_another_runs(tmp_path):
    run_record.merge_index(tmp_path, [entry("w1", 1)])
    run_record.merge_index(tmp_path, [entry("cli")])  # number 2 on disk
    # A writer that could not reserve its number writes it as 2: the listed run keeps 2.
    mine = entry("w2", 2)
    run_record.merge_index(tmp_path, [entry("w1", 1, status="stopped"), mine])
    assert mine["number"] == 3
    assert numbers(tmp_path) == {"w1": 1, "cli": 2, "w2": 3}
    runs = json.loads((tmp_path / run_record.INDEX).read_text())["runs"]
    assert runs[0]["status"] == "stopped"


def test_a_reserved_number_is_never_given_to_a_listed_run(tmp_path):
    run_record.merge_index(tmp_path, [entry("old", 1)])
    assert run_record.reserve_number(tmp_path) == 2  # a run that never ends: 2 stays unused
    added = entry("cli")
    run_record.merge_index(tmp_path, [added])
    assert added["number"] == 3
    assert run_record.reserve_number(tmp_path, floor=7) == 7  # past the window's own runs
    assert run_record.merge_index(tmp_path, [entry("next")])[-1]["number"] == 8


def test_an_index_written_before_the_counter_numbers_past_its_runs(tmp_path):
    (tmp_path / run_record.INDEX).write_text(json.dumps(
        {"runs": [{"number": 4, "status": "finished"}]}))
    assert run_record.reserve_number(tmp_path) == 5


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


def test_concurrent_writers_lose_no_entry_and_share_no_number(tmp_path):
    reserved: list[int] = []

    def add(prefix: str) -> None:
        for i in range(15):
            run_record.merge_index(tmp_path, [entry(f"{prefix}{i}")])

    def reserve_and_write() -> None:
        for i in range(15):
            number = run_record.reserve_number(tmp_path)
            reserved.append(number)
            run_record.merge_index(tmp_path, [entry(f"w{i}", number)])

    threads = [threading.Thread(target=add, args=(p,)) for p in "ab"]
    threads.append(threading.Thread(target=reserve_and_write))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    found = numbers(tmp_path)
    assert len(found) == 45 and sorted(found.values()) == list(range(1, 46))
    assert [found[f"w{i}"] for i in range(15)] == reserved  # none moved
