"""`kerascanvas export` of a document in another process, for the window and the results.

Keras never loads in the window's process, and the window stays responsive while the
other process builds (and for ONNX, traces and checks) the model.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6 import QtCore

from ..graph import projectfile
from ..graph.layers import custom


def start_export(parent: QtCore.QObject, doc, path: str, fmt: str,
                 on_done: Callable[[int, str], None], weights: str | None = None,
                 home: Path | None = None) -> QtCore.QProcess:
    """Start `kerascanvas export` of `doc` to `path` in `fmt` ("keras" or "onnx"), with
    `weights` (a .weights.h5, or a trained model's .keras) when given. Once it ends, its
    temporary project is removed and `on_done(exit code, its output)` is called.
    `home` is the saved project's folder: the copy's relative data paths name the files
    beside the project (the export reads the data to size a learning-rate schedule).

    The project's custom code runs there (`--trust-custom-code`) exactly when this window
    trusts all of it, as a run it starts does: the temporary project's path is in no
    trust store."""
    fd, project = tempfile.mkstemp(prefix="kerascanvas-export-", suffix=".json")
    os.close(fd)
    projectfile.save(doc, project, home=home)
    process = QtCore.QProcess(parent)
    process.setProcessChannelMode(QtCore.QProcess.MergedChannels)

    def finished(code: int, _status) -> None:
        os.unlink(project)
        on_done(code, bytes(process.readAll()).decode(errors="replace").strip())

    process.finished.connect(finished)
    extra = ["--weights", weights] if weights else []
    if window_trusts(doc):
        extra.append("--trust-custom-code")
    process.start(sys.executable, ["-m", "kerascanvas.app", "export", project,
                                   "--format", fmt, "-o", path, *extra])
    return process


def window_trusts(doc) -> bool:
    """Whether `doc` has custom code and the window trusts every piece of it."""
    return custom.has_code(doc) and custom.code_digests(doc) <= custom.context(doc).trusted
