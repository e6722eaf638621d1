"""More data sources: CSV tables and folders of images, named by a spec string.

Specs (the same one-string form as `runtime.data`, so `training.data` holds either):

    "csv:PATH"                                 every column but the last is a feature,
                                               the last is the target
    "csv:PATH?features=a,b,c&target=y"         named columns (a header row is required)
    "images:PATH"                              one subfolder per class; files are read
                                               with Pillow when a batch is needed

CSV features must be numbers. A target that is not all numbers is categorical:
its values become class ids in sorted order, and `Dataset.class_names` keeps
the mapping. Images are resized to the single Input's (height, width) and
converted to its channels (1 grey, 3 RGB, 4 RGBA), as float32 in 0..255. The
validation split of an image folder is a split of its file list (shuffled with
the seed), so nothing is loaded up front and a folder larger than memory works.
The image folders are read in `runtime.image_folders` (its public names are
importable here too).
"""

from __future__ import annotations

import csv
import itertools
import math
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import numpy as np

from kerascanvas.graph.document import Document
from kerascanvas.graph.training import model_outputs, resolve_training
from kerascanvas.graph.validate import Analysis

from . import datafiles
from .data import (
    DataError,
    Dataset,
    adapt_labels,
    check_data,
    checked_header,
    label_form,
    load_data,
)
from .dataset import single_pair
from .image_folders import (  # noqa: F401 - public here too
    IMAGE_SUFFIXES,
    MODES,
    FolderListing,
    ImageFolder,
    check_folder,
    check_image_input,
    check_images,
    image_folder,
    list_folder,
    list_images,
    load_image,
)


@dataclass
class TableDataset(Dataset):
    """A Dataset read from a table; `class_names[output]` lists the labels of class ids,
    `header` the table's columns and `target` the column the labels were read from."""

    class_names: dict[str, list[str]] = field(default_factory=dict)
    header: list[str] = field(default_factory=list)
    target: str = ""


def open_source(spec: str, doc: Document, seed: int | None = None,
                validation_split: float = 0.0, batch_size: int = 32,
                analysis: Analysis | None = None):
    """The data named by `spec`: a Dataset of arrays, or an `ImageFolder` for images.

    Specs of `runtime.data.load_data` are passed on to it. `analysis` is the document's
    when the caller holds it (the output shapes are read from it, not analysed again).

    Raises:
        DataError: the source cannot be read or does not fit the model's inputs.
    """
    kind, _, rest = spec.strip().partition(":")
    if kind == "csv":
        return csv_data(rest, doc, analysis)
    if kind == "images":
        return image_folder(rest, doc, seed, validation_split, batch_size, analysis)
    return load_data(spec, doc, seed, analysis)


def check_source(doc: Document, data, analysis: Analysis | None = None) -> list:
    """The issues a run refuses `data` of `open_source` for, each naming its node: a
    Dataset's (`check_data`), an image folder's classes (`check_images`), or a listed
    folder's Input and classes (`check_folder`, which the data preview lists)."""
    if isinstance(data, FolderListing):
        return check_folder(doc, data, analysis)
    if isinstance(data, ImageFolder):
        return check_images(doc, data, analysis)
    return check_data(doc, data, analysis)


def _split_query(rest: str) -> tuple[str, dict[str, str]]:
    path, _, query = rest.partition("?")
    options = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
    return path, options


# ---- CSV -----------------------------------------------------------------------
CHUNK_ROWS = 4096  # rows turned into columns at a time: no list per row outlives its chunk


Texts = list[np.ndarray]  # a column's values: an array of strings per chunk of rows


@dataclass(frozen=True)
class _Table:
    """A CSV file's header and its columns of stripped texts ("" where a row is short): per
    column, an object array of strings per chunk of rows. A million rows make a few hundred
    arrays, not a million lists, and the cyclic collector (which runs on the GUI thread while
    a window is open) walks none of them: arrays and strings are no containers it tracks."""

    header: list[str]
    columns: list[Texts]
    rows: int

    def release(self) -> None:
        """Free the texts a chunk at a time: a million strings freed in one call would hold
        the GIL (and so the GUI thread) for a tenth of a second."""
        for column in self.columns:
            while column:
                column.pop()


