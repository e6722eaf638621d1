"""CSV tables as training data: `csv:PATH?features=a,b&target=y`.

Every column but the target is a feature unless `features` names them (a header row is
required); the target is the last column unless `target` names it. Features must be
numbers. A target that is not all numbers is categorical: its values become class ids in
sorted order, and `TableDataset.class_names` keeps the mapping. The file is read into
columns by `runtime.csv_columns`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import numpy as np

from kerascanvas.graph.document import Document
from kerascanvas.graph.training import model_outputs, resolve_training
from kerascanvas.graph.validate import Analysis

from .csv_columns import (
    Table,
    Texts,
    column,
    convert,
    missing_column,
    not_a_number,
    numbers,
    read_table,
)
from .data import DataError, Dataset, adapt_data, label_form
from .dataset import single_pair


@dataclass
class TableDataset(Dataset):
    """A Dataset read from a table; `class_names[output]` lists the labels of class ids,
    `header` the table's columns and `target` the column the labels were read from."""

    class_names: dict[str, list[str]] = field(default_factory=dict)
    header: list[str] = field(default_factory=list)
    target: str = ""


def split_query(rest: str) -> tuple[str, dict[str, str]]:
    """(path, options) of `PATH?key=value&...`; a key given twice keeps its last value."""
    path, _, query = rest.partition("?")
    options = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
    return path, options


@dataclass(frozen=True)
class CsvTable:
    """A CSV file as read, before the model shapes it: its header, the feature and target
    columns chosen, the features as float32 (rows, features), the target's labels: its
    numbers, or its class ids and class names when one value is no number (no texts are
    kept: a million strings freed at once would hold the GUI thread that drops the table)."""

    path: str
    header: list[str]
    features: list[str]
    target: str
    x: np.ndarray
    labels: tuple[np.ndarray | None, np.ndarray | None, list[str] | None]


def read_csv(rest: str) -> CsvTable:
    """`PATH?features=a,b&target=y` read and its features converted, for any model.

    Raises:
        DataError: the file cannot be read, lacks a column, or a feature is not a number.
    """
    path, options = split_query(rest)
    table = read_table(path)
    try:
        return _convert_table(table, path, options)
    finally:
        table.release()


def _convert_table(table: Table, path: str, options: dict[str, str]) -> CsvTable:
    header = table.header
    target = options.get("target") or header[-1]
    features = [f.strip() for f in options["features"].split(",")] if "features" in options \
        else [h for h in header if h != target]
    for name in (*features, target):
        if name not in header:
            raise DataError(missing_column(path, name, header))
    if not features:
        raise DataError(f"{path}: expected at least one feature column besides the target "
                        f"column. Received {len(header)} column(s)")
    x = []
    for name in features:
        values = column(table, name, path)
        found = numbers(values, name, path)
        if found is None:
            row, value = not_a_number(values)
            raise DataError(f"{path}, row {row}: feature column {name!r} must hold "
                            f"numbers. Received {value!r}")
        x.append(found)
    labels = _labels(column(table, target, path), target, path)
    return CsvTable(path, header, features, target, np.stack(x, axis=1).astype("float32"),
                    labels)


def csv_data(rest: str, doc: Document, analysis: Analysis | None = None,
             table: CsvTable | None = None) -> TableDataset:
    """`PATH?features=a,b&target=y`: numeric features, a numeric or categorical target.

    `table`: the file as `read_csv` read it (the data preview keeps it, and shapes it for
    each model edited); without it the file is read here."""
    table = table if table is not None else read_csv(rest)
    path, header, features, target = table.path, table.header, table.features, table.target
    inp, out = single_pair(doc, f"csv:{path}")
    y, classes = _target(table.labels, doc, out.name)
    xs = table.x
    shape = inp.spec.resolve(inp.params)["shape"]
    if None not in shape and math.prod(shape) == xs.shape[1]:
        xs = xs.reshape(len(xs), *shape)
    data = TableDataset({inp.name: xs}, {out.name: y}, source=f"csv:{rest}", header=header,
                        target=target)
    data.origins = {inp.name: f"feature column(s) {', '.join(features)} of {path}",
                    out.name: f"column {target!r} of {path}"}
    if classes is not None:
        data.class_names[out.name] = classes
    return adapt_data(doc, data, analysis)


def csv_target(rest: str, doc: Document) -> tuple[list[str], int, str, np.ndarray, list | None]:
    """(header, row count, target column, its labels, class names or None) of
    `PATH?target=y`, as `csv_data` reads them, without converting the feature columns.
    Numeric targets are read for the model's one output (its loss decides class ids or
    values); without one output they are values."""
    path, options = split_query(rest)
    table = read_table(path)
    header = table.header
    try:
        target = options.get("target") or header[-1]
        if target not in header:
            raise DataError(missing_column(path, target, header))
        outputs = model_outputs(doc)
        values = column(table, target, path)
        y, classes = _target(_labels(values, target, path), doc,
                             outputs[0].name if len(outputs) == 1 else None)
    finally:
        table.release()
    return header, table.rows, target, y, classes


def _labels(values: Texts, name: str,
            path: str) -> tuple[np.ndarray | None, np.ndarray | None, list[str] | None]:
    """(numbers, None, None), or (None, class ids, class names) when a value is no number."""
    found = numbers(values, name, path)
    if found is not None:
        return found, None, None
    names: set[str] = set()
    for part in values:
        names.update(part)
    classes = sorted(names)
    lookup = {label: i for i, label in enumerate(classes)}
    return None, convert(lookup.__getitem__, values, "int64"), classes


def _target(labels, doc: Document, output: str | None) -> tuple[np.ndarray, list | None]:
    values, ids, classes = labels
    if values is None:  # copies: the preview keeps its table for each model edited
        return ids.copy(), list(classes)
    loss = resolve_training(doc)["loss"][output] if output is not None else "mse"
    if label_form(loss) != "regression" and np.all(np.mod(values, 1) == 0):
        return values.astype("int64"), None
    return values.astype("float32")[:, None], None
