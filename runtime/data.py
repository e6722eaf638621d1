"""Training data: sources named by a short spec string, and checks against the model.

Specs:
    "synthetic" or "synthetic:N": N random samples (default 256) shaped for every
        Input, with labels of the form each output's loss expects.
    "sklearn:digits|iris|wine|breast_cancer": the small sets scikit-learn ships
        (digits as 8x8x1 images, values 0..16), shuffled with the seed.
    "PATH.npz": arrays `x` and `y`, or one array per input and output name; optional
        validation arrays `x_val`/`y_val` or `val_<name>`.
    "X.npy,Y.npy": one input array and one label array.

Labels are class ids when a source has classes; `load_data` turns them into
one-hot rows for outputs trained with categorical crossentropy.

The Dataset and DataError are in `runtime.dataset`, synthetic data in `runtime.synthetic`,
the labels each output expects in `runtime.label_forms` and the checks against the model
in `runtime.datacheck`; their public names are importable here too.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np

from kerascanvas.graph.document import Document
from kerascanvas.graph.spec import INPUT
from kerascanvas.graph.training import output_names
from kerascanvas.graph.validate import Analysis

from . import datafiles
from .data_heads import NpzHeads, npy_head
from .dataset import DataError, Dataset, checked_header
from .input_ranks import adapt_input_ranks
from .label_forms import (  # noqa: F401 - public here too
    adapt_labels,
    label_form,
    loss_name,
    output_shapes,
)
from .synthetic import (  # noqa: F401 - public here too
    DEFAULT_SYNTHETIC,
    SYNTHETIC_LENGTH,
    concrete_doc,
    embedding_limit,
    np_dtype,
    synthetic,
    synthetic_inputs,
    synthetic_labels,
)

__all__ = ["DataError", "Dataset", "check_data", "load_data", "load_preview", "SKLEARN_SETS"]

SKLEARN_SETS = ("digits", "iris", "wine", "breast_cancer")


def load_data(spec: str, doc: Document, seed: int | None = None,
              analysis: Analysis | None = None) -> Dataset:
    """Read the data named by `spec` for the model of `doc` (`analysis`: the document's,
    when the caller has it; see `output_shapes`).

    Raises:
        DataError: an unknown spec, a file that cannot be read, or a missing array.
    """
    spec = spec.strip()
    kind, _, arg = spec.partition(":")
    if kind == "synthetic":
        data = synthetic(doc, _count(arg or str(DEFAULT_SYNTHETIC), spec), seed, analysis)
    elif kind == "sklearn":
        data = sklearn_data(arg, doc, seed)
    elif spec.endswith(".npz"):
        data = npz_data(spec, doc)
    elif spec.endswith(".npy"):
        data = npy_data(spec, doc)
    else:
        raise DataError(
            "Expected a data spec: synthetic[:N], sklearn:NAME, FILE.npz or X.npy,Y.npy. "
            f"Received: {spec!r}{_spec_hint(spec)}")
    data.source = spec
    return adapt_data(doc, data, analysis)


def adapt_data(doc: Document, data: Dataset, analysis: Analysis | None = None) -> Dataset:
    """`data` as the model takes it: each Input's arrays at its rank, a last axis of 1
    added or dropped as Keras does (`runtime.input_ranks`), and the labels in the form
    each output's loss expects (`adapt_labels`)."""
    return adapt_labels(doc, adapt_input_ranks(doc, data), analysis)


def _spec_hint(spec: str) -> str:
    """What the spec was probably meant as: a folder or a CSV file given bare."""
    if Path(spec).is_dir():
        return (f" (a folder; an image folder, one subfolder per class, is given as "
                f"images:{spec})")
    if spec.lower().endswith((".csv", ".tsv")):
        return f" (a CSV file is given as csv:{spec}, or csv:{spec}?features=a,b&target=y)"
    return ""