def _read_table(path: str) -> _Table:
    with checked_header():
        datafiles.check_text_file(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            return _columns(path, csv.reader(handle))
    except OSError as exc:
        raise DataError(f"Could not read {path}: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: expected UTF-8 CSV text. Received bytes that are not UTF-8 "
                        f"at byte {exc.start}") from None
    except csv.Error as exc:
        raise DataError(f"{path}: not a readable CSV file ({exc})") from None


def _columns(path: str, reader) -> _Table:
    """The reader's non-blank rows, CHUNK_ROWS at a time, appended to columns."""
    header = next((row for row in reader if row), None)
    columns: list[Texts] = [[] for _ in header or ()]
    rows = 0
    while read := list(itertools.islice(reader, CHUNK_ROWS)):
        chunk = [row for row in read if row]
        rows += len(chunk)
        cells = list(itertools.zip_longest(*chunk, fillvalue=""))
        for column, texts in zip(columns, cells, strict=False):
            column.append(np.fromiter(map(str.strip, texts), dtype=object, count=len(texts)))
        for column in columns[len(cells):]:  # every row of the chunk is shorter
            column.append(np.full(len(chunk), "", dtype=object))
    if header is None or not rows:
        raise DataError(f"{path}: expected a header row and at least one data row. "
                        f"Received {0 if header is None else 1} row(s)")
    return _Table([h.strip() for h in header], columns, rows)


def _at(values: Texts, index: int) -> str:
    for part in values:
        if index < len(part):
            return part[index]
        index -= len(part)
    raise IndexError(index)


def _convert(function, values: Texts, dtype: str) -> np.ndarray:
    """`function` of every value, a chunk a call (a worker lets the GUI thread run)."""
    return np.concatenate([np.fromiter(map(function, part), dtype=dtype, count=len(part))
                           for part in values])


def _column(table: _Table, name: str, path: str) -> Texts:
    values = table.columns[table.header.index(name)]
    row = 2
    for part in values:
        if "" in part:
            first = np.flatnonzero(part == "")[0]
            raise DataError(f"{path}, row {row + first}: column {name!r} is empty")
        row += len(part)
    return values


def _numbers(values: Texts, name: str, path: str) -> np.ndarray | None:
    """The column's values as numbers, or None when one is no number. A number that is
    not finite ("nan", "inf", "1e999") is refused, naming its row: Python's `float` reads
    it, and one NaN in a batch makes every loss from there on NaN."""
    try:
        numbers = _convert(float, values, "float64")
    except ValueError:
        return None
    bad = np.flatnonzero(~np.isfinite(numbers))
    if len(bad):
        more = f" ({len(bad)} rows hold no finite number)" if len(bad) > 1 else ""
        raise DataError(f"{path}, row {bad[0] + 2}: column {name!r} holds "
                        f"{_at(values, bad[0])!r}, expected a finite number{more}")
    return numbers


def _not_a_number(values: Texts) -> tuple[int, str]:
    """The row number (as in the file, the header being row 1) and text of the first
    value that is no number."""
    for number, value in enumerate(itertools.chain.from_iterable(values), start=2):
        try:
            float(value)
        except ValueError:
            return number, value
    raise ValueError("every value is a number")


def _missing_column(path: str, name: str, header: list[str]) -> str:
    """The header is listed only when it looks like column names: the message must not
    print a line of a file that is not a CSV table (say, /etc/passwd)."""
    text = f"{path} has no column {name!r}"
    if len(header) > 1 and all(h.isprintable() and 0 < len(h) <= 40 for h in header):
        return f"{text}. Columns: {', '.join(header[:30])}"
    return (f"{text}: its first row has {len(header)} comma-separated field(s), "
            "which does not look like a header of column names")


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
    path, options = _split_query(rest)
    table = _read_table(path)
    try:
        return _convert_table(table, path, options)
    finally:
        table.release()


def _convert_table(table: _Table, path: str, options: dict[str, str]) -> CsvTable:
    header = table.header
    target = options.get("target") or header[-1]
    features = [f.strip() for f in options["features"].split(",")] if "features" in options \
        else [h for h in header if h != target]
    for name in (*features, target):
        if name not in header:
            raise DataError(_missing_column(path, name, header))
    if not features:
        raise DataError(f"{path}: expected at least one feature column besides the target "
                        f"column. Received {len(header)} column(s)")
    x = []
    for name in features:
        values = _column(table, name, path)
        column = _numbers(values, name, path)
        if column is None:
            row, value = _not_a_number(values)
            raise DataError(f"{path}, row {row}: feature column {name!r} must hold "
                            f"numbers. Received {value!r}")
        x.append(column)
    labels = _labels(_column(table, target, path), target, path)
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
    return adapt_labels(doc, data, analysis)


def csv_target(rest: str, doc: Document) -> tuple[list[str], int, str, np.ndarray, list | None]:
    """(header, row count, target column, its labels, class names or None) of
    `PATH?target=y`, as `csv_data` reads them, without converting the feature columns.
    Numeric targets are read for the model's one output (its loss decides class ids or
    values); without one output they are values."""
    path, options = _split_query(rest)
    table = _read_table(path)
    header = table.header
    try:
        target = options.get("target") or header[-1]
        if target not in header:
            raise DataError(_missing_column(path, target, header))
        outputs = model_outputs(doc)
        values = _column(table, target, path)
        y, classes = _target(_labels(values, target, path), doc,
                             outputs[0].name if len(outputs) == 1 else None)
    finally:
        table.release()
    return header, table.rows, target, y, classes


def _labels(values: Texts, column: str,
            path: str) -> tuple[np.ndarray | None, np.ndarray | None, list[str] | None]:
    """(numbers, None, None), or (None, class ids, class names) when a value is no number."""
    numbers = _numbers(values, column, path)
    if numbers is not None:
        return numbers, None, None
    names: set[str] = set()
    for part in values:
        names.update(part)
    classes = sorted(names)
    lookup = {name: i for i, name in enumerate(classes)}
    return None, _convert(lookup.__getitem__, values, "int64"), classes


def _target(labels, doc: Document, output: str | None) -> tuple[np.ndarray, list | None]:
    numbers, ids, classes = labels
    if numbers is None:  # copies: the preview keeps its table for each model edited
        return ids.copy(), list(classes)
    loss = resolve_training(doc)["loss"][output] if output is not None else "mse"
    if label_form(loss) != "regression" and np.all(np.mod(numbers, 1) == 0):
        return numbers.astype("int64"), None
    return numbers.astype("float32")[:, None], None


def __getattr__(name: str):
    if name == "ImageBatches":  # made on first use, in `runtime.image_folders`
        from . import image_folders

        return image_folders.ImageBatches
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
