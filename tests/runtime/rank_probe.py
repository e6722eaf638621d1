"""Started by torchrun in the distributed tests: train a project on this rank with the
engine (`runtime.train.train`) and save this rank's weights and final metrics.

    torchrun --standalone --nproc-per-node 2 tests/runtime/rank_probe.py PROJECT OUT
"""

import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np  # noqa: E402

from kerascanvas.graph.project import Project  # noqa: E402
from kerascanvas.runtime import distributed  # noqa: E402
from kerascanvas.runtime.train import load_checked_data, prepare, train  # noqa: E402


def main(project: str, out: str) -> None:
    doc, settings = prepare(Project.open(project).doc)
    result = train(doc, load_checked_data(doc, settings), threads=1)
    rank = distributed.rank()
    np.savez(os.path.join(out, f"rank{rank}.npz"), *result.model.get_weights())
    with open(os.path.join(out, f"rank{rank}.json"), "w", encoding="utf-8") as handle:
        json.dump({"status": result.status, "metrics": result.metrics,
                   "history": result.history}, handle)
    distributed.leave()


if __name__ == "__main__":
    main(*sys.argv[1:3])
