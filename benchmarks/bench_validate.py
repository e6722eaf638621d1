"""How fast is validation? A 500-node residual chain, analyzed in full and incrementally.

Prints the time of a full `analyze`, the time Keras takes to build the same model
symbolically (keras.Input, layer calls, keras.Model), their ratio (target: at
least 20x faster), and the time of one parameter edit in the middle re-validated
by `LiveAnalysis` (target: at most 16 ms).

Run: KERAS_BACKEND=torch python benchmarks/bench_validate.py [--nodes 500]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("KERAS_BACKEND", "torch")

from kerascanvas.graph.document import Document, Edge  # noqa: E402
from kerascanvas.graph.validate import LiveAnalysis, analyze  # noqa: E402

CONV = {"filters": 16, "kernel_size": 3, "padding": "same", "use_bias": False}
UNIT = 7  # nodes per residual unit


def residual_doc(nodes: int) -> Document:
    """Input -> units of (conv, bn, relu, conv, bn, add, relu) -> pool -> dense."""
    doc = Document()
    last = doc.add_node("Input", "image", {"shape": [16, 16, 16]}).id
    for i in range((nodes - 3) // UNIT):
        skip = last
        for kind, params in (("Conv2D", CONV), ("BatchNormalization", {}), ("ReLU", {}),
                             ("Conv2D", CONV), ("BatchNormalization", {})):
            last = _chain(doc, kind, f"u{i}_{kind.lower()}", params, last)
        add = doc.add_node("Add", f"u{i}_add").id
        doc.connect(Edge(last, 0, add, 0))
        doc.connect(Edge(skip, 0, add, 1))
        last = _chain(doc, "ReLU", f"u{i}_out", {}, add)
    last = _chain(doc, "GlobalAveragePooling2D", "pool", {}, last)
    doc.set_outputs([_chain(doc, "Dense", "logits", {"units": 10}, last)])
    return doc


def _chain(doc: Document, kind: str, name: str, params: dict, src: str) -> str:
    node = doc.add_node(kind, doc.unique_name(name), dict(params))
    doc.connect(Edge(src, 0, node.id, 0))
    return node.id


def keras_build(doc: Document):
    """The same model written directly with keras.layers, symbolically."""
    import keras

    tensors = {}
    for node in doc.topological_order():
        args = [tensors[e.src] for e in doc.in_edges(node.id)]
        if node.kind == "Input":
            tensors[node.id] = keras.Input(tuple(node.params["shape"]), name=node.name)
            continue
        layer = getattr(keras.layers, node.kind)(name=node.name, **node.params)
        tensors[node.id] = layer(args) if node.kind == "Add" else layer(*args)
    inputs = [tensors[n.id] for n in doc.nodes.values() if n.kind == "Input"]
    return keras.Model(inputs, [tensors[o] for o in doc.outputs])


def timed(fn, repeat: int) -> float:
    """Median wall time of `fn()` in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def incremental(doc: Document, node_id: str, param: str, values: list) -> tuple[float, int]:
    """Median time of one edit plus reading the live analysis, and nodes re-inferred."""
    live = LiveAnalysis(doc)
    _ = live.analysis
    times, counts = [], []
    for value in values:
        start = time.perf_counter()
        doc.set_param(node_id, param, value)
        _ = live.analysis
        times.append(time.perf_counter() - start)
        counts.append(len(live.recomputed))
    live.close()
    return statistics.median(times), max(counts)


def compare_with_keras(doc: Document, result, full: float, repeat: int) -> None:
    import keras  # noqa: F401  (import time is not part of the comparison)

    model = keras_build(doc)
    assert model.count_params() == sum(result.total_params), "counts differ from Keras"
    build = timed(lambda: keras_build(doc), max(1, repeat // 2))
    print(f"keras symbolic build:{build * 1e3:8.1f} ms")
    print(f"ratio keras/analyze: {build / full:8.1f}x   (target >= 20x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-keras", action="store_true",
                        help="time the analysis only (where keras is not installed)")
    args = parser.parse_args()
    doc = residual_doc(args.nodes)
    print(f"graph: {len(doc.nodes)} nodes, {len(doc.edges)} edges")
    result = analyze(doc)
    assert result.valid, result.errors[:3]
    full = timed(lambda: analyze(doc), args.repeat)
    print(f"full analyze:        {full * 1e3:8.1f} ms")
    if not args.skip_keras:
        compare_with_keras(doc, result, full, args.repeat)
    convs = [n.id for n in doc.nodes.values() if n.kind == "Conv2D"]
    first, second = convs[len(convs) // 2 // 2 * 2], convs[len(convs) // 2 // 2 * 2 + 1]
    cases = [
        ("filters of a middle unit's first Conv2D", first, "filters", [24, 16] * 5),
        ("kernel_size of a middle Conv2D", first, "kernel_size", [5, 3] * 5),
        ("filters breaking the Add after it", second, "filters", [24, 16] * 5),
        ("Input shape (all nodes re-inferred)", next(iter(doc.nodes)), "shape",
         [[18, 18, 16], [16, 16, 16]] * 3),
    ]
    for label, node_id, param, values in cases:
        seconds, count = incremental(doc, node_id, param, values)
        print(f"edit {label:38s} {seconds * 1e3:6.2f} ms  ({count} node(s) re-inferred; "
              "target <= 16 ms)")


if __name__ == "__main__":
    main()
