"""The runs index one entry a line (`runs_index_lines`): still one JSON document, the
lines of entries a writer does not replace copied as they are, and any other layout
parsed whole and written back in this one."""

from __future__ import annotations

import json
import math

import pytest

from kerascanvas.runtime import runs_index
from kerascanvas.runtime.runs_index_lines import RUNNING, index_bytes, read_rows, rows_of


def write(folder, text: str) -> None:
    (folder / runs_index.INDEX).write_text(text)


def on_disk(folder) -> bytes:
    return (folder / runs_index.INDEX).read_bytes()


def test_an_index_of_an_earlier_layout_is_written_back_one_entry_a_line(tmp_path):
    earlier = [{"number": 1, "uid": "a", "status": "finished", "settings": {"epochs": 2}},
               {"number": 2, "status": "stopped"}]  # written before there were uids
    write(tmp_path, json.dumps({"runs": earlier}, indent=2))
    runs_index.merge_index(tmp_path, [{"uid": "new", "status": "finished"}])
    rows = rows_of(on_disk(tmp_path))
    assert [(r.uid, r.number) for r in rows] == [("a", 1), ("run-2", 2), ("new", 3)]
    assert runs_index.read_index(tmp_path)[:2] == [earlier[0], {**earlier[1], "uid": "run-2"}]
    assert json.loads(on_disk(tmp_path))["runs"][2] == {"uid": "new", "number": 3,
                                                      "status": "finished"}


def test_the_lines_a_writer_does_not_replace_are_copied_as_they_are(tmp_path):
    runs_index.merge_index(tmp_path, [{"uid": u, "status": "finished", "loss": 0.5}
                                      for u in "abc"])
    before = {r.uid: r.line for r in read_rows(tmp_path)}
    runs_index.merge_index(tmp_path, [{"uid": "b", "number": 2, "status": "stopped"}])
    after = {r.uid: r.line for r in read_rows(tmp_path)}
    assert (after["a"], after["c"]) == (before["a"], before["c"]) and after["b"] != before["b"]
    assert [e["status"] for e in runs_index.read_index(tmp_path)] == [
        "finished", "stopped", "finished"]


@pytest.mark.parametrize("uid", ['a "quoted" uid', "back\\slash", "naïve ✓", "run-7"])
def test_any_uid_is_found_again_from_its_line(tmp_path, uid):
    runs_index.merge_index(tmp_path, [{"uid": uid, "status": "finished"}])
    runs_index.merge_index(tmp_path, [{"uid": uid, "number": 1, "status": "stopped"}])
    assert [(r.uid, r.number) for r in read_rows(tmp_path)] == [(uid, 1)]
    assert runs_index.read_index(tmp_path)[0]["status"] == "stopped"


def test_a_message_quoting_a_running_status_is_no_running_entry(tmp_path):
    """Quotes in a string are escaped: only the entry's own status says "running"."""
    said = 'the command said {"status": "running"}'
    runs_index.merge_index(tmp_path, [{"uid": "a", "status": "finished", "message": said}])
    assert RUNNING not in b"".join(r.line for r in read_rows(tmp_path))
    runs_index.merge_index(tmp_path, [{"uid": "b", "status": "finished"}])
    assert runs_index.read_index(tmp_path)[0]["message"] == said


def test_a_running_entry_whose_process_is_gone_is_written_back_interrupted(tmp_path):
    gone = {"pid": 2**22 + 7, "host": runs_index.this_process("")["host"], "started": 1,
            "boot": None, "if_ended": "it ended"}
    runs_index.merge_index(tmp_path, [{"uid": "gone", "status": runs_index.RUNNING,
                                       runs_index.PROCESS: gone}])
    runs_index.merge_index(tmp_path, [{"uid": "next", "status": "finished"}])
    first = runs_index.read_index(tmp_path)[0]
    assert (first["status"], first["message"]) == (runs_index.INTERRUPTED, "it ended")


@pytest.mark.parametrize("text", [
    '{"runs": [\n{"uid": "a", "number": 1}\n]}',  # the last line's comma left out: fine
    '{"runs": [\n{"uid": "a",\n "number": 1}\n]}',  # an entry over two lines
    '{"runs": [{"uid": "a", "number": 1}]}',  # one line
    '{"runs": [\n{"number": 1, "uid": "a"}\n]}',  # its number first
])
def test_an_index_laid_out_otherwise_is_read_whole(tmp_path, text):
    write(tmp_path, text)
    assert [(r.uid, r.number) for r in read_rows(tmp_path)] == [("a", 1)]
    runs_index.merge_index(tmp_path, [{"uid": "b", "status": "finished"}])
    assert [e["uid"] for e in runs_index.read_index(tmp_path)] == ["a", "b"]
    assert rows_of(on_disk(tmp_path)) is not None


def test_no_entries_and_non_finite_numbers_are_strict_json(tmp_path):
    assert json.loads(index_bytes([])) == {"runs": []} and rows_of(index_bytes([])) == []
    runs_index.merge_index(tmp_path, [{"uid": "a", "loss": math.nan, "lr": [math.inf, 1.0]}])
    [entry] = json.loads(on_disk(tmp_path))["runs"]  # strict: no NaN, no Infinity
    assert (entry["loss"], entry["lr"]) == (None, [None, 1.0])


def test_an_unreadable_index_is_set_aside_and_its_numbers_not_reused(tmp_path):
    write(tmp_path, '{"runs": [\n{"uid": "a", "number": 1}\n')  # cut short
    with pytest.raises(ValueError, match="Could not read the runs in"):
        read_rows(tmp_path)
    runs_index.merge_index(tmp_path, [{"uid": "b", "status": "finished"}])
    assert len(list(tmp_path.glob("runs.json.unreadable-*"))) == 1
    assert [e["uid"] for e in runs_index.read_index(tmp_path)] == ["b"]
