"""The stamp of a run's data files (`runtime.data_stamp`) says what changed since the run,
naming the file and the field, for each kind of edit a user makes to data on disk; and
says nothing when the data is the same (a file saved again unchanged, no file at all)."""

from __future__ import annotations

import os

import pytest
from PIL import Image

from kerascanvas.runtime import data_stamp
from kerascanvas.runtime.data_stamp import DataChanged, changed_since, stamp, verify
from kerascanvas.runtime.run_record import RecordMismatch

ROWS = "a,b,y\n" + "".join(f"{i},{i / 2},{i % 3}\n" for i in range(50))


def csv(tmp_path, text: str = ROWS) -> str:
    path = tmp_path / "t.csv"
    path.write_text(text)
    return f"csv:{path}?target=y"


def later(path, text: str) -> None:
    """Write `text` to `path` with a modification time a second later than it had."""
    before = os.stat(path).st_mtime_ns
    path.write_text(text)
    os.utime(path, ns=(before + 10**9, before + 10**9))


def record_of(spec: str) -> dict:
    return {"data": spec, "source": stamp(spec)}


@pytest.mark.parametrize("edit, said", [
    (lambda t: t + "50,25.0,2\n", "size {before:,} bytes then, {after:,} now"),  # a row
    (lambda t: t.replace("49,24.5,1", "49,24.5,2"),  # a label changed in place
     "content differs (same size; SHA-256 of the whole file)"),
    (lambda t: t, None),  # saved again as it was: not a change
])
def test_a_csv_edit_is_named_with_its_file_and_field(tmp_path, edit, said):
    spec = csv(tmp_path)
    record = record_of(spec)
    path = tmp_path / "t.csv"
    before = os.path.getsize(path)
    later(path, edit(ROWS))
    said = said and said.format(before=before, after=os.path.getsize(path))
    assert changed_since(record, spec) == ([f"{path}: {said}"] if said else [])


def test_a_large_file_is_sampled_and_an_edit_between_samples_shows_in_its_time(
        tmp_path, monkeypatch):
    monkeypatch.setattr(data_stamp, "WHOLE_BYTES", 100)
    monkeypatch.setattr(data_stamp, "SAMPLE_BYTES", 32)
    spec = csv(tmp_path)
    record = record_of(spec)
    assert record["source"]["files"][str(tmp_path / "t.csv")]["sampled"]
    # Byte 100 lies between the first sample (0-31) and the middle one (222-253).
    later(tmp_path / "t.csv", ROWS[:100] + ("X" if ROWS[100] != "X" else "Y") + ROWS[101:])
    (line,) = changed_since(record, spec)
    assert line.startswith(f"{tmp_path / 't.csv'}: modified ")
    assert "its size and sampled bytes are the same" in line
    later(tmp_path / "t.csv", ROWS[:-3] + "9\n\n")  # in the last sample
    assert changed_since(record, spec) == [f"{tmp_path / 't.csv'}: sampled bytes differ "
                                           "(same size)"]


def image_folder(root, counts: dict) -> str:
    for name, n in counts.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            Image.new("RGB", (4, 4), (i, 0, 0)).save(root / name / f"{i}.png")
    return f"images:{root}"


def test_an_image_folder_names_the_class_whose_files_changed(tmp_path):
    spec = image_folder(tmp_path / "imgs", {"cat": 2, "dog": 2})
    record = record_of(spec)
    image_folder(tmp_path / "imgs", {"dog": 3})
    (tmp_path / "imgs" / "cat" / "0.png").unlink()
    assert changed_since(record, spec) == [
        f"{tmp_path / 'imgs'}: class 'cat': 2 files then, 1 now",
        f"{tmp_path / 'imgs'}: class 'dog': 2 files then, 3 now"]


def test_an_image_replaced_by_another_of_other_size_is_said(tmp_path):
    spec = image_folder(tmp_path / "imgs", {"cat": 2})
    record = record_of(spec)
    Image.new("RGB", (40, 40), (9, 9, 9)).save(tmp_path / "imgs" / "cat" / "1.png")
    (line,) = changed_since(record, spec)
    assert line.startswith(f"{tmp_path / 'imgs'}: file names or sizes differ")


def test_a_removed_file_is_said_missing(tmp_path):
    spec = csv(tmp_path)
    record = record_of(spec)
    (tmp_path / "t.csv").unlink()
    (line,) = changed_since(record, spec)
    assert line.startswith(f"{tmp_path / 't.csv'}: it is missing now")


@pytest.mark.parametrize("spec", ["sklearn:iris", "synthetic:64"])
def test_data_without_files_is_stamped_by_its_spec(spec):
    assert stamp(spec) == {"spec": spec, "files": {}}
    assert changed_since(record_of(spec), spec) == []


def test_a_record_without_stamp_or_of_other_data_says_nothing(tmp_path):
    spec = csv(tmp_path)
    record = record_of(spec)
    later(tmp_path / "t.csv", ROWS + "1,2,0\n")
    assert changed_since({"data": spec}, spec) == []  # a record written before stamps
    assert changed_since(None, spec) == []
    assert changed_since(record, "sklearn:iris") == []  # other data: said elsewhere


def test_verify_refuses_a_change_unless_it_is_allowed(tmp_path):
    spec = csv(tmp_path)
    record = record_of(spec)
    before = os.path.getsize(tmp_path / "t.csv")
    later(tmp_path / "t.csv", ROWS + "1,2,0\n")
    with pytest.raises(DataChanged) as raised:
        verify(record, spec, allow_change=False)
    assert isinstance(raised.value, RecordMismatch)  # the CLI refuses it as one
    assert f"{tmp_path / 't.csv'}: size {before:,} bytes then, {before + 6:,} now" in \
        str(raised.value)
    assert "--data-changed" in str(raised.value)
    verify(record, spec, allow_change=True)


@pytest.mark.parametrize("text, received", [("[]", "list"), ("7", "int"), ("null", "NoneType")])
def test_a_run_record_that_is_no_object_is_refused_in_plain_words(tmp_path, text, received):
    """The reason read "'list' object has no attribute 'get'"."""
    from kerascanvas.runtime import run_record

    model = tmp_path / "m.keras"
    run_record.record_path(str(model)).write_text(text)
    with pytest.raises(run_record.RecordMismatch) as info:
        run_record.read(str(model))
    assert f"(expected a JSON object, received {received})" in str(info.value)
