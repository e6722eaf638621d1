"""The project file's `weights` section: read, checked field by field, written back
relative to the project's folder, and a missing or changed file named."""

from __future__ import annotations

import json

import pytest

from kerascanvas.graph import initial_weights, projectfile
from kerascanvas.graph.errors import ProjectFileError

EMPTY = {"format": "kerascanvas", "version": 2, "nodes": [], "edges": [], "outputs": []}
DIGEST = "ab" * 32


def _load(weights) -> object:
    return projectfile.loads(json.dumps({**EMPTY, "weights": weights}))


@pytest.mark.parametrize("paths", [None, {"dense_1": "base/dense", "base_1/": "outer/base/"}])
def test_section_round_trips_through_the_file(paths):
    section = {"source": "models/m.keras", "sha256": DIGEST, "enabled": False}
    section = section if paths is None else {**section, "paths": paths}
    doc = _load(section)
    assert doc.weights == section
    assert json.loads(projectfile.dumps(doc))["weights"] == section
    assert initial_weights.active_source(doc) is None  # turned off: fresh weights


def test_a_file_without_the_section_writes_none():
    doc = projectfile.loads(json.dumps(EMPTY))
    assert doc.weights == {}
    assert "weights" not in json.loads(projectfile.dumps(doc))


@pytest.mark.parametrize(("weights", "field", "words"), [
    ("m.keras", "weights", "expected an object"),
    ({"sha256": DIGEST}, "weights.source", "expected the path"),
    ({"source": 3}, "weights.source", "received 3"),
    ({"source": "m.h5"}, "weights.source", "ending in .keras or .weights.h5"),
    ({"source": "m.keras", "sha256": "xyz"}, "weights.sha256", "64 lowercase hex"),
    ({"source": "m.keras", "enabled": "yes"}, "weights.enabled", "true or false"),
    ({"source": "m.keras", "from": "x"}, "weights.from", "unknown field"),
    ({"source": "m.keras", "paths": ["d"]}, "weights.paths", "expected an object"),
    ({"source": "m.keras", "paths": {"d": ""}}, "weights.paths", "for layer 'd'"),
    ({"source": "m.keras", "paths": {"b/": "a/b"}}, "weights.paths", "ending in '/'"),
])
def test_a_malformed_section_is_refused_naming_the_field(weights, field, words):
    with pytest.raises(ProjectFileError) as caught:
        _load(weights)
    assert caught.value.field == field
    assert words in str(caught.value)


def test_save_writes_an_absolute_source_relative_to_the_project(tmp_path):
    archive = tmp_path / "models" / "m.keras"
    archive.parent.mkdir()
    archive.write_bytes(b"weights")
    doc = projectfile.loads(json.dumps(EMPTY))
    doc.weights = initial_weights.section_for(archive)
    projectfile.save(doc, tmp_path / "p.json")
    saved = json.loads((tmp_path / "p.json").read_text())["weights"]
    assert saved["source"] == "models/m.keras"
    assert saved["sha256"] == initial_weights.file_sha256(archive)
    loaded = projectfile.load(tmp_path / "p.json")  # held in full once loaded
    assert loaded.weights["source"] == str(archive)
    assert initial_weights.source_state(loaded) is None
    projectfile.save(loaded, tmp_path / "models" / "copy.json")  # the doc is not changed
    assert loaded.weights["source"] == str(archive)
    copy = json.loads((tmp_path / "models" / "copy.json").read_text())["weights"]
    assert copy["source"] == "m.keras"


def test_a_missing_or_changed_file_is_named(tmp_path):
    archive = tmp_path / "m.keras"
    archive.write_bytes(b"weights")
    doc = projectfile.loads(json.dumps(EMPTY))
    doc.weights = initial_weights.section_for(archive)
    archive.write_bytes(b"other weights")
    assert "changed since it was chosen" in initial_weights.source_state(doc)
    archive.unlink()
    assert "is missing" in initial_weights.source_state(doc)
    doc.weights["enabled"] = False  # turned off: nothing to check
    assert initial_weights.source_state(doc) is None


def test_save_as_in_another_folder_still_names_the_same_file(tmp_path):
    from kerascanvas.graph.project import Project

    (tmp_path / "a").mkdir()
    (tmp_path / "b" / "deep").mkdir(parents=True)
    archive = tmp_path / "a" / "m.keras"
    archive.write_bytes(b"weights")
    project = Project(projectfile.loads(json.dumps(EMPTY)))
    project.doc.weights = initial_weights.section_for(archive)
    project.save(tmp_path / "a" / "p.json")
    saved = json.loads((tmp_path / "a" / "p.json").read_text())["weights"]
    assert saved["source"] == "m.keras"
    project.save(tmp_path / "b" / "deep" / "p.json")
    saved = json.loads((tmp_path / "b" / "deep" / "p.json").read_text())["weights"]
    assert saved["source"] == "../../a/m.keras"


def test_doctests():
    import doctest

    result = doctest.testmod(initial_weights)
    assert result.failed == 0 and result.attempted > 0


def test_an_archive_path_takes_the_exact_entry_then_the_longest_folder():
    paths = {"m/": "outer/m/", "m/inner/": "outer/m/deep/", "m/d": "outer/m/other"}
    assert [initial_weights.archive_path(p, paths) for p in
            ("m/d", "m/e", "m/inner/x", "m/inner", "mx/d", "head")] == [
        "outer/m/other", "outer/m/e", "outer/m/deep/x", "outer/m/deep", "mx/d", "head"]


def test_choosing_the_same_file_again_keeps_its_paths(tmp_path):
    archive, other = tmp_path / "m.keras", tmp_path / "n.keras"
    archive.write_bytes(b"one")
    other.write_bytes(b"two")
    doc = _load({"source": str(archive), "paths": {"d": "base/d"}})
    again = initial_weights.chosen_section(doc, archive, archive)
    assert again["paths"] == {"d": "base/d"} and again["sha256"]
    assert "paths" not in initial_weights.chosen_section(doc, other, archive)