def load_preview(spec: str, doc: Document, seed: int | None = None,
                 head: int = 8, analysis: Analysis | None = None) -> tuple[Dataset, int]:
    """What a preview of `spec` shows: (a Dataset of all the labels, adapted as `load_data`
    adapts them, and the first `head` samples of each input; the number of samples).
    `analysis`: the document's, when the caller has it (a custom layer's shapes are the
    window's).

    Synthetic data draws only those first inputs (its labels have a stream of their own,
    so the labels and their counts are those `load_data` gives for the same seed); the
    other specs are read as `load_data` reads them.
    """
    kind, _, arg = spec.strip().partition(":")
    if kind != "synthetic" and spec.strip().endswith((".npz", ".npy")):
        data, count = _file_heads(spec.strip(), doc, head)
        data.source = spec.strip()
        return adapt_data(doc, data, analysis), count
    if kind != "synthetic":
        data = load_data(spec, doc, seed, analysis)
        count = data.num_samples
        data.x = {k: a[:head] for k, a in data.x.items()}
        return data, count
    count = _count(arg or str(DEFAULT_SYNTHETIC), spec.strip())
    data = Dataset(synthetic_inputs(doc, min(head, count), seed),
                   synthetic_labels(doc, count, seed, analysis), source=spec.strip())
    return adapt_data(doc, data, analysis), count if data.x else 0  # as `Dataset.num_samples`


def _file_heads(spec: str, doc: Document, head: int) -> tuple[Dataset, int]:
    """All the labels of a `.npz` or `X.npy,Y.npy` spec and the first `head` samples of its
    inputs, read as `npz_data` and `npy_data` pick them (the rest of the inputs unread)."""
    if spec.endswith(".npy"):
        paths = [p.strip() for p in spec.split(",")]
        if len(paths) != 2:
            return npy_data(spec, doc), 0  # raises, saying what was expected
        (x, count), (y, _) = npy_head(paths[0], head), npy_head(paths[1], 2**63 - 1)
        inputs, outputs = _single_pair(doc, spec)
        return Dataset({inputs: x}, {outputs: y}), count
    inputs, outputs = _names(doc)
    heads = NpzHeads(spec, head)
    x = _pick(heads, inputs, "x", spec, "input")
    count = next(iter(heads.rows.values()), 0)
    y = _pick(NpzHeads(spec, 2**63 - 1), outputs, "y", spec, "output")
    empty = NpzHeads(spec, 0)  # the validation arrays' names are checked, as npz_data does
    x_val = _pick(empty, inputs, "x_val", spec, "input", prefix="val_", optional=True)
    y_val = _pick(empty, outputs, "y_val", spec, "output", prefix="val_", optional=True)
    if (x_val is None) != (y_val is None):
        raise DataError(f"{spec}: validation arrays need both inputs and labels. "
                        f"Arrays in the file: {', '.join(sorted(empty))}")
    return Dataset(x, y), count


