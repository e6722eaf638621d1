"""Folders of images as training data: one subfolder per class, read when a batch is needed.

Images are resized to the single Input's (height, width) and converted to its channels
(1 grey, 3 RGB, 4 RGBA), as float32 in 0..255. The validation split of an image folder
is a split of its file list (shuffled with the seed), so nothing is loaded up front and a
folder larger than memory works. `runtime.sources` names a folder by "images:PATH".
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kerascanvas.graph.document import Document
from kerascanvas.graph.training import resolve_training
from kerascanvas.graph.validate import Analysis, Issue

from .data import DataError, label_form, loss_name, output_shapes  # first: before datacheck
from .datacheck import fixable_labels
from .dataset import single_pair
from .keras_env import import_keras

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"})
MODES = {1: "L", 3: "RGB", 4: "RGBA"}


@dataclass
class ImageFolder:
    """An image folder split into training and validation batches (keras PyDatasets)."""

    train: object
    validation: object | None
    class_names: list[str]
    input_name: str
    output_name: str
    source: str = ""
    notes: list[str] = field(default_factory=list)  # the data check's warnings
    empty: list[str] = field(default_factory=list)  # class subfolders holding no image

    @property
    def num_samples(self) -> int:
        return len(self.train.files)

    @property
    def num_classes(self) -> dict[str, int]:
        return {self.output_name: len(self.class_names)}


@dataclass
class FolderListing:
    """An image folder as listed, before any image is read: its files, their class ids,
    its class names (one per subfolder, sorted) and its spec ("images:PATH")."""

    files: list[Path]
    labels: np.ndarray
    class_names: list[str]
    source: str
    empty: list[str] = field(default_factory=list)  # class subfolders holding no image


def list_folder(root: str) -> FolderListing:
    """The files of a class-per-subfolder image folder, as a run lists them.

    The classes are the subfolders in sorted order, a hidden one (".ipynb_checkpoints")
    left out as Keras' `image_dataset_from_directory` leaves it out; a subfolder with no
    image still counts as a class (as there too), and `empty` names it."""
    base = Path(root)
    if not base.is_dir():
        raise DataError(f"images:{root}: expected a folder with one subfolder per class")
    classes = sorted(p.name for p in base.iterdir() if p.is_dir() and not p.name.startswith("."))
    files, labels, empty = [], [], []
    for i, name in enumerate(classes):
        found = sorted(p for p in (base / name).rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
        files += found
        labels += [i] * len(found)
        if not found:
            empty.append(name)
    if not files:
        raise DataError(f"images:{root}: found no image files "
                        f"({', '.join(sorted(IMAGE_SUFFIXES))}) in class subfolders "
                        f"(subfolders: {', '.join(classes) or 'none'})")
    return FolderListing(files, np.array(labels, dtype="int64"), classes, f"images:{root}",
                         empty)


def list_images(root: str) -> tuple[list[Path], np.ndarray, list[str]]:
    """(files, class ids, class names): one class per subfolder, in sorted order."""
    listing = list_folder(root)
    return listing.files, listing.labels, listing.class_names


def image_folder(root: str, doc: Document, seed: int | None = None,
                 validation_split: float = 0.0, batch_size: int = 32,
                 analysis: Analysis | None = None) -> ImageFolder:
    """Batches of a class-per-subfolder image folder, sized for the model's Input.

    Raises:
        DataError: the folder has no images, files in it are no images
            (`refuse_unreadable`), or the Input cannot take them (its issue,
            `check_image_input`, names the Input node).
    """
    inp, out = single_pair(doc, f"images:{root}")
    listing = list_folder(root)
    problems = check_image_input(doc, listing)
    if problems:
        raise DataError(problems[0].message, problems)
    shape = tuple(inp.spec.resolve(inp.params)["shape"])
    files, labels, classes = listing.files, listing.labels, listing.class_names
    refuse_unreadable(root, files)
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
    return ImageFolder(parts[0], parts[1], classes, inp.name, out.name, listing.source,
                       empty=listing.empty)


def unreadable(files: list[Path]) -> list[tuple[Path, str]]:
    """The files whose header Pillow cannot read, each with Pillow's reason. Only the
    header is read (about 0.1 ms a file): a file cut short inside its pixels passes, and
    is named when a batch reads it."""
    from PIL import Image

    found = []
    for path in files:
        try:
            with Image.open(path):
                pass
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            found.append((path, str(exc).replace(f" {str(path)!r}", "").strip() or
                          type(exc).__name__))
    return found


def refuse_unreadable(root: str, files: list[Path]) -> None:
    """Refuse a folder holding files that are not images, before any training: found in
    a batch, one would end the run in its first epoch."""
    bad = unreadable(files)
    if not bad:
        return
    shown = "; ".join(f"{path.relative_to(root) if path.is_relative_to(root) else path} "
                      f"({why})" for path, why in bad[:5])
    more = f"; and {len(bad) - 5} more" if len(bad) > 5 else ""
    raise DataError(f"images:{root}: {len(bad)} of {len(files)} image file(s) cannot be read "
                    f"as images: {shown}{more}. Remove or replace them (nothing was trained)")


def check_image_input(doc: Document, listing: FolderListing) -> list[Issue]:
    """The issue of an Input that cannot take the folder's images: every image is resized
    to the Input's (height, width) and converted to its 1, 3 or 4 channels, so the Input
    needs a shape of three known dimensions. The message gives the first image's size; an
    Input of three dimensions gets the fix that keeps those it knows and takes the others
    from that image."""
    inp, _ = single_pair(doc, listing.source)
    shape = tuple(inp.spec.resolve(inp.params)["shape"])
    if len(shape) == 3 and None not in shape and shape[-1] in MODES:
        return []
    seen, size = _first_image(listing)
    fixes, data = (), {}
    if len(shape) == 3 and size is not None:
        height, width = (d if d is not None else s for d, s in zip(shape[:2], size, strict=False))
        channels = shape[-1] if shape[-1] in MODES else size[-1]
        fixes, data = ("set_input_to_images",), {"height": height, "width": width,
                                                 "channels": channels}
    return [Issue(inp.id, None, "error", f"{listing.source} needs an Input of shape "
                  f"(height, width, channels) with 1, 3 or 4 channels: each image is resized "
                  f"to that height and width. Input {inp.name!r} has shape {shape}; {seen}",
                  "data_shape", fixes, data)]


def _first_image(listing: FolderListing) -> tuple[str, tuple | None]:
    """("the first image, cats/1.png, is 32x24 RGB", (24, 32, 3)): its size and the
    channels it is read with, from its header alone; None where it cannot be read."""
    from PIL import Image

    path = listing.files[0]  # listed under the folder, as base / class / file
    name = path.relative_to(listing.source.partition(":")[2])
    try:
        with Image.open(path) as image:
            (width, height), mode = image.size, image.mode
    except OSError as exc:
        return f"the first image, {name}, cannot be read ({exc})", None
    channels = 1 if mode in ("1", "L", "I", "F", "I;16") else 4 if "A" in mode else 3
    return f"the first image, {name}, is {width}x{height} {mode}", (height, width, channels)


def check_images(doc: Document, folder, analysis: Analysis | None = None) -> list[Issue]:
    """Issues where the folder's classes do not fit the model's output and its loss.

    `folder`: an `ImageFolder` or a `FolderListing` (anything with `class_names` and
    `source`)."""
    _, out = single_pair(doc, folder.source)
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


def image_scale_issues(doc: Document, folder) -> list[Issue]:
    """The folder's images are read as 0..255: a warning where they reach a layer with
    weights at that scale (`runtime.input_scale`)."""
    from kerascanvas.graph.scale_fix import NORMALIZE_FIX, RESCALE_FIX, weighted_edges

    from .input_scale import scale_warning

    node, _ = single_pair(doc, folder.source)
    if not weighted_edges(doc, node.id):
        return []
    return [scale_warning(doc, node, "[0, 255]", f" of {folder.source}", True,
                          (RESCALE_FIX, NORMALIZE_FIX))]


def empty_class_issues(doc: Document, folder) -> list[Issue]:
    """A warning where class subfolders hold no image: each still counts as a class (its
    id and an output unit), but no sample teaches it, and every class after it is
    numbered one higher than the user may think. Pinned to the output the classes
    train."""
    if not folder.empty:
        return []
    _, out = single_pair(doc, folder.source)
    names = ", ".join(repr(name) for name in folder.empty)
    ids = ", ".join(str(folder.class_names.index(name)) for name in folder.empty)
    one = len(folder.empty) == 1
    said = (f"class subfolder {names} holds no image", "it still counts as a class",
            "id", "it") if one else (f"class subfolders {names} hold no image",
                                     "each still counts as a class", "ids", "them")
    return [Issue(out.id, None, "warning",
                  f"{folder.source}: {said[0]} ({', '.join(sorted(IMAGE_SUFFIXES))}); "
                  f"{said[1]} (class {said[2]} {ids} of {len(folder.class_names)}, for output "
                  f"{out.name!r}) that no sample teaches. Add images to {said[3]} or remove "
                  f"{said[3]}", "empty_class")]


def check_folder(doc: Document, listing: FolderListing,
                 analysis: Analysis | None = None) -> list[Issue]:
    """What a run refuses in a listed folder: an Input that cannot take its images, and
    classes that do not fit the output (`check_image_input`, `check_images`), both at
    once (a run opening the folder stops at the first)."""
    return check_image_input(doc, listing) + check_images(doc, listing, analysis)


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
