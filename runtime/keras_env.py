"""Keras on torch: the backend switch and the choice of device.

Keras reads `KERAS_BACKEND` once, at its first import, and without it `import keras`
fails here (no TensorFlow). Every runtime module that needs keras calls
`import_keras()` instead of importing it at module level, so the backend is set
in time whatever imported us first.

>>> choose_device("cpu")
'cpu'
"""

from __future__ import annotations

import contextlib
import os
import re
import sys

DEVICES = ("auto", "cpu", "cuda")
_STYLING = re.compile(r"\x1b\[[0-9;]*m")


def plain_text(text: str) -> str:
    """`text` without the terminal styling Keras puts in its messages (bold names).

    >>> plain_text("Layer \x1b[1mdense\x1b[0m refused")
    'Layer dense refused'
    """
    return _STYLING.sub("", text)


def ensure_backend() -> None:
    """Select the torch backend unless the user chose one before keras was imported."""
    os.environ.setdefault("KERAS_BACKEND", "torch")


def import_keras():
    """Import keras with the torch backend and return the module.

    Raises:
        RuntimeError: keras was already imported with another backend.
    """
    ensure_backend()
    import keras

    backend = keras.backend.backend()
    if backend != "torch":
        raise RuntimeError(
            f"Keras Canvas trains with the torch backend, but keras was imported with "
            f"backend {backend!r}. Set KERAS_BACKEND=torch before starting.")
    _share_registry(keras)
    return keras


def _share_registry(keras) -> None:
    """Let validation find custom classes this process registered with Keras."""
    from kerascanvas.graph import keras_classes

    if keras_classes.registry_lookup is None:
        keras_classes.registry_lookup = (
            lambda name: keras.saving.get_registered_object(name) is not None)


def cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def choose_device(device: str = "auto") -> str:
    """Resolve `auto|cpu|cuda` to the torch device to use ("cpu" or "cuda").

    Raises:
        ValueError: an unknown name, or "cuda" on a machine without a usable GPU.
    """
    if device not in DEVICES:
        raise ValueError(f"Expected a device among {', '.join(DEVICES)}. Received: {device!r}")
    if device == "cpu":
        return "cpu"
    has_cuda = cuda_available()
    if device == "cuda" and not has_cuda:
        raise ValueError("Device 'cuda' was asked for, but torch sees no CUDA GPU here")
    return "cuda" if has_cuda else "cpu"


def device_scope(device: str = "auto"):
    """A context manager that places the model and the batches on `device`.

    Before keras is imported this also sets `KERAS_TORCH_DEVICE`, so variables that
    Keras creates outside the scope (optimizer slots, metrics) land there too.
    """
    name = choose_device(device)
    if "keras" not in sys.modules:
        os.environ["KERAS_TORCH_DEVICE"] = name
    keras = import_keras()
    if name == "cpu" and not cuda_available():
        return contextlib.nullcontext()
    return keras.device(name)


def set_threads(threads: int | None) -> None:
    """Limit torch's CPU threads (None leaves torch's default).

    On a busy or small machine, one thread trains small models many times faster
    than several threads that spin waiting on each other (the digits example on a
    loaded 2-core machine: about 10x).
    """
    if threads is None:
        return
    if threads < 1:
        raise ValueError(f"Expected a positive thread count. Received: threads={threads}")
    import torch

    torch.set_num_threads(int(threads))
