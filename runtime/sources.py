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
"""

from __future__ import annotations

import csv
import functools
import math
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs

import numpy as np

from kerascanvas.graph.document import Document
from kerascanvas.graph.spec import INPUT
from kerascanvas.graph.training import model_outputs, resolve_training
from kerascanvas.graph.validate import Analysis, Issue

from . import datafiles
from .data import (
    DataError,
    Dataset,
    adapt_labels,
    checked_header,
    label_form,
    load_data,
    loss_name,
    output_shapes,
)
from .datacheck import fixable_labels
from .keras_env import import_keras

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"})
MODES = {1: "L", 3: "RGB", 4: "RGBA"}


@dataclass
class TableDataset(Dataset):
    """A Dataset read from a table; `class_names[output]` lists the labels of class ids."""

    class_names: dict[str, list[str]] = field(default_factory=dict)


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


def _split_query(rest: str) -> tuple[str, dict[str, str]]:
    path, _, query = rest.partition("?")
    options = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
    return path, options


def _single_pair(doc: Document, source: str) -> tuple:
    inputs = [n for n in doc.nodes.values() if n.kind == INPUT]
    if len(inputs) != 1 or len(doc.outputs) != 1:
        raise DataError(f"{source} gives one input and one target, so the model needs one "
                        f"Input and one output. Received: {len(inputs)} input(s), "
                        f"{len(doc.outputs)} output(s)")
    return inputs[0], model_outputs(doc)[0]


# ---- CSV -----------------------------------------------------------------------
def _read_table(path: str) -> tuple[list[str], list[list[str]]]:
    with checked_header():
        datafiles.check_text_file(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = [row for row in csv.reader(handle) if row]
    except OSError as exc:
        raise DataError(f"Could not read {path}: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: expected UTF-8 CSV text. Received bytes that are not UTF-8 "
                        f"at byte {exc.start}") from None
    except csv.Error as exc:
        raise DataError(f"{path}: not a readable CSV file ({exc})") from None
    if len(rows) < 2:
        raise DataError(f"{path}: expected a header row and at least one data row. "
                        f"Received {len(rows)} row(s)")
    return [h.strip() for h in rows[0]], rows[1:]


def _column(rows: list[list[str]], index: int, name: str, path: str) -> list[str]:
    values = []
    for number, row in enumerate(rows, start=2):
        if index >= len(row) or not row[index].strip():
            raise DataError(f"{path}, row {number}: column {name!r} is empty")
        values.append(row[index].strip())
    return values


def _numbers(values: list[str]) -> np.ndarray | None:
    try:
        return np.array([float(v) for v in values])
    except ValueError:
        return None


def _missing_column(path: str, name: str, header: list[str]) -> str:
    """The header is listed only when it looks like column names: the message must not
    print a line of a file that is not a CSV table (say, /etc/passwd)."""
    text = f"{path} has no column {name!r}"
    if len(header) > 1 and all(h.isprintable() and 0 < len(h) <= 40 for h in header):
        return f"{text}. Columns: {', '.join(header[:30])}"
    return (f"{text}: its first row has {len(header)} comma-separated field(s), "
            "which does not look like a header of column names")


def csv_data(rest: str, doc: Document, analysis: Analysis | None = None) -> TableDataset:
    """`PATH?features=a,b&target=y`: numeric features, a numeric or categorical target."""
    path, options = _split_query(rest)
    header, rows = _read_table(path)
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
        column = _numbers(_column(rows, header.index(name), name, path))
        if column is None:
            raise DataError(f"{path}: feature column {name!r} must hold numbers only")
        x.append(column)
    inp, out = _single_pair(doc, f"csv:{path}")
    y, classes = _target(_column(rows, header.index(target), target, path), doc, out.name)
    xs = np.stack(x, axis=1).astype("float32")
    shape = inp.spec.resolve(inp.params)["shape"]
    if None not in shape and math.prod(shape) == xs.shape[1]:
        xs = xs.reshape(len(xs), *shape)
    data = TableDataset({inp.name: xs}, {out.name: y}, source=f"csv:{rest}")
    if classes is not None:
        data.class_names[out.name] = classes
    return adapt_labels(doc, data, analysis)


def _target(values: list[str], doc: Document, output: str) -> tuple[np.ndarray, list | None]:
    numbers = _numbers(values)
    if numbers is None:
        classes = sorted(set(values))
        lookup = {name: i for i, name in enumerate(classes)}
        return np.array([lookup[v] for v in values], dtype="int64"), classes
    loss = resolve_training(doc)["loss"][output]
    if label_form(loss) != "regression" and np.all(np.mod(numbers, 1) == 0):
        return numbers.astype("int64"), None
    return numbers.astype("float32")[:, None], None


# ---- image folders -------------------------------------------------------------------
@dataclass
class ImageFolder:
    """An image folder split into training and validation batches (keras PyDatasets)."""

    train: object
    validation: object | None
    class_names: list[str]
    input_name: str
    output_name: str
    source: str = ""

    @property
    def num_samples(self) -> int:
        return len(self.train.files)

    @property
    def num_classes(self) -> dict[str, int]:
        return {self.output_name: len(self.class_names)}


def list_images(root: str) -> tuple[list[Path], np.ndarray, list[str]]:
    """(files, class ids, class names): one class per subfolder, in sorted order."""
    base = Path(root)
    if not base.is_dir():
        raise DataError(f"images:{root}: expected a folder with one subfolder per class")
    classes = sorted(p.name for p in base.iterdir() if p.is_dir())
    files, labels = [], []
    for i, name in enumerate(classes):
        found = sorted(p for p in (base / name).rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
        files += found
        labels += [i] * len(found)
    if not files:
        raise DataError(f"images:{root}: found no image files "
                        f"({', '.join(sorted(IMAGE_SUFFIXES))}) in class subfolders "
                        f"(subfolders: {', '.join(classes) or 'none'})")
    return files, np.array(labels, dtype="int64"), classes


def image_folder(root: str, doc: Document, seed: int | None = None,
                 validation_split: float = 0.0, batch_size: int = 32,
                 analysis: Analysis | None = None) -> ImageFolder:
    """Batches of a class-per-subfolder image folder, sized for the model's Input."""
    inp, out = _single_pair(doc, f"images:{root}")
    shape = tuple(inp.spec.resolve(inp.params)["shape"])
    if len(shape) != 3 or None in shape or shape[-1] not in MODES:
        raise DataError(f"images:{root} needs an Input of shape (height, width, channels) "
                        f"with 1, 3 or 4 channels. Input {inp.name!r} has shape {shape}")
    files, labels, classes = list_images(root)
    order = np.random.default_rng(0 if seed is None else seed).permutation(len(files))
    cut = len(files) - int(math.floor(len(files) * validation_split))
    units = output_shapes(doc, analysis).get(out.name, (None,))[-1]
    form = label_form(resolve_training(doc)["loss"][out.name], units)
    rows = len(classes) if form == "onehot" else None
    parts = []
    batches = _image_batches_class()
    for index, shuffle in ((order[:cut], True), (order[cut:], False)):
        chosen = [files[i] for i in index]
        parts.append(batches(chosen, labels[index], shape, batch_size, shuffle=shuffle,
                             seed=seed, one_hot=rows) if chosen else None)
    return ImageFolder(parts[0], parts[1], classes, inp.name, out.name, f"images:{root}")


