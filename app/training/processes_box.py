"""How many processes train a run: the spin box beside Start, and the GPUs it counts."""

from __future__ import annotations

import os
import sys

from PySide6 import QtWidgets

from ..panels.wheel import guard_wheel


class ProcessesBox(QtWidgets.QSpinBox):
    """How many processes train a run: 1, or data-parallel ranks (torch DDP, torchrun).

    On a machine with GPUs it counts GPUs, one process each (nccl); without, CPU
    processes (gloo), each with its share of the cores.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        gpus = gpu_count()
        self.gpus = gpus
        self.label = QtWidgets.QLabel("GPUs" if gpus else "processes")
        self.setRange(1, gpus or max(os.cpu_count() or 1, 1))
        self.setValue(1)
        guard_wheel(self)
        self.setToolTip(
            ("GPUs to train on, one process each (torch DDP with nccl). " if gpus else
             "Processes to train in (torch DDP with gloo on the CPU). ")
            + "batch_size stays the global batch: each process trains on its share of "
              "every batch. The curves show rank 0's events, with metrics over all ranks.")


def gpu_count() -> int:
    """NVIDIA GPUs this process may use: torch's count once torch is loaded, else the
    driver's list (so that the window does not load torch to draw a spin box)."""
    torch = sys.modules.get("torch")
    if torch is not None and _imported(torch):
        return int(torch.cuda.device_count()) if torch.cuda.is_available() else 0
    try:
        found = len(os.listdir("/proc/driver/nvidia/gpus"))
    except OSError:
        return 0
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        found = min(found, len([v for v in visible.split(",") if v.strip()]))
    return found


def _imported(module) -> bool:
    """Whether `module` has finished importing: a thread (a search starting) may be
    importing torch while the window asks, and a half-made module has no `cuda` yet."""
    spec = getattr(module, "__spec__", None)
    return not getattr(spec, "_initializing", False) and hasattr(module, "cuda")
