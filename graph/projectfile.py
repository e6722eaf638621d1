"""Project file v2: JSON, UTF-8, sorted keys, written atomically.

The structure is checked with a JSON Schema (`graph.project_schema`), then the
references (ids, kinds, ports) by hand. Every refusal is a `ProjectFileError` naming the
field, e.g. `nodes[2].kind`. Nothing in a file is executed.

Version 2 added the `model` section (`graph.model_section`: the model's name and the
keys of dict inputs and outputs); a version 1 file reads as a model named 'model'
that takes and returns lists. The optional `weights` section (`graph.initial_weights`)
names the file the model's initial weights come from; without it they start fresh.

>>> doc = loads('{"format": "kerascanvas", "version": 1, "nodes": [], "edges": [], "outputs": []}')
>>> len(doc.nodes)
0
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
from pathlib import Path
from typing import Any

from . import atomicfile, limits
from .bulk import bulk
from .document import Document, Edge, name_problem, output_entry
from .errors import DocumentError, ProjectFileError
from .index import GraphIndex
from .initial_weights import anchored, relative_section
from .initial_weights import read_section as read_weights
from .initial_weights import section_json as weights_json
from .model_section import read_section, section_json
from .params import to_json
from .project_schema import FORMAT, VERSION, check_schema
from .spec import KIND_ALIASES, LAYER_SPECS
from .userblocks import bind


@bulk
def from_dict(data: Any) -> Document:
    """Build a document from parsed JSON; raise `ProjectFileError` naming the bad field."""
    check_schema(data)
    doc = Document()
    for i, raw in enumerate(data["nodes"]):
        kind = KIND_ALIASES.get(raw["kind"], raw["kind"])
        if kind not in LAYER_SPECS:
            raise ProjectFileError(f"{limits.node_label(raw)}: unknown layer kind "
                                   f"{raw['kind']!r}", field=f"nodes[{i}].kind")
        problem = name_problem(raw["name"])
        if problem:
            raise ProjectFileError(f"{limits.node_label(raw)}: {problem}",
                                   field=f"nodes[{i}].name")
        try:
            doc.add_node(kind, raw["name"], raw.get("params", {}), node_id=raw["id"])
        except DocumentError as exc:
            raise ProjectFileError(str(exc), field=f"nodes[{i}]") from None
    for i, raw in enumerate(data["edges"]):
        for end in ("src", "dst"):
            if raw[end] not in doc.nodes:
                raise ProjectFileError(f"no node with id {raw[end]!r}", field=f"edges[{i}].{end}")
        try:
            doc.connect(Edge(raw["src"], raw["src_port"], raw["dst"], raw["dst_port"]),
                        check_cycle=False)
        except DocumentError as exc:
            raise ProjectFileError(str(exc), field=f"edges[{i}]") from None
    _refuse_cycles(doc)
    doc.blocks = data.get("blocks", {})  # a block instance's output ports come from these
    outputs = [_output(doc, raw, i) for i, raw in enumerate(data["outputs"])]
    if len(set(outputs)) != len(outputs):
        raise ProjectFileError("a node's output is listed twice", field="outputs")
    doc.outputs = outputs
    doc.training = data.get("training", {})
    doc.ui = data.get("ui", {})
    doc.search = data.get("search", {})
    read_section(doc, data.get("model", {}))
    if "weights" in data:
        read_weights(doc, data["weights"])
    return doc


def _output(doc: Document, raw: str | dict, i: int) -> str:
    """The `Document.outputs` entry of `outputs[i]`: a node id, or {"node": id, "port": k}."""
    nid, port = (raw, 0) if isinstance(raw, str) else (raw["node"], raw["port"])
    field = f"outputs[{i}]" if isinstance(raw, str) else f"outputs[{i}].node"
    if nid not in doc.nodes:
        raise ProjectFileError(f"no node with id {nid!r}", field=field)
    count = _output_ports(doc, doc.node(nid))
    if count is not None and port >= count:
        node = doc.node(nid)
        raise ProjectFileError(f"{node.name!r} ({node.kind}) has {count} output port(s) (0 to "
                               f"{count - 1}); received port {port}", field=f"outputs[{i}].port")
    return output_entry(nid, port)


def _output_ports(doc: Document, node) -> int | None:
    """How many output ports the node has, or None where its params do not say yet (the
    analysis then reports the bad params, and an output port beyond the last)."""
    try:  # bound: a block instance's or a shared call's ports
        spec = bind(doc, node)
        return spec.outputs(spec.resolve(node.params))
    except Exception:  # any bad param: validation names it
        return None


def _output_json(doc: Document, entry: str) -> str | dict:
    nid, port = doc.output_ref(entry)
    return nid if port == 0 else {"node": nid, "port": port}


def _refuse_cycles(doc: Document) -> None:
    """One topological sort for the whole file instead of a reachability walk per edge.

    The message names the nodes on the cycle only, not those it feeds."""
    ordered = {n.id for n in doc.topological_order()}
    if len(ordered) == len(doc.nodes):
        return
    on_cycle = GraphIndex.of(doc).cycle_nodes(doc.nodes)
    index = next(i for i, e in enumerate(doc.edges) if e.src in on_cycle and e.dst in on_cycle)
    nodes = [n for n in doc.nodes.values() if n.id in on_cycle]
    names = ", ".join(repr(n.name) for n in nodes[:6]) + (", ..." if len(nodes) > 6 else "")
    raise ProjectFileError(f"the connections form a cycle through {names}",
                           field=f"edges[{index}]", nodes=tuple(n.id for n in nodes))


def to_dict(doc: Document) -> dict[str, Any]:
    data = {
        "format": FORMAT,
        "version": VERSION,
        "nodes": [{"id": n.id, "kind": n.kind, "name": n.name,
                   "params": {k: to_json(v) for k, v in n.params.items()}}
                  for n in doc.nodes.values()],
        "edges": [{"src": e.src, "src_port": e.src_port, "dst": e.dst, "dst_port": e.dst_port}
                  for e in doc.edges],
        "outputs": [_output_json(doc, entry) for entry in doc.outputs],
        "training": doc.training,
        "ui": doc.ui,
    }
    if doc.blocks:
        data["blocks"] = doc.blocks
    if doc.search:
        data["search"] = doc.search
    model = section_json(doc)
    if model:
        data["model"] = model
    weights = weights_json(doc)
    if weights:
        data["weights"] = weights
    return data


def dumps(doc: Document) -> str:
    """The file text: sorted keys, two-space indent, a final newline."""
    return _text(to_dict(doc))


def _text(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False,
                      allow_nan=False) + "\n"


@bulk
def loads(text: str | bytes) -> Document:
    if isinstance(text, str):  # a byte order mark, as Windows editors write one
        text = text.removeprefix("\ufeff")
    data = limits.parse_json(text)
    return from_dict(data)


def load(path: str | os.PathLike) -> Document:
    """Read a project file. Any failure is a `ProjectFileError` that names the file."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ProjectFileError(f"cannot read the file: {exc.strerror}", path=str(path)) from None
    try:
        text = raw.decode("utf-8-sig")  # with or without a byte order mark
        doc = loads(text)
        anchored(doc, Path(path).parent)  # held absolute: a copy written elsewhere finds it
        return doc
    except UnicodeDecodeError as exc:
        raise ProjectFileError(f"not UTF-8 text ({exc.reason} at byte {exc.start})",
                               path=str(path)) from None
    except ProjectFileError as exc:
        raise ProjectFileError(exc.reason, field=exc.field, path=str(path),
                               nodes=exc.nodes) from None


