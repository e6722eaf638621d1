"""The project: document, undo stack and live analysis in step, with typed events.

Round trips in the manner of ryvencore: build through the project, save, open a
fresh project from the file, and assert again.
"""

from __future__ import annotations

import pytest

from kerascanvas.graph import commands as cmd
from kerascanvas.graph import events as ev
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.errors import ProjectFileError
from kerascanvas.graph.project import Project
from kerascanvas.graph.validate import analyze


def mlp(project: Project) -> tuple[str, str]:
    doc = project.doc
    x = project.push(cmd.AddNode(doc, "Input", params={"shape": [10]}))
    y = project.push(cmd.AddNode(doc, "Dense", params={"units": 4}))
    project.push(cmd.Connect(doc, Edge(x.id, 0, y.id, 0)))
    project.push(cmd.SetOutputs(doc, [y.id]))
    return x.id, y.id


def test_build_save_open_round_trip(tmp_path):
    project = Project()
    _, y = mlp(project)
    assert not project.is_clean
    project.save(tmp_path / "m.json")
    assert project.is_clean and project.path == str(tmp_path / "m.json")
    again = Project.open(tmp_path / "m.json")
    assert again.doc.nodes[y].params == {"units": 4}
    assert again.analysis.total_params == project.analysis.total_params == (44, 0)
    assert again.analysis.results[y].output_shapes == [(None, 4)]
    assert again.is_clean


def test_analysis_follows_edits_and_undo():
    project = Project()
    _, y = mlp(project)
    project.push(cmd.SetParam(project.doc, y, "units", 7))
    assert project.analysis.results[y].output_shapes == [(None, 7)]
    project.stack.undo()
    assert project.analysis.results[y].output_shapes == [(None, 4)]
    assert project.analysis.issues == analyze(project.doc).issues


def test_views_subscribe_per_kind():
    project, heard = Project(), []
    project.events.edge_added.connect(lambda e: heard.append(("edge", e.edge.dst)))
    project.events.param_changed.connect(lambda e: heard.append((e.param, e.old, e.new)))
    _, y = mlp(project)
    project.push(cmd.SetParam(project.doc, y, "units", 9))
    assert heard == [("edge", y), ("units", 4, 9)]


def test_project_events_say_when_analysis_and_history_change():
    project = Project()
    x, _ = mlp(project)
    kinds = []
    project.events.connect(lambda e: kinds.append(type(e)))
    project.push(cmd.Move(project.doc, {x: (5.0, 6.0)}))
    assert ev.NodeMoved in kinds and ev.NodeAdded not in kinds
    assert "analysis_changed" not in [k.type for k in kinds]  # a move changes no shape
    assert "history_changed" in [k.type for k in kinds]


def test_replace_starts_a_fresh_history(tmp_path):
    project = Project()
    mlp(project)
    other = Document()
    other.add_node("Input", params={"shape": [2]})
    project.replace(other, tmp_path / "x.json")
    assert not project.stack.can_undo and project.is_clean
    assert [n.kind for n in project.doc.nodes.values()] == ["Input"]
    assert not project.analysis.valid  # no outputs: the analysis was redone
    project.replace(Document(), None, clean=False)
    assert not project.is_clean and project.path is None


def test_load_opens_a_file_in_the_same_project(tmp_path):
    saved = Project()
    mlp(saved)
    saved.save(tmp_path / "m.json")
    project, heard = Project(), []
    project.events.reset.connect(heard.append)
    project.push(cmd.AddNode(project.doc, "Dense"))
    project.load(tmp_path / "m.json")
    assert len(heard) == 1 and project.is_clean and not project.stack.can_undo
    assert project.path == str(tmp_path / "m.json") and project.analysis.valid
    assert project.to_dict() == saved.to_dict()
    project.load(tmp_path / "m.json", untitled=True)
    assert project.path is None


