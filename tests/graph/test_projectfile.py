"""Project files: byte-stable round trips, atomic saves, and a named field for every refusal."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest

from kerascanvas.graph import projectfile
from kerascanvas.graph.errors import ProjectFileError
from kerascanvas.graph.projectfile import dumps, load, loads, save, to_dict
from kerascanvas.graph.validate import analyze
from tests.graph.test_validate import make_doc

EXAMPLES = sorted((Path(__file__).parents[2] / "resources" / "examples").glob("*.json"))


def sample_doc():
    doc = make_doc([("x", "Input", {"shape": [28, 28, 1]}),
                    ("c", "Conv2D", {"filters": 4, "kernel_size": (3, 3), "padding": "same"}),
                    ("f", "Flatten", {}), ("out", "Dense", {"units": 10,
                                                            "activation": "softmax"})],
                   [("x", "c", 0), ("c", "f", 0), ("f", "out", 0)], ["out"],
                   {"loss": "sparse_categorical_crossentropy", "epochs": 3})
    doc.set_position("c", (120.5, -3))
    doc.ui["zoom"] = 0.8
    return doc


def minimal(**changes) -> dict:
    data = {"format": "kerascanvas", "version": 1,
            "nodes": [{"id": "n1", "kind": "Input", "name": "image", "params": {"shape": [4]}},
                      {"id": "n2", "kind": "Dense", "name": "out", "params": {"units": 2}}],
            "edges": [{"src": "n1", "src_port": 0, "dst": "n2", "dst_port": 0}],
            "outputs": ["n2"], "training": {}, "ui": {}}
    data.update(changes)
    return data


def test_minimal_file_loads_and_is_valid():
    doc = projectfile.from_dict(minimal())
    assert [n.name for n in doc.nodes.values()] == ["image", "out"]
    assert analyze(doc).valid


def docs_to_round_trip():
    yield "built", sample_doc()
    for path in EXAMPLES:
        yield path.stem, load(path)


@pytest.mark.parametrize("label, doc", list(docs_to_round_trip()),
                         ids=[label for label, _ in docs_to_round_trip()])
def test_save_load_save_gives_identical_bytes(tmp_path, label, doc):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    save(doc, first)
    again = load(first)
    save(again, second)
    assert first.read_bytes() == second.read_bytes()
    assert to_dict(again) == to_dict(doc)
    assert analyze(again).issues == analyze(doc).issues


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_examples_are_valid(path):
    result = analyze(load(path))
    assert result.valid, [i.message for i in result.errors]


def test_file_text_is_sorted_utf8_json(tmp_path):
    doc = sample_doc()
    doc.rename("out", "sortie_é")
    path = tmp_path / "p.json"
    save(doc, path)
    text = path.read_bytes().decode("utf-8")
    assert "sortie_é" in text and text.endswith("\n")
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=2,
                              ensure_ascii=False) + "\n"


# ---- atomic saves ----------------------------------------------------------
def test_failed_write_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "project.json"
    save(sample_doc(), path)
    before = path.read_bytes()

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    changed = sample_doc()
    changed.set_param("c", "filters", 64)
    with pytest.raises(OSError):
        save(changed, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project.json"]


def test_unserializable_document_does_not_touch_the_file(tmp_path):
    path = tmp_path / "project.json"
    save(sample_doc(), path)
    before = path.read_bytes()
    doc = sample_doc()
    doc.nodes["c"].params["filters"] = float("nan")
    with pytest.raises(ValueError):
        save(doc, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project.json"]


# ---- malformed files ---------------------------------------------------------
def _without(data: dict, key: str) -> dict:
    data = copy.deepcopy(data)
    del data[key]
    return data


def _edit(path: str, value):
    """minimal() with the value at a dotted path ("nodes.1.kind") replaced."""
    data = minimal()
    *parents, last = path.split(".")
    target = data
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    target[int(last) if last.isdigit() else last] = value
    return data


MALFORMED = {
    "wrong format": (minimal(format="tensorcanvas"), "format", "'tensorcanvas'"),
    "newer version": (minimal(version=7), "version", "version 7"),
    "missing edges": (_without(minimal(), "edges"), "(top level)", "'edges'"),
    "missing kind": (_edit("nodes.1", {"id": "n2", "name": "out"}), "nodes[1]", "'kind'"),
    "unknown kind": (_edit("nodes.1.kind", "Dense9000"), "nodes[1].kind", "'Dense9000'"),
    "bad port type": (_edit("edges.0.src_port", "zero"), "edges[0].src_port", "'zero'"),
    "dangling edge": (_edit("edges.0.dst", "n9"), "edges[0].dst", "'n9'"),
    "duplicate port": (minimal(edges=[{"src": "n1", "src_port": 0, "dst": "n2", "dst_port": 0},
                                      {"src": "n1", "src_port": 0, "dst": "n2",
                                       "dst_port": 0}]), "edges[1]", "already connected"),
    "duplicate id": (_edit("nodes.1.id", "n1"), "nodes[1]", "'n1'"),
    "duplicate name": (_edit("nodes.1.name", "image"), "nodes[1]", "'image'"),
    "bad name": (_edit("nodes.1.name", "a/b"), "nodes[1].name", "'a/b'"),
    "unknown output": (minimal(outputs=["n7"]), "outputs[0]", "'n7'"),
    "repeated output": (minimal(outputs=["n2", "n2"]), "outputs", "twice"),
    "nodes not a list": (minimal(nodes={"n1": {}}), "nodes", "array"),
    "not an object": ([1, 2], None, "list"),
}


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_structure_names_the_field(name):
    data, field, received = MALFORMED[name]
    with pytest.raises(ProjectFileError) as info:
        loads(json.dumps(data))
    assert info.value.field == field
    assert received in str(info.value)


@pytest.mark.parametrize("text, expected", [
    ("{", "not valid JSON"),
    ('{"format": "kerascanvas", "version": NaN}', "field version: a number must be finite"),
    ("[" * 100_000, "nested more than 64 levels deep (the value at line 1, column 65)"),
    ("", "not valid JSON"),
])
def test_bad_json_is_a_project_file_error(text, expected):
    with pytest.raises(ProjectFileError) as info:
        loads(text)
    assert expected in str(info.value)


def test_a_cut_file_says_where_its_string_starts_in_plain_words():
    """json's message for an unterminated string ends in "starting at": the position
    follows it once ("starting at line 1, column 2"), not "starting at at line"."""
    with pytest.raises(ProjectFileError) as info:
        loads('{"form')
    assert "Unterminated string starting at line 1, column 2" in str(info.value)
    assert " at at " not in str(info.value)


def test_a_key_given_twice_is_refused_naming_it_and_both_values():
    text = json.dumps(minimal())[:-1] + ', "version": 7}'  # a second "version"
    with pytest.raises(ProjectFileError) as info:
        loads(text)
    assert "'version' twice" in str(info.value) and "1 and 7" in str(info.value)
    nested = '{"kind": "Dense", "name": "a", "kind": "Conv2D"}'
    with pytest.raises(ProjectFileError, match="'kind' twice .*'Dense' and 'Conv2D'"):
        loads('{"format": "kerascanvas", "version": 1, "nodes": [' + nested + "]}")


def test_load_names_the_file(tmp_path):
    missing = tmp_path / "nope.json"
    with pytest.raises(ProjectFileError) as info:
        load(missing)
    assert str(missing) in str(info.value)
    binary = tmp_path / "bin.json"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ProjectFileError, match="not UTF-8"):
        load(binary)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(minimal(version=projectfile.VERSION + 1)))
    with pytest.raises(ProjectFileError) as info:
        load(bad)
    assert info.value.field == "version" and str(bad) in str(info.value)


def test_dumps_is_stable_across_param_forms():
    a, b = sample_doc(), sample_doc()
    b.nodes["c"].params["kernel_size"] = [3, 3]  # list vs tuple: the same file
    assert dumps(a) == dumps(b)


def test_a_file_with_a_byte_order_mark_loads_as_without(tmp_path):
    """Notepad on Windows saves UTF-8 with a byte order mark: such a file was refused as
    'not valid JSON: Unexpected UTF-8 BOM'."""
    plain = tmp_path / "plain.json"
    save(load(EXAMPLES[0]), plain)
    marked = tmp_path / "marked.json"
    marked.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes())
    assert dumps(load(marked)) == dumps(load(plain))
    assert dumps(loads("\ufeff" + plain.read_text(encoding="utf-8"))) == dumps(load(plain))
