"""A CSV file read a chunk of rows at a time: refusals name the same rows as a file of one
chunk, labels span chunks, and no container per row is left for the cyclic collector."""

from __future__ import annotations

import gc

import numpy as np
import pytest

from kerascanvas.graph.document import Document, Edge
from kerascanvas.runtime.data import DataError
from kerascanvas.runtime.sources import CHUNK_ROWS, open_source, read_csv

ROWS = 3 * CHUNK_ROWS + 100


def classifier(units: int) -> Document:
    doc = Document()
    x = doc.add_node("Input", name="x", params={"shape": [2]})
    out = doc.add_node("Dense", name="out", params={"units": units, "activation": "softmax"})
    doc.connect(Edge(x.id, 0, out.id, 0))
    doc.outputs = [out.id]
    return doc


def write(path, cells: dict[tuple[int, int], str] | None = None, blank_after: int = 5,
          short: int | None = None) -> None:
    """ROWS data rows `i,i/2,class`; `cells` replaces (row index, column) texts; a run of
    blank lines longer than a chunk follows data row `blank_after`; row `short` has one
    field only."""
    lines = ["a,b,kind"]
    for i in range(ROWS):
        fields = [str(i), str(i / 2), "cat dog eel".split()[i * 7 % 3]]
        for (row, column), text in (cells or {}).items():
            if row == i:
                fields[column] = text
        lines.append(",".join(fields[:1] if i == short else fields))
        if i == blank_after:
            lines.extend([""] * (CHUNK_ROWS + 10))
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("row, column, text, message", [
    (2 * CHUNK_ROWS + 7, 0, "", "column 'a' is empty"),
    (2 * CHUNK_ROWS + 7, 1, "abc", r"feature column 'b' must hold numbers\. Received 'abc'"),
    (CHUNK_ROWS + 1, 0, "1e999", "column 'a' holds '1e999', expected a finite number"),
    (ROWS - 1, 2, " ", "column 'kind' is empty"),
])
def test_a_refusal_past_the_first_chunk_names_its_row(tmp_path, row, column, text, message):
    write(tmp_path / "t.csv", {(row, column): text})
    # rows are numbered as in the file without its blank lines, the header being row 1
    with pytest.raises(DataError, match=rf"t\.csv, row {row + 2}: {message}"):
        open_source(f"csv:{tmp_path / 't.csv'}", classifier(3))


def test_a_short_row_in_a_later_chunk_is_an_empty_cell(tmp_path):
    write(tmp_path / "t.csv", short=CHUNK_ROWS * 2)
    with pytest.raises(DataError, match=rf"row {CHUNK_ROWS * 2 + 2}: column 'b' is empty"):
        open_source(f"csv:{tmp_path / 't.csv'}", classifier(3))


def test_the_first_text_of_a_feature_is_named_before_a_later_nan(tmp_path):
    write(tmp_path / "t.csv", {(10, 0): "nan", (3 * CHUNK_ROWS, 0): "x"})
    with pytest.raises(DataError, match=rf"row {3 * CHUNK_ROWS + 2}: feature column 'a' "):
        open_source(f"csv:{tmp_path / 't.csv'}", classifier(3))


def test_features_and_class_ids_span_chunks(tmp_path):
    write(tmp_path / "t.csv")
    data = open_source(f"csv:{tmp_path / 't.csv'}?target=kind", classifier(3))
    index = np.arange(ROWS)
    np.testing.assert_array_equal(data.x["x"], np.stack([index, index / 2], 1).astype("f4"))
    names = np.array("cat dog eel".split())[index * 7 % 3]
    classes, ids = np.unique(names, return_inverse=True)
    assert data.class_names["out"] == list(classes)
    np.testing.assert_array_equal(data.y["out"].argmax(-1) if data.y["out"].ndim > 1
                                  else data.y["out"], ids)


def test_no_container_per_row_outlives_its_chunk(tmp_path):
    """The collector is set to run once 2 chunks' worth of containers are alive: a read
    that kept a list per row (as the csv module yields them) would set it off."""
    write(tmp_path / "t.csv")
    collections = []

    def on_collect(phase, info):
        collections.append((phase, info["generation"]))

    gc.collect()
    threshold = gc.get_threshold()
    gc.set_threshold(2 * CHUNK_ROWS + 1000, threshold[1], threshold[2])
    gc.callbacks.append(on_collect)
    try:
        table = read_csv(f"{tmp_path / 't.csv'}?target=kind")
    finally:
        gc.callbacks.remove(on_collect)
        gc.set_threshold(*threshold)
    assert len(table.x) == ROWS
    assert collections == []
