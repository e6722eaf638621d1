"""How long from the start of a run to its first batch, on a large graph, and how many
times the run analyses the graph on the way.

The run is the worker's (`runtime.worker.train_document`, as the app's training process
runs it): the project is opened, prepared, its data made and checked, the model built
and compiled, and the first batch trained. The graph is a chain of Dense(8) layers
(2,000 nodes by default). Printed per repeat: seconds to the first batch, full-graph
analyses counted (`graph.inference.infer_graph` over the whole document) and the
seconds one analysis takes; then the medians.

To compare two builds, run this file under each of them in turn, interleaved, e.g.
    for i in 1 2 3; do PYTHONPATH=old python benchmarks/bench_run_start.py --repeats 1;
                       PYTHONPATH=new python benchmarks/bench_run_start.py --repeats 1; done

Run: python benchmarks/bench_run_start.py [--nodes 2000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from bench_large_graph import chain_text  # the same generated graph


def chain_project(n: int) -> dict:
    """A project dict: bench_large_graph's chain of Dense(8) layers, with training settings."""
    project = json.loads(chain_text(n))
    out = project["nodes"][-1]["name"]
    project["training"] = {"data": "synthetic:64", "epochs": 1, "batch_size": 32, "seed": 0,
                           "loss": {out: "mse"}, "metrics": {out: []}}
    return project


class Counted:
    """Wraps a function, counting its calls."""

    def __init__(self, function):
        self.function, self.calls = function, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.function(*args, **kwargs)


def one_run(project: dict) -> tuple[float, int]:
    """(seconds from the start of the run to its first batch, full analyses counted)."""
    from kerascanvas.graph import inference
    from kerascanvas.runtime.worker import train_document

    infer = Counted(inference.infer_graph)
    inference.infer_graph = infer
    first: list[float] = []

    def sink(event) -> None:
        if getattr(event, "kind", "") == "batch_end" and not first:
            first.append(time.perf_counter())

    try:
        start = time.perf_counter()
        result = train_document({"document": project}, sink)
    finally:
        inference.infer_graph = infer.function
    if result.status != "finished" or not first:
        raise SystemExit(f"the run did not train: {result.status} {result.message}")
    return first[0] - start, infer.calls


def analysis_seconds(project: dict) -> float:
    from kerascanvas.graph.projectfile import from_dict
    from kerascanvas.graph.validate import analyze

    doc = from_dict(project)
    start = time.perf_counter()
    analyze(doc)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import torch

    from kerascanvas.runtime.keras_env import import_keras

    import_keras()
    torch.set_num_threads(1)
    project = chain_project(args.nodes)
    starts, counts, each = [], [], []
    for i in range(args.repeats):
        seconds, calls = one_run(project)
        starts.append(seconds)
        counts.append(calls)
        each.append(analysis_seconds(project))
        print(f"run {i + 1}: first batch after {seconds:.2f} s, {calls} analyses of "
              f"{each[-1] * 1000:.0f} ms each", flush=True)
    print(f"{args.nodes} nodes: median {statistics.median(starts):.2f} s to the first batch, "
          f"{statistics.median(counts):.0f} analyses, one analysis "
          f"{statistics.median(each) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
