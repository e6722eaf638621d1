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
"""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kerascanvas.graph import validate
from kerascanvas.graph.document import Document
from kerascanvas.graph.errors import KerasCanvasError
from kerascanvas.graph.projectfile import from_dict, to_dict
from kerascanvas.graph.spec import INPUT
from kerascanvas.graph.training import model_outputs, output_names, resolve_training
from kerascanvas.graph.validate import Analysis

from . import datafiles
from .custom_code import carry_context

__all__ = ["DataError", "Dataset", "check_data", "load_data", "SKLEARN_SETS"]

SKLEARN_SETS = ("digits", "iris", "wine", "breast_cancer")
DEFAULT_SYNTHETIC = 256
# Unknown (None) dimensions of an Input get this length in synthetic data.
SYNTHETIC_LENGTH = 8


class DataError(KerasCanvasError):
    """A data source could not be read or does not fit the model.

    `issues` holds the mismatches (graph.validate.Issue records, each naming its node)
    when the data was read but does not fit.
    """

    def __init__(self, message: str, issues=()):
        super().__init__(message)
        self.issues = list(issues)


@dataclass
class Dataset:
    """Arrays keyed by Input node name (`x`) and output node name (`y`)."""

    x: dict[str, np.ndarray]
    y: dict[str, np.ndarray]
    x_val: dict[str, np.ndarray] | None = None
    y_val: dict[str, np.ndarray] | None = None
    num_classes: dict[str, int] = field(default_factory=dict)
    source: str = ""

    @property
    def num_samples(self) -> int:
        first = next(iter(self.x.values()), None)
        return 0 if first is None else len(first)

    @property
    def has_validation(self) -> bool:
        return bool(self.x_val) and bool(self.y_val)


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
            f"Received: {spec!r}")
    data.source = spec
    return adapt_labels(doc, data, analysis)


def _count(text: str, spec: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise DataError(f"Expected a positive sample count in synthetic:N. Received: {spec!r}")
    with checked_header():
        datafiles.check_synthetic_count(int(text))
    return int(text)


@contextlib.contextmanager
def checked_header():
    """Turn a refusal of `runtime.datafiles` into a DataError."""
    try:
        yield
    except datafiles.DataFileError as exc:
        raise DataError(str(exc)) from None


def _names(doc: Document) -> tuple[list[str], list[str]]:
    inputs = [n.name for n in doc.nodes.values() if n.kind == INPUT]
    return inputs, output_names(doc)


# ---- synthetic ---------------------------------------------------------------
def embedding_limit(doc: Document, input_id: str) -> int | None:
    """The smallest `input_dim` among Embedding layers fed directly by an Input."""
    dims = [doc.node(e.dst).spec.resolve(doc.node(e.dst).params)["input_dim"]
            for e in doc.out_edges(input_id) if doc.node(e.dst).kind == "Embedding"]
    return min(dims) if dims else None


def _unknown_input_dims(doc: Document) -> bool:
    return any(None in node.spec.resolve(node.params)["shape"]
               for node in doc.nodes.values() if node.kind == INPUT)


def concrete_doc(doc: Document) -> Document:
    """A copy of `doc` whose Input shapes have no unknown dimension."""
    copied = from_dict(copy.deepcopy(to_dict(doc)))
    for node in copied.nodes.values():
        if node.kind == INPUT:
            shape = node.spec.resolve(node.params)["shape"]
            node.params["shape"] = [SYNTHETIC_LENGTH if d is None else d for d in shape]
    carry_context(doc, copied)  # trusted custom layers answer for the new shapes
    return copied


def synthetic(doc: Document, n: int = DEFAULT_SYNTHETIC, seed: int | None = None,
              analysis: Analysis | None = None) -> Dataset:
    """Random inputs and labels that fit the model of `doc` and its losses (`analysis`:
    the document's, used when its Input shapes are all known)."""
    rng = np.random.default_rng(seed)
    if _unknown_input_dims(doc):  # the copy's shapes differ: it is analysed itself
        doc, analysis = concrete_doc(doc), None
    x = {}
    for node in doc.nodes.values():
        if node.kind == INPUT:
            x[node.name] = _random_input(rng, doc, node, n)
    losses = resolve_training(doc)["loss"]
    shapes = output_shapes(doc, analysis)
    y = {}
    for name in output_names(doc):
        y[name] = _random_labels(rng, label_form(losses[name], shapes[name][-1]), shapes[name], n)
    return Dataset(x, y)


def np_dtype(name: str) -> np.dtype:
    """The numpy dtype for a Keras dtype name (numpy has no bfloat16: float32 stands in)."""
    return np.dtype("float32" if name == "bfloat16" else name)


def _random_input(rng, doc: Document, node, n: int) -> np.ndarray:
    resolved = node.spec.resolve(node.params)
    shape, dtype = (n, *resolved["shape"]), np_dtype(resolved["dtype"])
    limit = embedding_limit(doc, node.id)
    if limit is not None or dtype.kind in "iu":
        return rng.integers(0, limit or 10, size=shape).astype(dtype)
    if dtype.kind == "b":
        return rng.random(shape) < 0.5
    return rng.standard_normal(shape).astype(dtype)


def _random_labels(rng, form: str, out_shape: tuple, n: int) -> np.ndarray:
    shape = (n, *out_shape[1:])
    if form == "sparse":
        return rng.integers(0, out_shape[-1], size=shape[:-1]).astype("int64")
    if form == "onehot":
        ids = rng.integers(0, out_shape[-1], size=shape[:-1])
        return np.eye(out_shape[-1], dtype="float32")[ids]
    if form == "binary":
        return (rng.random(shape) < 0.5).astype("float32")
    return rng.standard_normal(shape).astype("float32")


# ---- scikit-learn --------------------------------------------------------------
def sklearn_data(name: str, doc: Document, seed: int | None = None) -> Dataset:
    """One of scikit-learn's bundled sets, shuffled, reshaped to the single Input."""
    if name not in SKLEARN_SETS:
        raise DataError(f"Expected sklearn:{'|'.join(SKLEARN_SETS)}. Received: sklearn:{name}")
    from sklearn import datasets

    bunch = getattr(datasets, f"load_{name}")()
    x, y = bunch.data.astype("float32"), bunch.target.astype("int64")
    if name == "digits":
        x = x.reshape(-1, 8, 8, 1)
    order = np.random.default_rng(0 if seed is None else seed).permutation(len(x))
    inputs, outputs = _single_pair(doc, f"sklearn:{name}")
    x = _fit_input_shape(doc, inputs, x[order])
    return Dataset({inputs: x}, {outputs: y[order]}, num_classes={outputs: int(y.max()) + 1})


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
    wanted = f"{single!r} or " if len(names) == 1 else ""
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


# ---- labels ----------------------------------------------------------------------
def adapt_labels(doc: Document, data: Dataset, analysis: Analysis | None = None) -> Dataset:
    """Count classes, and one-hot class ids for outputs trained with categorical CE."""
    losses = resolve_training(doc)["loss"]
    shapes = output_shapes(doc, analysis)
    for name in output_names(doc):
        for part in (data.y, data.y_val or {}):
            labels = part.get(name)
            if labels is None or not _is_class_ids(labels):
                continue
            data.num_classes.setdefault(name, int(labels.max(initial=-1)) + 1)
            out = shapes.get(name)
            fits = out and labels.ndim == len(out) - 1 and labels.max(initial=0) < out[-1]
            if fits and label_form(losses[name], out[-1]) == "onehot":
                part[name] = np.eye(out[-1], dtype="float32")[labels.astype("int64")]
    return data


def _is_class_ids(labels: np.ndarray) -> bool:
    return labels.dtype.kind in "iu" and (labels.size == 0 or labels.min() >= 0)


# ---- checks against the model ------------------------------------------------------
def loss_name(loss) -> str:
    """The name of a loss setting: "mse", or the "name" of `{"name": "focal_loss", ...}`."""
    if isinstance(loss, Mapping):
        return str(loss.get("name", ""))
    return loss if isinstance(loss, str) else str(loss)


def label_form(loss, units: int | None = None) -> str:
    """What labels a loss expects: "sparse" ids, "onehot" rows, "binary" 0/1, "regression".

    Args:
        loss: a loss name or `{"name": ..., **options}`.
        units: the output's last dimension, where known. Our focal loss reads a
            one-unit output as binary and several units as classes; it takes ids
            or one-hot rows, and class ids are made one-hot like categorical CE's.

    >>> label_form("focal_loss", 1), label_form({"name": "focal_loss"}, 5)
    ('binary', 'onehot')
    """
    name = loss_name(loss)
    if name == "focal_loss":
        return "binary" if units == 1 else "onehot"
    if name.startswith("sparse_categorical"):
        return "sparse"
    if name in ("categorical_crossentropy", "categorical_focal_crossentropy", "kl_divergence",
                "categorical_hinge"):
        return "onehot"
    if name in ("binary_crossentropy", "binary_focal_crossentropy", "hinge", "squared_hinge"):
        return "binary"
    return "regression"


def output_shapes(doc: Document, analysis: Analysis | None = None) -> dict[str, tuple]:
    """Inferred shape of each model output (its node's port), keyed by output name (where
    known).

    `analysis` is the document's analysis when the caller holds it (a run's, a Project's):
    the graph is then not analysed again. Only node results are read, so the analysis of
    a document before its training overrides (`train.with_overrides`) serves its copy.
    """
    results = (analysis if analysis is not None else validate.analyze(doc)).results
    shapes = {}
    for out in model_outputs(doc):
        known = results[out.id].output_shapes if out.id in results else None
        if known and out.port < len(known):
            shapes[out.name] = tuple(known[out.port])
    return shapes


# The checks against the model live in `runtime.datacheck`; `check_data` is public here too.
from .datacheck import check_data  # noqa: E402, F401
