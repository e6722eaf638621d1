"""The generated script reads a CSV file as a run does (`runtime.csv_source`), column by
column a chunk of rows at a time: the same arrays, dtypes and refusals, on a file with
mixed columns, quoted fields, missing values, short rows, blank lines and more rows than
one chunk holds."""

from __future__ import annotations

import csv
import io
import runpy

import numpy as np
import pytest

from kerascanvas.codegen import generate
from kerascanvas.graph.document import Document, Edge
from kerascanvas.runtime.csv_columns import CHUNK_ROWS
from kerascanvas.runtime.dataset import DataError
from kerascanvas.runtime.sources import csv_data

ROWS = 2 * CHUNK_ROWS + 37  # the last chunk is a part one
SPECIES = ["setosa", 'say "hi", then go', "a,b", " padded ", "Émile", "zèbre"]


def table(rows: int = ROWS, **cells) -> str:
    """A CSV text: numbers in several notations, a quoted text column, a last column left
    empty or cut off in places, and blank lines. `cells`: {"<column>_<row>": text} set
    before writing."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "petal width", "ratio", "species", "note"])
    for i in range(rows):
        row = {"id": str(i), "petal width": f" {i * 0.25:.2f} ", "ratio": f"{i}e-3",
               "species": SPECIES[i % 6], "note": "" if i % 7 else f"note {i}, quoted"}
        row.update({k.rsplit("_", 1)[0]: v for k, v in cells.items()
                    if int(k.rsplit("_", 1)[1]) == i})
        values = list(row.values())
        if i % 11 == 3:  # a short row: no note (read as empty)
            values = values[:4]
        writer.writerow(values)
        if i % 1000 == 500:
            out.write("\n")
    return out.getvalue()


def project(units: int, loss: str, data: str) -> Document:
    doc = Document()
    x = doc.add_node("Input", "x", params={"shape": [3]}).id
    out = doc.add_node("Dense", "out", params={"units": units}).id
    doc.connect(Edge(x, 0, out, 0))
    doc.outputs = [out]
    doc.training = {"loss": loss, "data": data}
    return doc


def script_data(doc, tmp_path, monkeypatch, spec: str):
    source = generate(doc, script=True)
    compile(source, "train.py", "exec")
    (tmp_path / "train.py").write_text(source, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    script = runpy.run_path(str(tmp_path / "train.py"), run_name="generated_script")
    return script["csv_data"](spec.removeprefix("csv:"))


CASES = [  # (units, loss, query): class names, class ids, numbers (names URL-quoted)
    (6, "sparse_categorical_crossentropy", "?features=id,petal%20width,ratio&target=species"),
    (6, "sparse_categorical_crossentropy", "?features=ratio,id,petal+width&target=id"),
    (1, "mean_squared_error", "?features=id,petal%20width,ratio&target=id"),
    (1, "mean_squared_error", "?features=id,ratio,ratio&target=petal%20width"),
]


@pytest.mark.parametrize("units, loss, query", CASES)
def test_the_script_reads_the_arrays_a_run_reads(tmp_path, monkeypatch, units, loss, query):
    (tmp_path / "t.csv").write_text("\ufeff" + table(), encoding="utf-8")
    spec = f"csv:t.csv{query}"
    doc = project(units, loss, spec)
    monkeypatch.chdir(tmp_path)
    expected = csv_data(spec.removeprefix("csv:"), doc)
    x, y, x_val, y_val = script_data(doc, tmp_path, monkeypatch, spec)
    assert x_val is None and y_val is None and len(x["x"]) == ROWS
    for got, want in ((x["x"], expected.x["x"]), (y["out"], expected.y["out"])):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)


QUERY = "?features=id,ratio,petal%20width&target=species"


@pytest.mark.parametrize("cells, query, said", [
    ({"ratio_8000": ""}, QUERY, "row 8002: column 'ratio' is empty"),
    ({"ratio_5000": "1,5"}, QUERY,
     "row 5002: feature column 'ratio' must hold numbers. Received '1,5'"),
    ({"id_4100": "nan"}, QUERY, "row 4102: column 'id' holds 'nan', expected a finite number"),
    ({"species_8190": ""}, QUERY, "row 8192: column 'species' is empty"),
    ({}, "?target=ratio&features=id,note", "row 3: column 'note' is empty"),
])
def test_the_script_refuses_what_a_run_refuses_naming_the_row(tmp_path, monkeypatch, cells,
                                                              query, said):
    (tmp_path / "t.csv").write_text(table(**cells), encoding="utf-8")
    spec = f"csv:t.csv{query}"
    doc = project(6, "sparse_categorical_crossentropy", spec)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataError) as refused:
        csv_data(spec.removeprefix("csv:"), doc)
    with pytest.raises(SystemExit) as exited:
        script_data(doc, tmp_path, monkeypatch, spec)
    assert said in str(refused.value) and said in str(exited.value)