def test_a_file_that_fails_to_load_changes_nothing(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    project = Project()
    mlp(project)
    before = project.to_dict()
    with pytest.raises(ProjectFileError, match="bad.json"):
        project.load(bad)
    assert project.to_dict() == before and project.stack.can_undo


def test_open_names_the_file_and_field(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "kerascanvas", "version": 1}', encoding="utf-8")
    with pytest.raises(ProjectFileError, match=r"bad.json: .*is a required property"):
        Project.open(bad)


def test_save_without_a_path_is_refused():
    with pytest.raises(ValueError, match="no file"):
        Project().save()


def test_unknown_event_kinds_are_refused():
    with pytest.raises(ValueError, match="Unknown event kind"):
        Document().events.emit(ev.Event())


def test_closed_project_stops_listening():
    project = Project()
    mlp(project)
    project.close()
    heard = []
    project.events.connect(heard.append)
    project.doc.add_node("Dense")
    assert heard == []


def test_a_macro_and_its_undo_reach_views_as_one_bulk_each():
    """Every event of a multi-part edit (a paste), of its undo and of its redo comes between
    one BulkStarted and one BulkFinished, and the analysis is announced once per edit, at
    its end (after its last change), not once per added node or wire."""
    project, heard = Project(), []
    project.events.connect(lambda e: heard.append(e.type))
    doc = project.doc

    def paste():
        with project.stack.macro("Paste"):
            x = project.push(cmd.AddNode(doc, "Input", params={"shape": [3]}))
            ys = [project.push(cmd.AddNode(doc, "Dense", params={"units": 2})) for _ in "ab"]
            for y in ys:
                project.push(cmd.Connect(doc, Edge(x.id, 0, y.id, 0)))

    edits = {ev.NODE_ADDED, ev.EDGE_ADDED, ev.NODE_REMOVED, ev.EDGE_REMOVED}
    for edit in (paste, project.stack.undo, project.stack.redo):
        heard.clear()
        edit()
        assert heard[0] == ev.BULK_STARTED and heard.count(ev.BULK_STARTED) == 1
        assert heard.index(ev.BULK_FINISHED) == len(heard) - 2  # then the history moved
        assert heard.count("analysis_changed") == 1
        last_edit = max(i for i, kind in enumerate(heard) if kind in edits)
        assert heard.index("analysis_changed") == last_edit + 1
        assert len({kind for kind in heard if kind in edits}) == 2  # nodes and wires
    assert len(doc.nodes) == 3 and len(project.analysis.results) == 3


def test_a_failed_macro_still_finishes_its_bulk():
    project, heard = Project(), []
    project.events.connect(lambda e: heard.append(e.type))
    with pytest.raises(KeyError):
        with project.stack.macro("Paste"):
            project.push(cmd.AddNode(project.doc, "Dense"))
            project.push(cmd.AddNode(project.doc, "NoSuchKind"))
    assert heard[0] == ev.BULK_STARTED and heard[-1] == ev.BULK_FINISHED
    assert heard.count("analysis_changed") == 1
    assert not project.doc.nodes and not project.stack.can_undo


def test_the_analysis_reads_the_documents_one_index(monkeypatch):
    """The live analysis walks the index the document keeps edit by edit: after a param, a
    new wire, a delete of several nodes, and their undo and redo, no index is built again,
    and the analysis equals a full one."""
    from kerascanvas.graph.index import GraphIndex

    project = Project()
    x, y = mlp(project)
    doc = project.doc
    z = project.push(cmd.AddNode(doc, "Dense", params={"units": 2})).id
    _ = project.analysis
    built = []
    original = GraphIndex.of.__func__
    monkeypatch.setattr(GraphIndex, "of", classmethod(
        lambda cls, d: built.append(d) or original(cls, d)))
    edits = [cmd.SetParam(doc, y, "units", 5), cmd.Connect(doc, Edge(y, 0, z, 0)),
             cmd.RemoveNodes(doc, [y, z])]
    for edit in edits:
        project.push(edit)
        _ = project.analysis
    for step in (project.stack.undo, project.stack.undo, project.stack.redo):
        step()
        _ = project.analysis
    assert built == []
    assert project.analysis.issues == analyze(doc).issues
    assert project.analysis.results == analyze(doc).results