def _count(text: str, spec: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise DataError(f"Expected a positive sample count in synthetic:N. Received: {spec!r}")
    with checked_header():
        datafiles.check_synthetic_count(int(text))
    return int(text)


def _names(doc: Document) -> tuple[list[str], list[str]]:
    inputs = [n.name for n in doc.nodes.values() if n.kind == INPUT]
    return inputs, output_names(doc)


# ---- scikit-learn --------------------------------------------------------------
def sklearn_data(name: str, doc: Document, seed: int | None = None) -> Dataset:
    """One of scikit-learn's bundled sets, shuffled, reshaped to the single Input."""
    if name not in SKLEARN_SETS:
        raise DataError(f"Expected sklearn:{'|'.join(SKLEARN_SETS)}. Received: sklearn:{name}")
    x, y = _bundled(name)
    if name == "digits":
        x = x.reshape(-1, 8, 8, 1)
    order = np.random.default_rng(0 if seed is None else seed).permutation(len(x))
    inputs, outputs = _single_pair(doc, f"sklearn:{name}")
    x = _fit_input_shape(doc, inputs, x[order])
    return Dataset({inputs: x}, {outputs: y[order]}, num_classes={outputs: int(y.max()) + 1})


@functools.cache
def _bundled(name: str) -> tuple[np.ndarray, np.ndarray]:
    """(samples as float32, class ids) of a scikit-learn set, read once per process: its
    loader has no row limit, and the labels sit in the rows of the samples, so a preview
    reads the whole set (digits: 1,797 rows, some 40 ms; importing the loaders first
    takes seconds), and a model edit that reads it again reuses it. Read-only: each
    caller indexes its own copy."""
    from sklearn import datasets

    bunch = getattr(datasets, f"load_{name}")()
    x, y = bunch.data.astype("float32"), bunch.target.astype("int64")
    x.flags.writeable = y.flags.writeable = False
    return x, y


def _single_pair(doc: Document, source: str) -> tuple[str, str]:
    inputs, outputs = _names(doc)
    if len(inputs) != 1 or len(outputs) != 1:
        raise DataError(
            f"{source} gives one input array and one label array, so the model needs one "
            f"Input and one output. Received: inputs {inputs}, outputs {outputs}")
    return inputs[0], outputs[0]


def _fit_input_shape(doc: Document, input_name: str, x: np.ndarray) -> np.ndarray:
    # A flat Input (64,) can take the 8x8 digits, and an 8x8x1 Input the flat sets:
    # reshape when the sample sizes agree, else leave it for check_data to report.
    node = doc.find(input_name)
    shape = node.spec.resolve(node.params)["shape"]
    if None not in shape and math.prod(shape) == math.prod(x.shape[1:]):
        return x.reshape(len(x), *shape)
    return x


# ---- files -----------------------------------------------------------------------
def _open_npz(path: str) -> dict[str, np.ndarray]:
    with checked_header():
        datafiles.check_npz(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {k: archive[k] for k in archive.files}
    except (OSError, ValueError) as exc:
        raise DataError(f"Could not read {path}: {exc}") from exc


def npz_data(path: str, doc: Document) -> Dataset:
    """Arrays `x`/`y` (and `x_val`/`y_val`), or arrays named after inputs and outputs."""
    arrays = _open_npz(path)
    inputs, outputs = _names(doc)
    x = _pick(arrays, inputs, "x", path, "input")
    y = _pick(arrays, outputs, "y", path, "output")
    x_val = _pick(arrays, inputs, "x_val", path, "input", prefix="val_", optional=True)
    y_val = _pick(arrays, outputs, "y_val", path, "output", prefix="val_", optional=True)
    if (x_val is None) != (y_val is None):
        raise DataError(f"{path}: validation arrays need both inputs and labels. "
                        f"Arrays in the file: {', '.join(sorted(arrays))}")
    return Dataset(x, y, x_val, y_val)


def _pick(arrays, names, single, path, role, prefix="", optional=False):
    if len(names) == 1 and single in arrays:
        return {names[0]: arrays[single]}
    keys = [prefix + n for n in names]
    missing = [k for k in keys if k not in arrays]
    if not missing:
        return {n: arrays[k] for n, k in zip(names, keys, strict=True)}
    if optional and len(missing) == len(keys):
        return None
    wanted = f"{single!r} or " if len(names) == 1 and single != missing[0] else ""
    raise DataError(
        f"{path} has no array for {role} {names[keys.index(missing[0])]!r}: expected an "
        f"array named {wanted}{missing[0]!r}. Arrays in the file: {', '.join(sorted(arrays))}")


def npy_data(spec: str, doc: Document) -> Dataset:
    """`X.npy,Y.npy`: one input array and one label array."""
    paths = [p.strip() for p in spec.split(",")]
    if len(paths) != 2:
        raise DataError(f"Expected two .npy files, inputs then labels: X.npy,Y.npy. "
                        f"Received: {spec!r}")
    arrays = []
    for path in paths:
        with checked_header():
            datafiles.check_npy(path)
        try:
            arrays.append(np.load(Path(path), allow_pickle=False))
        except (OSError, ValueError) as exc:
            raise DataError(f"Could not read {path}: {exc}") from exc
    inputs, outputs = _single_pair(doc, spec)
    return Dataset({inputs: arrays[0]}, {outputs: arrays[1]})


# The checks against the model live in `runtime.datacheck`; `check_data` is public here too.
from .datacheck import check_data  # noqa: E402, F401