def save(doc: Document, path: str | os.PathLike, home: Path | None = None) -> None:
    """Write atomically: a temporary file in the same folder, then rename over the target.
    An absolute initial weights path is written relative to the project's folder.

    `home`: where the project lives when `path` is a copy elsewhere (a temporary file
    another process reads): the training settings' relative paths (data, test data,
    callback files) are written under it, so that they name the same files."""
    data = to_dict(doc)
    if home is not None and isinstance(data.get("training"), dict):
        from .training_paths import anchored_settings

        data["training"] = {**data["training"], **anchored_settings(data["training"], home)}
    if "weights" in data:
        data["weights"] = relative_section(data["weights"], Path(path).parent)
    write_text_atomic(path, _text(data))


def _target_mode(path: Path) -> int:
    """Keep an existing file's mode; a new file gets the usual 0o666 less the umask."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Replace `path` with UTF-8 `text` whole or not at all (`write_bytes_atomic`)."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Replace `path` with `data` whole or not at all (`graph.atomicfile`), keeping its
    mode; partial files that killed saves left beside it are removed."""
    path = Path(path)
    _remove_legacy_partials(path)
    atomicfile.write_bytes_atomic(path, data, _target_mode(path))


def _remove_legacy_partials(path: Path) -> None:
    """Earlier versions wrote `.NAME.XXXXXXXX.tmp`; nothing writes that name any more, so
    any such file is what a killed save left."""
    with contextlib.suppress(OSError):
        for entry in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
            with contextlib.suppress(OSError):
                entry.unlink()
