"""Code generation speed, and how light the `validate` and `codegen` commands are.

Run: python benchmarks/bench_codegen.py

Prints the time to generate code for a 500-node graph (target: under 100 ms) as a
ratio to the target, and the start-up time of `kerascanvas validate` and
`kerascanvas codegen` against a bare interpreter, checking that neither command
imports keras or torch.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kerascanvas.codegen import generate
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.projectfile import save
from kerascanvas.graph.validate import analyze

TARGET_S = 0.100
EXAMPLE = Path(__file__).resolve().parents[1] / "resources" / "examples" / "mnist_mlp.json"


def big_document(n_nodes: int = 500) -> Document:
    """An MLP with a residual Add every third layer: Dense, Dense, Add, ..."""
    doc = Document()
    x = doc.add_node("Input", "features", {"shape": [64]}).id
    previous = x
    while len(doc.nodes) < n_nodes - 2:
        a = doc.add_node("Dense", None, {"units": 64, "activation": "relu"}).id
        doc.connect(Edge(previous, 0, a, 0))
        b = doc.add_node("Dense", None, {"units": 64}).id
        doc.connect(Edge(a, 0, b, 0))
        s = doc.add_node("Add", None, {}).id
        doc.connect(Edge(b, 0, s, 0))
        doc.connect(Edge(previous, 0, s, 1))
        previous = s
    out = doc.add_node("Dense", "logits", {"units": 10, "activation": "softmax"}).id
    doc.connect(Edge(previous, 0, out, 0))
    doc.outputs = [out]
    return doc


def median_time(func, repeat: int = 15) -> float:
    func()  # warm caches (the block trace cache, imports)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_generate() -> None:
    doc = big_document()
    analysis = analyze(doc)
    total = median_time(lambda: generate(doc))
    text_only = median_time(lambda: generate(doc, analysis=analysis))
    script = median_time(lambda: generate(doc, script=True))
    print(f"500-node graph ({len(doc.nodes)} nodes, {len(doc.edges)} edges):")
    print(f"  generate (analysis included): {total * 1e3:7.1f} ms  "
          f"= {total / TARGET_S:.2f} x the 100 ms target")
    print(f"  generate (analysis given):    {text_only * 1e3:7.1f} ms  "
          f"= {text_only / TARGET_S:.2f} x target")
    print(f"  generate script=True:         {script * 1e3:7.1f} ms  "
          f"= {script / TARGET_S:.2f} x target")


_PROBE = ("import sys, time; t = time.perf_counter(); from kerascanvas.app.cli import main; "
          "rc = main({argv!r}); "
          "heavy = [m for m in ('keras', 'torch', 'PySide6') if m in sys.modules]; "
          "print(rc, time.perf_counter() - t, heavy, file=sys.stderr)")


def _wall(argv: list[str], repeat: int = 5) -> tuple[float, float, list]:
    walls, inner, heavy = [], [], []
    for _ in range(repeat):
        start = time.perf_counter()
        result = subprocess.run([sys.executable, "-c", _PROBE.format(argv=argv)],
                                capture_output=True, text=True, timeout=120)
        walls.append(time.perf_counter() - start)
        rc, seconds, modules = result.stderr.strip().splitlines()[-1].split(" ", 2)
        inner.append(float(seconds))
        heavy = modules
    return statistics.median(walls), statistics.median(inner), heavy


def bench_commands() -> None:
    start_bare = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        start_bare.append(time.perf_counter() - start)
    bare = statistics.median(start_bare)
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "big.json"
        save(big_document(), big)
        cases = {"validate (example)": ["validate", str(EXAMPLE)],
                 "codegen (example)": ["codegen", str(EXAMPLE), "-o", str(Path(tmp) / "a.py")],
                 "codegen --script (500 nodes)": ["codegen", str(big), "--script", "-o",
                                                  str(Path(tmp) / "b.py")]}
        print(f"command start-up (bare python: {bare * 1e3:.0f} ms wall):")
        for label, argv in cases.items():
            wall, inner, heavy = _wall(argv)
            verdict = "imports neither keras nor torch" if heavy == "[]" else f"IMPORTS {heavy}"
            print(f"  {label:30s} wall {wall * 1e3:6.0f} ms = {wall / bare:4.1f} x bare python; "
                  f"import+run {inner * 1e3:5.0f} ms; {verdict}")


if __name__ == "__main__":
    bench_generate()
    bench_commands()
