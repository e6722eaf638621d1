"""What the data preview reads, on a worker thread, and the check a run makes on it.

Image folders and CSV files are read by the training engine's own listing and reader
(`runtime.sources`: no keras); the other specs through `runtime.data.load_preview`, which
draws (or reads from a `.npz`/`.npy` file) only the thumbnails' samples of the inputs and
all the labels, so the counts shown are those a run with the project's seed trains on.
What was read is kept as a `Previewed`: the data a run's check (`runtime.sources.
check_source`) is made on, or the DataError the run's reader raised, with the key it was
read for (the model's label basis and the files' times). The check runs on the GUI thread
at each edit, on the document as it is; the data is read again only when that key changes.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...graph.validate import Issue
from .thumbnails import is_image_batch

PREVIEW_IMAGES = 8
MAX_LISTED = 20  # classes whose counts are listed one by one


@dataclass
class Previewed:
    """Data read for the preview and what it was read for.

    `data`: a Dataset, an image folder's `FolderListing`, a DataError (the run's reader
    refused the source) or None (synthetic data, drawn for the model as it is).
    `basis`: `label_basis` of the document read for (None for an image folder, listed
    alike for any model); `stamp`: `source_stamp` of the spec.
    """

    spec: str
    data: object
    basis: str | None
    stamp: tuple

    def stale(self, doc, analysis=None) -> bool:
        """Whether the data must be read again for `doc`: its labels were adapted for other
        losses, outputs or inputs, or a file of the spec changed since."""
        if self.basis is not None and label_basis(doc, analysis) != self.basis:
            return True
        return self.files_changed()

    def files_changed(self) -> bool:
        """Whether a file of the spec changed since it was read (its time or size)."""
        return source_stamp(self.spec) != self.stamp


def copy_analysis(analysis):
    """A copy of `analysis` the read may use while the window analyses edits anew."""
    if analysis is None:
        return None
    return dataclasses.replace(analysis, results=dict(analysis.results),
                               issues=list(analysis.issues))


# ---- reading (runs on a worker thread) -------------------------------------------
def read_preview(spec: str, doc, analysis=None) -> dict:
    """`preview_data` with the `Previewed` a check needs ("previewed"); a source the run's
    reader refuses gives its DataError as "error" (and as the previewed data).
    `analysis`: `doc`'s, as the window holds it (a custom layer's shapes come from it:
    analysed again here they would be unknown, and the data read stale at every check)."""
    from ...runtime.dataset import DataError

    stamp = source_stamp(spec)  # taken before reading: a change while it reads shows
    basis = None if spec.strip().startswith("images:") else label_basis(doc, analysis)
    try:
        found = preview_data(spec, doc, analysis)
    except DataError as exc:
        found = {"error": exc, "data": exc}
    found["previewed"] = Previewed(spec, found.get("data"), basis, stamp)
    return found


def preview_data(spec: str, doc, analysis=None) -> dict:
    """Shapes, class counts and a few images of the data named by `spec`.

    Returns:
        {"lines": [text, ...], "counts": {what is counted: {class: count}},
         "images": an array or list of (H, W[, C]) images, or None,
         "data": what the run's check is made on (see `Previewed`)}. What is counted
        names its source, quoted: "samples per class of output 'classes'", "images per
        class" (an image folder), "rows per value of column 'species'" (a CSV file).
    """
    kind, _, rest = spec.strip().partition(":")
    if kind == "images":
        return _preview_folder(rest)
    if kind == "csv":
        return _preview_csv(rest, doc, analysis)
    from ...graph.training import resolve_training
    from ...runtime.data import load_preview

    seed = resolve_training(doc)["seed"]
    # Only the thumbnails' samples are drawn or kept: the labels are all there, counted.
    data, count = load_preview(spec, doc, seed, PREVIEW_IMAGES, analysis)
    lines = [f"{count} samples", *_synthetic_notes(kind, doc, seed)]
    lines += [f"input {k!r}: {a.shape[1:]} {a.dtype}" for k, a in data.x.items()]
    lines += [f"output {k!r}: {a.shape[1:]} {a.dtype}" for k, a in data.y.items()]
    counts = {f"samples per class of output {name!r}": _counted(labels)
              for name, labels in data.y.items() if class_ids(labels) is not None}
    images = next((a for a in data.x.values() if is_image_batch(a)), None)
    # Synthetic labels are drawn for the model as it is: only read data is checked.
    return {"lines": lines, "counts": counts, "images": images,
            "data": None if kind == "synthetic" else data}


def _counted(labels: np.ndarray, names: list | None = None) -> dict:
    """{class (its name where `names` has one): number of samples} of class labels."""
    ids, counts = np.unique(class_ids(labels), return_counts=True)
    return {(names[i] if names else i): int(n) for i, n in zip(ids, counts, strict=True)}


def label_basis(doc, analysis=None) -> str:
    """What the preview's data was read for (`runtime.label_forms.adapt_labels`, and the
    reshaping of a source's features to the Input): the losses, the outputs' shapes and
    the Inputs' names and shapes. Once they change the data is read again."""
    from ...graph.spec import INPUT
    from ...graph.training import resolve_training
    from ...runtime.label_forms import output_shapes

    inputs = sorted((n.name, repr(n.spec.resolve(n.params)["shape"]))
                    for n in doc.nodes.values() if n.kind == INPUT)
    return repr((resolve_training(doc)["loss"], sorted(output_shapes(doc, analysis).items()),
                 inputs))


def source_stamp(spec: str) -> tuple:
    """(path, modification time, size) of each file or folder `spec` reads, and of an image
    folder's class subfolders (a class added, or an image added to or removed from a class,
    changes one of them); () for synthetic and scikit-learn data."""
    from ...graph.training_paths import data_paths

    paths = [Path(p) for p in data_paths(spec)]
    if spec.strip().startswith("images:") and paths and paths[0].is_dir():
        paths += sorted(p for p in paths[0].iterdir() if p.is_dir())
    return tuple((str(p), *_times(p)) for p in paths)


def _times(path: Path) -> tuple:
    try:
        found = os.stat(path)
    except OSError:
        return (None, None)
    return (found.st_mtime_ns, found.st_size)


def preview_issues(doc, data, analysis=None) -> list:
    """The issues the data check a run makes before training (`runtime.sources.
    check_source`) finds in the preview's data, each naming its node and carrying its
    fix; a source the run's reader refused gives its refusal. A preview's inputs are only
    their first samples: their count is not compared with the labels'."""
    from ...runtime.dataset import DataError
    from ...runtime.sources import check_source
    from ...runtime.synthetic import UNSHAPED

    try:
        issues = data.issues if isinstance(data, DataError) else \
            check_source(doc, data, analysis) + _split_issues(doc, data)
    except DataError as exc:  # the model does not suit the source (one input, one output)
        issues = exc.issues
        data = exc
    if isinstance(data, DataError) and not issues:
        return [Issue(None, None, "error", str(data), "data_source")]
    # An output the graph's errors leave without a shape: those errors say it already.
    return [i for i in issues if i.code not in ("data_count", UNSHAPED)]


def _split_issues(doc, data) -> list:
    """A validation split of data sorted by its labels (`runtime.split_check`)."""
    from ...graph.training_schema import resolve_extended
    from ...runtime.split_check import sorted_split_issues

    try:
        settings = resolve_extended(doc)
    except Exception:  # noqa: BLE001 - unusable settings: the Issues panel says so
        return []
    return sorted_split_issues(doc, data, settings)


def issues_text(issues: list, doc=None) -> str:
    """One line per issue, with the label of its fix: "... (fix: Set units to the number
    of classes, in Issues)"."""
    from ...graph.fixes import fix_label

    def fixed(issue) -> str:
        labels = ", ".join(fix_label(code, issue, doc) for code in issue.fixes)
        return f" (fix: {labels}, in Issues)" if labels else ""

    def severity(issue) -> str:  # a warning does not stop a run: say which it is
        return "" if issue.severity == "error" else "Warning: "

    return "\n".join(f"{severity(issue)}{issue.message}{fixed(issue)}" for issue in issues)


def _synthetic_notes(kind: str, doc, seed) -> list[str]:
    """Why synthetic data of `doc` has no inputs or no labels (a half-built or imported
    project read as "0 samples" with no reason given), and that without a seed the counts
    are one draw's."""
    from ...graph.spec import INPUT

    if kind != "synthetic":
        return []
    lines = []
    if not any(node.kind == INPUT for node in doc.nodes.values()):
        lines.append("no inputs: the model has no Input node to shape samples for")
    if not doc.outputs:
        lines.append("no labels: the model has no output to derive labels from")
    if seed is None and not lines:
        lines.append("no seed set: each run draws other samples (these counts are one draw's)")
    return lines


def class_ids(labels: np.ndarray) -> np.ndarray | None:
    """Each sample's class: integer labels as they are, rows of class probabilities
    (one-hot or soft: in [0, 1], summing to 1) by their likeliest class; None for
    anything else (regression targets of several values are no classes)."""
    if labels.ndim != 2 or labels.shape[-1] < 2:
        return labels.reshape(-1) if labels.dtype.kind in "iu" else None
    values = labels.astype("float64")
    rows_sum_to_one = np.allclose(values.sum(-1), 1.0, atol=1e-3)
    in_unit_range = bool(np.all((values >= 0) & (values <= 1)))
    return values.argmax(-1) if rows_sum_to_one and in_unit_range else None


def _preview_folder(root: str) -> dict:
    # The training engine's own listing: the preview shows exactly what will be trained on.
    from ...runtime.sources import list_folder

    listing = list_folder(root)
    files, labels, classes = listing.files, listing.labels, listing.class_names
    counts = {name: int(n) for name, n in zip(classes, np.bincount(labels, minlength=len(
        classes)), strict=True)}
    firsts = [p for c in range(len(classes)) for p in
              [files[i] for i in np.flatnonzero(labels == c)[:2]]]
    images = [_thumbnail(p) for p in firsts[:PREVIEW_IMAGES]]
    return {"lines": [f"{len(files)} images in {len(classes)} classes"],
            "counts": {"images per class": counts},
            "images": [i for i in images if i is not None], "data": listing}


def _thumbnail(path: Path):
    from PIL import Image

    try:
        with Image.open(path) as image:
            image.thumbnail((64, 64))
            return np.asarray(image.convert("RGB"))
    except OSError:
        return None


def _preview_csv(rest: str, doc, analysis=None) -> dict:
    """The run's own reading of the table (`csv_data`): the counts are those it trains on,
    and its Dataset is checked. A table the run refuses (a feature that is not a number,
    a model of other than one Input and one output) is refused here too, and its target
    column still counted, as it is read (`csv_target`)."""
    from ...runtime.dataset import DataError
    from ...runtime.sources import csv_data, csv_target

    try:
        data = csv_data(rest, doc, analysis,
                        table=_csv_table(rest, source_stamp(f"csv:{rest}")))
    except DataError as exc:
        header, rows, target, labels, classes = csv_target(rest, doc)
        data = exc
    else:
        header, rows, target = data.header, data.num_samples, data.target
        ((output, labels),) = data.y.items()
        classes = data.class_names.get(output)
    counts = _counted(labels, classes) if class_ids(labels) is not None else {}
    what = f"rows per value of column {target!r}"
    return {"lines": [f"{rows} rows, columns: {', '.join(header)}"],
            "counts": {what: counts} if counts else {}, "images": None, "data": data}


@functools.lru_cache(maxsize=2)
def _csv_table(rest: str, stamp: tuple):
    """The CSV file as the run reads it (`runtime.sources.read_csv`), kept while its time
    and size (`stamp`) stay: an edit of the losses, outputs or Inputs shapes the table
    again for the model instead of reading and converting every row again (seconds for
    200,000 rows)."""
    from ...runtime.sources import read_csv

    return read_csv(rest)


def describe(found: dict) -> str:
    """The preview's text: its lines, then a line of class counts for each output
    ("samples per class of output 'y': 0×50, 1×50")."""
    counts = [f"{what}: " + _count_text(c) for what, c in found["counts"].items()]
    return "\n".join([*found["lines"], *counts])


def _count_text(counts: dict) -> str:
    """Each class's count, or for more than MAX_LISTED classes (an ImageNet head's 1000
    filled the dock) how many there are and the least and most samples of one."""
    if len(counts) <= MAX_LISTED:
        return ", ".join(f"{k}×{v}" for k, v in counts.items())
    return (f"{len(counts)} classes, {min(counts.values())} to {max(counts.values())} "
            "each")


