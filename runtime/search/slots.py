"""Where a study's trials run on this machine: one slot per parallel trial, a GPU each
when there are GPUs (and the device allows), else an equal share of the CPU threads."""

from __future__ import annotations

import os
import sys
from typing import Any


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def visible_gpus() -> list[str]:
    """The CUDA devices trials may use, without importing torch where it can be avoided."""
    listed = os.environ.get("CUDA_VISIBLE_DEVICES")
    if listed is not None:
        return [g.strip() for g in listed.split(",") if g.strip() and g.strip() != "-1"]
    if sys.platform.startswith("linux"):
        gpus = "/proc/driver/nvidia/gpus"
        return [str(i) for i in range(len(os.listdir(gpus)))] if os.path.isdir(gpus) else []
    import torch

    return [str(i) for i in range(torch.cuda.device_count())]


def plan_slots(jobs: int, device: str) -> list[dict[str, Any]]:
    """One slot per parallel trial: a GPU each when there are GPUs (and the device allows),
    else an equal share of this machine's CPU threads."""
    gpus = [] if device == "cpu" else visible_gpus()
    threads = max(1, available_cpus() // jobs)
    if gpus:
        return [{"env": {"CUDA_VISIBLE_DEVICES": gpus[i % len(gpus)]}, "threads": threads,
                 "device": "cuda", "where": f"GPU {gpus[i % len(gpus)]}"} for i in range(jobs)]
    return [{"env": {}, "threads": threads, "device": "cpu",
             "where": f"{threads} CPU thread{'s' * (threads > 1)}"} for _ in range(jobs)]
