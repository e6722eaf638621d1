"""Are shape labels printed on each other? Counts, for projects imported from
`keras.applications` (no weights), the pairs of shown wire labels whose boxes meet, and the
labels hidden (no room off the nodes, or a repeat of a shape its output already shows): as
opened (the import's layout, made without drawn sizes) and after Auto Layout (Ctrl+L, at
the sizes drawn), offscreen in a 1600x1000 window once the labels settle.

    python benchmarks/bench_label_overlaps.py                      # the four models below
    python benchmarks/bench_label_overlaps.py --models DenseNet121 VGG16
    python benchmarks/bench_label_overlaps.py --project FILE       # a project file
    python benchmarks/bench_label_overlaps.py --against main~1     # REV's canvas as well
    python benchmarks/bench_label_overlaps.py --size 1600x560      # a wide window

With `--against REV` each project is measured in a fresh process on REV's code too (its
packages from a `git archive` of REV, `bench_edit_large.tree_of`).

Figures (2026-12-01, offscreen, 1600x1000; labels on each other (pairs) / hidden, as opened
and after Ctrl+L):

    d33fb9c:   ResNet50 0/0 and 0/1, MobileNetV2 0/0 and 6/1, DenseNet121 0/0 and 38/14
    a3b9eda:   ResNet50 0/0 and 0/1, MobileNetV2 0/0 and 2/5, DenseNet121 0/0 and 4/38,
               VGG16 0/0 and 0/0; attention_states 0/1 and 0/1 (its short sideways wire)
    a541f14:   the same, but attention_states 0/0 and 0/0

At d88846b, of the labels hidden after Ctrl+L, all but one repeat a shape shown beside
them on another wire of the same tensor (`label_repeats`); MobileNetV2's block_9_depthwise
into its BN (a 22-long wire, the arrows of the wires up the column gaps on both sides of
it) had no room.

With room for the labels beside each column (a label right of a column's wire ran into the
arrows of the wires climbing the gap to the next column), after Ctrl+L; cells: pairs /
hidden / view scale, before (d88846b) -> this tree (2026-12-01, offscreen):

    1600x1000  ResNet50 0/1/0.40 -> 0/1/0.38, MobileNetV2 2/5/0.47 -> 0/0/0.45,
               DenseNet121 4/38/0.31 -> 0/26/0.29, VGG16 0/0/0.99 -> 0/0/0.99
    1600x560   ResNet50 0/10/0.28 -> 0/4/0.28, MobileNetV2 1/9/0.30 -> 0/0/0.30,
               DenseNet121 5/38/0.19 -> 0/24/0.19, VGG16 1/1/0.74 -> 0/0/0.74
    1024x700   ResNet50 0/0/0.19 -> 0/1/0.18, MobileNetV2 1/8/0.25 -> 0/0/0.22,
               DenseNet121 6/36/0.16 -> 0/29/0.15, VGG16 0/0/0.58 -> 0/0/0.60

Every label still hidden shows its shape on another wire of the same tensor (a ResNet
block's output into its Add beside the one into the next block; a DenseNet concat's into
the next concat beside the one into the next layer); none lies on another. The scale is
the view's once fitted (the cost of the room: at most 0.03).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("KERASCANVAS_DATA_DIR", tempfile.mkdtemp())

MODELS = ("ResNet50", "MobileNetV2", "DenseNet121", "VGG16")


def imported(name: str, folder: str) -> str:
    """`keras.applications.<name>(weights=None)` imported into a project file, as File >
    Import does; its path."""
    from kerascanvas.graph.projectfile import save
    from kerascanvas.runtime.importer import import_model
    from kerascanvas.runtime.keras_env import import_keras

    path = os.path.join(folder, f"{name}.json")
    save(import_model(getattr(import_keras().applications, name)(weights=None)), path)
    return path


def count(window) -> dict:
    """Pairs of shown labels that meet, labels hidden, all labels, and up to five pairs."""
    from kerascanvas.app.canvas.labels import shown

    pipes = [p for p in window.canvas.viewer.pipe_items() if p.label.text()]
    drawn = [p for p in pipes if shown(p)]
    rects = [p.label.sceneBoundingRect() for p in drawn]
    pairs = [(drawn[i], drawn[j]) for i in range(len(drawn)) for j in range(i + 1, len(drawn))
             if rects[i].intersects(rects[j])]
    named = [f"{wire_name(a)} | {wire_name(b)}" for a, b in pairs[:5]]
    hidden = [wire_name(p) for p in pipes if not shown(p)]
    return {"pairs": len(pairs), "hidden": len(hidden), "labels": len(pipes),
            "named": named, "hidden_named": hidden[:8],
            "scale": round(window.canvas.viewer.transform().m11(), 3)}


def wire_name(pipe) -> str:
    return f"{pipe.output_port.node.name}->{pipe.input_port.node.name}"


def settle(app) -> None:
    from kerascanvas.app.canvas.labels import LabelQueue

    for _ in range(3):
        LabelQueue.flush()
        app.processEvents()


def measure(path: str, size: tuple[int, int] = (1600, 1000)) -> dict:
    from kerascanvas.app.window.launch import make_app
    from kerascanvas.app.window.main import MainWindow

    app = make_app()
    window = MainWindow(path, recover=False)
    window.resize(*size)
    window.show()
    app.processEvents()
    window.canvas.renderer.render()
    settle(app)
    result = {"opened": count(window)}
    window.auto_layout()
    app.processEvents()
    window.canvas.renderer.render()
    settle(app)
    result["layout"] = count(window)
    window.stack.set_clean()
    window.close()
    return result


def child(path: str, import_path: str | None = None, size: str = "1600x1000") -> dict:
    """`measure(path)` in a fresh process (on the code at `import_path`, if given)."""
    env = dict(os.environ, **({"PYTHONPATH": import_path} if import_path else {}))
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", path,
                          "--size", size],
                         env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def report(paths: list[str], against: str | None, size: str = "1600x1000") -> None:
    sides = {"this tree": None}
    if against:
        from bench_edit_large import tree_of

        sides = {against: tree_of(against), "this tree": None}
    print("cells: label pairs on each other / labels hidden / labels / view scale, as opened"
          " | after Ctrl+L")
    for path in paths:
        for side, import_path in sides.items():
            got = child(path, import_path, size)
            cells = " | ".join(f"{got[k]['pairs']}/{got[k]['hidden']}/{got[k]['labels']}"
                               f"/{got[k]['scale']:.2f}"
                               for k in ("opened", "layout"))
            print(f"{os.path.basename(path):<28}{side:<12}{cells}", flush=True)
            for pair in got["layout"]["named"]:
                print(f"    on each other: {pair}")
            for wire in got["layout"]["hidden_named"]:
                print(f"    hidden: {wire}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="*", default=list(MODELS),
                        help="keras.applications models to import (default: %(default)s)")
    parser.add_argument("--project", metavar="FILE", nargs="*", help="measure these files")
    parser.add_argument("--against", metavar="REV", help="measure revision REV too")
    parser.add_argument("--size", default="1600x1000",
                        help="the window's size, WIDTHxHEIGHT (default: %(default)s)")
    parser.add_argument("--child", metavar="FILE", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        width, height = (int(n) for n in args.size.split("x"))
        print(json.dumps(measure(args.child, (width, height))), flush=True)
        return
    folder = tempfile.mkdtemp()
    paths = args.project or [imported(name, folder) for name in args.models]
    report(paths, args.against, args.size)


if __name__ == "__main__":
    main()
