"""More data sources: CSV tables and folders of images, named by a spec string.

Specs (the same one-string form as `runtime.data`, so `training.data` holds either):

    "csv:PATH"                                 every column but the last is a feature,
                                               the last is the target
    "csv:PATH?features=a,b,c&target=y"         named columns (a header row is required)
    "images:PATH"                              one subfolder per class; files are read
                                               with Pillow when a batch is needed

CSV features must be numbers. A target that is not all numbers is categorical:
its values become class ids in sorted order, and `TableDataset.class_names` keeps
the mapping. Images are resized to the single Input's (height, width) and
converted to its channels (1 grey, 3 RGB, 4 RGBA), as float32 in 0..255. The
validation split of an image folder is a split of its file list (shuffled with
the seed), so nothing is loaded up front and a folder larger than memory works.

The tables are read in `runtime.csv_source` (into columns by `runtime.csv_columns`), the
image folders in `runtime.image_folders`; their public names are importable here too.
"""

from __future__ import annotations

from kerascanvas.graph.document import Document
from kerascanvas.graph.validate import Analysis

from .csv_columns import CHUNK_ROWS  # noqa: F401 - public here too
from .csv_source import (  # noqa: F401 - public here too
    CsvTable,
    TableDataset,
    csv_data,
    csv_target,
    read_csv,
)
from .data import check_data, load_data
from .image_folders import (  # noqa: F401 - public here too
    IMAGE_SUFFIXES,
    MODES,
    FolderListing,
    ImageFolder,
    check_folder,
    check_image_input,
    check_images,
    empty_class_issues,
    image_folder,
    image_scale_issues,
    list_folder,
    list_images,
    load_image,
)


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


def check_source(doc: Document, data, analysis: Analysis | None = None,
                 part: str = "training") -> list:
    """The issues a run refuses `data` of `open_source` for, each naming its node: a
    Dataset's (`check_data`), an image folder's classes (`check_images`), or a listed
    folder's Input and classes (`check_folder`, which the data preview lists); and the
    warnings it never refuses for (an input far from unit scale, `runtime.input_scale`;
    class folders with no image, `empty_class_issues`)."""
    if isinstance(data, FolderListing):
        issues = check_folder(doc, data, analysis)
    elif isinstance(data, ImageFolder):
        issues = check_images(doc, data, analysis)
    else:
        return check_data(doc, data, analysis, part)
    # the images' scale once they fit; empty class folders in any case
    return (issues or image_scale_issues(doc, data)) + empty_class_issues(doc, data)


def __getattr__(name: str):
    if name == "ImageBatches":  # made on first use, in `runtime.image_folders`
        from . import image_folders

        return image_folders.ImageBatches
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
