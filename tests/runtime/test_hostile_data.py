"""Hostile training data is refused from its header, with a message that quotes no content.

Each case is a file that used to end in a traceback (or in a torch error after the
model was built): strings, empty and truncated archives, a header declaring more
than the machine holds, binary or non-tabular CSV, too many synthetic samples.
"""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

from kerascanvas.runtime.data import DataError
from kerascanvas.runtime.sources import open_source
from tests.runtime.test_cli_validate import mnist_doc

SECRET = "root:x:0:0:root:/root:/bin/bash"


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _huge_header() -> bytes:
    """A valid .npy header declaring float64 data of shape (10**7, 10**7): 728 TiB."""
    header = {"descr": "<f8", "fortran_order": False, "shape": (10**7, 10**7)}
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue()


def _write_npz(path, members: dict[str, bytes]) -> str:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(f"{name}.npy", data)
    return str(path)


def _cases(tmp_path):
    good = _npy_bytes(np.zeros((4, 28, 28, 1), "float32"))
    labels = _npy_bytes(np.zeros(4, "int64"))
    strings = _write_npz(tmp_path / "strings.npz", {"x": _npy_bytes(np.array(["a", "b"])),
                                                     "y": labels})
    empty_npz = _write_npz(tmp_path / "empty.npz", {})
    (tmp_path / "empty.npy").write_bytes(b"")
    truncated = tmp_path / "truncated.npz"
    _write_npz(truncated, {"x": good, "y": labels})
    truncated.write_bytes(truncated.read_bytes()[:300])
    (tmp_path / "huge.npy").write_bytes(_huge_header())
    (tmp_path / "short.npy").write_bytes(good[:200])
    (tmp_path / "zero.npy").write_bytes(_npy_bytes(np.zeros((0, 28, 28, 1), "float32")))
    (tmp_path / "binary.csv").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "passwd").write_text(f"{SECRET}\ndaemon:x:1:1::/usr/sbin:/bin/sh\n")
    (tmp_path / "y.npy").write_bytes(labels)
    return {
        "string npz": (strings, "dtype"),
        "empty npz": (empty_npz, "holds no arrays"),
        "empty npy": (f"{tmp_path}/empty.npy,{tmp_path}/y.npy", "not a readable .npy"),
        "truncated npz": (str(truncated), "not a readable .npz"),
        "huge npy header": (f"{tmp_path}/huge.npy,{tmp_path}/y.npy", "727.6 TiB"),
        "truncated npy": (f"{tmp_path}/short.npy,{tmp_path}/y.npy", "truncated"),
        "zero samples": (f"{tmp_path}/zero.npy,{tmp_path}/y.npy", "no samples"),
        "binary csv": (f"csv:{tmp_path}/binary.csv", "binary data"),
        "no numeric columns": (f"csv:{tmp_path}/passwd", "feature column"),
        "no such column": (f"csv:{tmp_path}/passwd?features=a", "no column 'a'"),
        "huge synthetic": ("synthetic:1000000000000", "at most"),
        "odd digits": ("synthetic:²", "positive sample count"),
    }


CASES = ["string npz", "empty npz", "empty npy", "truncated npz", "huge npy header",
         "truncated npy", "zero samples", "binary csv", "no numeric columns", "no such column",
         "huge synthetic", "odd digits"]


@pytest.mark.parametrize("case", CASES)
def test_hostile_data_is_refused_without_echoing_it(tmp_path, case):
    spec, expected = _cases(tmp_path)[case]
    with pytest.raises(DataError) as caught:
        open_source(spec, mnist_doc())
    message = str(caught.value)
    assert expected in message
    assert SECRET not in message and "root:" not in message


def test_a_uint64_array_is_refused_naming_file_array_and_dtype(tmp_path):
    """Keras' torch backend holds no uint64 ("Unsupported dtype for PyTorch: uint64"); a
    uint64 label array ended in an internal error (OverflowError counting its classes)."""
    path = _write_npz(tmp_path / "u64.npz", {"x": _npy_bytes(np.zeros((4, 28, 28, 1), "f4")),
                                              "y": _npy_bytes(np.arange(4, dtype="uint64"))})
    with pytest.raises(DataError) as caught:
        open_source(path, mnist_doc())
    message = str(caught.value)
    assert f"{path}, array 'y'" in message and "'<u8'" in message and "int64" in message


def test_a_complex_array_is_refused_naming_file_array_and_dtype(tmp_path):
    """torch casts complex inputs to float and drops the imaginary part with only a
    warning: a run trained on the real parts alone."""
    path = _write_npz(tmp_path / "c.npz", {"x": _npy_bytes(np.zeros((4, 28, 28, 1), "c16")),
                                            "y": _npy_bytes(np.zeros(4, "int64"))})
    with pytest.raises(DataError) as caught:
        open_source(path, mnist_doc())
    message = str(caught.value)
    assert f"{path}, array 'x'" in message and "'<c16'" in message
    assert "imaginary" in message


def test_a_missing_array_named_like_its_input_is_named_once(tmp_path):
    """The message offered "an array named 'x' or 'x'" for an Input called x."""
    doc = mnist_doc()
    doc.rename(doc.find("image").id, "x")
    path = _write_npz(tmp_path / "n.npz", {"inputs": _npy_bytes(np.zeros((4, 28, 28, 1)))})
    with pytest.raises(DataError) as caught:
        open_source(path, doc)
    assert "expected an array named 'x'. Arrays in the file: inputs" in str(caught.value)


@pytest.mark.parametrize("given, hint", [
    ("{folder}", "(a folder; an image folder, one subfolder per class, is given as "
                 "images:{folder})"),
    ("{folder}/table.csv", "(a CSV file is given as csv:{folder}/table.csv, or "
                           "csv:{folder}/table.csv?features=a,b&target=y)"),
])
def test_a_folder_or_a_bare_csv_given_as_data_says_how_to_give_it(tmp_path, given, hint):
    """Both were answered with the list of spec forms alone."""
    (tmp_path / "table.csv").write_text("a,y\n1,0\n")
    spec = given.format(folder=tmp_path)
    with pytest.raises(DataError) as caught:
        open_source(spec, mnist_doc())
    assert f"Received: {spec!r} {hint.format(folder=tmp_path)}" in str(caught.value)