def check_images(doc: Document, folder: ImageFolder,
                 analysis: Analysis | None = None) -> list[Issue]:
    """Issues where the folder's classes do not fit the model's output and its loss."""
    out = next(o for o in model_outputs(doc) if o.name == folder.output_name)
    shape = output_shapes(doc, analysis).get(out.name)
    if shape is None:
        return []  # the graph's own issues say why the output has no shape
    loss = resolve_training(doc)["loss"][out.name]
    units, classes = shape[-1], len(folder.class_names)
    form = label_form(loss, units)
    listed = ", ".join(folder.class_names)
    fixes, data = (), {}
    if form == "binary" and classes > 2:
        want = f"Dense({classes}) with softmax and sparse_categorical_crossentropy"
    elif form in ("sparse", "onehot") and units is not None and units < classes:
        want = f"one unit per class: Dense({classes}) with softmax"
        data = {"units": classes}  # the plain answer, which the fix reads
        if "set_units_to_labels" in fixable_labels(doc, out):
            fixes = ("set_units_to_labels",)
    else:
        return []
    return [Issue(out.id, None, "error", f"{folder.source} holds {classes} classes ({listed}), "
                  f"but output {out.name!r} gives {units} unit(s) trained with "
                  f"{loss_name(loss)}. Expected {want}", "label_range", fixes, data)]


def load_image(path: Path, shape: tuple[int, int, int]) -> np.ndarray:
    """One image as float32 (height, width, channels), converted and resized."""
    from PIL import Image

    height, width, channels = shape
    try:
        with Image.open(path) as image:
            image = image.convert(MODES[channels]).resize((width, height), Image.BILINEAR)
            pixels = np.asarray(image, dtype="float32")
    except OSError as exc:
        raise DataError(f"Could not read image {path}: {exc}") from exc
    return pixels.reshape(height, width, channels)


@functools.cache
def _image_batches_class():
    # Defined on first use: keras loads only when images are batched for training, so
    # the app's data preview can list a folder without importing keras.
    keras = import_keras()

    class ImageBatches(keras.utils.PyDataset):
        """Batches of images read on demand; reshuffled after each epoch when `shuffle`.

        Args:
            files: image paths. labels: their class ids.
            shape: (height, width, channels) of the model's Input.
            batch_size: images per batch.
            shuffle: draw a new order after every epoch.
            one_hot: the number of classes to give one-hot rows, or None for class ids.
            **kwargs: PyDataset's `workers`, `use_multiprocessing`, `max_queue_size`.
        """

        def __init__(self, files, labels, shape, batch_size, shuffle=True, seed=None,
                     one_hot=None, **kwargs):
            super().__init__(**kwargs)
            self.files, self.labels = list(files), np.asarray(labels)
            self.shape, self.batch_size = tuple(shape), int(batch_size)
            self.shuffle, self.one_hot = shuffle, one_hot
            self._rng = np.random.default_rng(seed)
            self._order = np.arange(len(self.files))
            self.on_epoch_end()

        def __len__(self) -> int:
            return math.ceil(len(self.files) / self.batch_size)

        def __getitem__(self, index):
            chosen = self._order[index * self.batch_size:(index + 1) * self.batch_size]
            x = np.stack([load_image(self.files[i], self.shape) for i in chosen])
            y = self.labels[chosen]
            if self.one_hot:
                y = np.eye(self.one_hot, dtype="float32")[y]
            return x, y

        def on_epoch_end(self):
            if self.shuffle:
                self._order = self._rng.permutation(len(self.files))

    # Pickled by name, as a module-level class would be (through `__getattr__` below).
    ImageBatches.__qualname__ = "ImageBatches"
    return ImageBatches


def __getattr__(name: str):
    if name == "ImageBatches":
        return _image_batches_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
