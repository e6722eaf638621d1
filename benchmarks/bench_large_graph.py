"""How do loading, validation and the summary scale? Chains of 2,500 to 20,000 Dense nodes.

Prints the CPU seconds of each step per size and the ratio of the 20,000-node time
to 8 times the 2,500-node time: about 1 for linear work, about 8 for quadratic.
Target: a 20,000-node chain loads, validates and summarises in under 5 s in all.

Run: python benchmarks/bench_large_graph.py
"""

from __future__ import annotations

import json
import time

from kerascanvas.graph.projectfile import loads
from kerascanvas.graph.summary import format_summary
from kerascanvas.graph.validate import analyze

SIZES = (2500, 5000, 10000, 20000)


def chain_text(n: int) -> str:
    """A project file: Input(8) followed by n - 1 Dense(8) layers in one chain."""
    nodes = [{"id": "n0", "kind": "Input", "name": "x", "params": {"shape": [8]}}]
    edges = []
    for i in range(1, n):
        nodes.append({"id": f"n{i}", "kind": "Dense", "name": f"d{i}", "params": {"units": 8}})
        edges.append({"src": f"n{i - 1}", "src_port": 0, "dst": f"n{i}", "dst_port": 0})
    return json.dumps({"format": "kerascanvas", "version": 1, "nodes": nodes, "edges": edges,
                       "outputs": [f"n{n - 1}"]})


def measure(n: int) -> dict[str, float]:
    text = chain_text(n)
    clock = time.process_time
    start = clock()
    doc = loads(text)
    loaded = clock()
    analysis = analyze(doc)
    validated = clock()
    format_summary(doc, analysis)
    done = clock()
    assert analysis.valid
    return {"load": loaded - start, "validate": validated - loaded, "summary": done - validated}


def main() -> None:
    times = {}
    print(f"{'nodes':>7} {'load s':>8} {'validate s':>11} {'summary s':>10} {'total s':>8}")
    for n in SIZES:
        t = times[n] = measure(n)
        print(f"{n:>7} {t['load']:>8.2f} {t['validate']:>11.2f} {t['summary']:>10.2f} "
              f"{sum(t.values()):>8.2f}")
    small, large = sum(times[SIZES[0]].values()), sum(times[SIZES[-1]].values())
    print(f"ratio 20,000 / (8 x 2,500): {large / (8 * small):.2f} (1 = linear, 8 = quadratic)")
    print(f"20,000 nodes in {large:.2f} s: {'within' if large < 5 else 'OVER'} the 5 s target")


if __name__ == "__main__":
    main()
