"""The model's name and dict keys as edits: undoable commands, the live check of a key
used twice (pinned to every node that uses it, with its fix) and codegen agreeing."""

from __future__ import annotations

import pytest

from kerascanvas.codegen import CodegenError, generate
from kerascanvas.graph import commands as cmd
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.errors import DocumentError
from kerascanvas.graph.fixes import apply_fix
from kerascanvas.graph.model_keys import (
    DUPLICATE,
    FREE_KEY,
    INPUTS,
    NAME_DIFFERS,
    OUTPUTS,
    edit_problem,
    keys_as,
    keys_with,
)
from kerascanvas.graph.project import Project


@pytest.fixture
def project():
    """Inputs a, b -> Concatenate -> Dense 'head' and Dense 'aux', both model outputs."""
    project = Project()
    doc = project.doc
    a = project.push(cmd.AddNode(doc, "Input", "a", {"shape": [3]})).id
    b = project.push(cmd.AddNode(doc, "Input", "b", {"shape": [2]})).id
    cat = project.push(cmd.AddNode(doc, "Concatenate")).id
    head = project.push(cmd.AddNode(doc, "Dense", "head", {"units": 4})).id
    aux = project.push(cmd.AddNode(doc, "Dense", "aux", {"units": 1})).id
    for edge in (Edge(a, 0, cat, 0), Edge(b, 0, cat, 1), Edge(cat, 0, head, 0),
                 Edge(cat, 0, aux, 0)):
        project.push(cmd.Connect(doc, edge))
    project.push(cmd.SetOutputs(doc, [head, aux]))
    assert project.analysis.valid
    return project


def ids(project, *names):
    return [project.doc.find(name).id for name in names]


def duplicates(project):
    return [i for i in project.analysis.issues if i.code == DUPLICATE]


def test_a_key_used_twice_is_pinned_to_both_inputs_and_fixed_in_one_click(project):
    doc, (a, b) = project.doc, ids(project, "a", "b")
    heard = []
    project.events.analysis_changed.connect(lambda e: heard.append(e.type))
    project.push(cmd.SetModelKeys(doc, INPUTS, {a: "q", b: "q"}))
    assert heard  # the analysis follows this edit like any other
    found = duplicates(project)
    assert [(i.node, i.severity) for i in found] == [(a, "error"), (b, "error")]
    assert "the key 'q' of 'a' is also the key of 'b'" in found[0].message
    assert "the key 'q' of 'b' is also the key of 'a'" in found[1].message
    assert all(i.fixes == (FREE_KEY,) for i in found)
    with pytest.raises(CodegenError, match="the key 'q' of 'a' is also"):
        generate(doc)
    apply_fix(doc, found[1], FREE_KEY, project.stack)
    assert doc.keyed_inputs() == {a: "q", b: "b"} and duplicates(project) == []
    with pytest.raises(DocumentError, match="no longer used twice"):  # a stale issue
        apply_fix(doc, found[0], FREE_KEY, project.stack)
    assert doc.keyed_inputs() == {a: "q", b: "b"} and project.stack.undo_text.startswith("Give")
    assert "inputs={'q': a, 'b': b}" in generate(doc)
    project.stack.undo()
    assert [i.node for i in duplicates(project)] == [a, b]
    project.stack.redo()
    assert duplicates(project) == []


def test_a_rename_onto_another_inputs_key_is_caught_live(project):
    """An Input without a key of its own is keyed by its name: renaming it can take a key."""
    doc, (a, b) = project.doc, ids(project, "a", "b")
    project.push(cmd.SetModelKeys(doc, INPUTS, {a: "c"}))
    assert doc.keyed_inputs() == {a: "c", b: "b"} and duplicates(project) == []
    project.push(cmd.Rename(doc, b, "c"))
    assert [i.node for i in duplicates(project)] == [a, b]
    project.stack.undo()
    assert duplicates(project) == []


def test_output_keys_used_twice_are_pinned_to_both_output_nodes(project):
    doc, (head, aux) = project.doc, ids(project, "head", "aux")
    project.push(cmd.SetModelKeys(doc, OUTPUTS, {head: "y", aux: "y"}))
    found = duplicates(project)
    assert [i.node for i in found] == [head, aux]
    assert "model's outputs are a dict" in found[0].message
    apply_fix(doc, found[0], FREE_KEY, project.stack)
    assert doc.keyed_outputs() == {head: "head", aux: "y"}
    assert "outputs={'head': head, 'y': aux}" in generate(doc)


def test_an_input_keyed_otherwise_than_its_name_is_a_warning_with_a_rename(project):
    doc, (a,) = project.doc, ids(project, "a")
    project.push(cmd.SetModelKeys(doc, INPUTS, keys_with(doc, INPUTS, a, "features")))
    (found,) = [i for i in project.analysis.issues if i.code == NAME_DIFFERS]
    assert (found.node, found.severity) == (a, "warning") and project.analysis.valid
    assert "Input(..., name='features')" in found.message
    apply_fix(doc, found, found.fixes[0], project.stack)
    assert doc.nodes[a].name == "features"
    assert not [i for i in project.analysis.issues if i.code == NAME_DIFFERS]


def test_name_and_keys_are_undoable_commands_refusing_bad_values(project):
    doc, stack = project.doc, project.stack
    project.push(cmd.SetModelName(doc, "ranker v2"))
    project.push(cmd.SetModelKeys(doc, OUTPUTS, keys_as(doc, OUTPUTS, True)))
    assert "name='ranker v2'" in generate(doc)
    assert "outputs={'head': head, 'aux': aux}" in generate(doc)
    depth = stack.undo_text
    for bad in (cmd.SetModelName(doc, "a/b"), cmd.SetModelKeys(doc, INPUTS, {"n1": ""})):
        with pytest.raises(DocumentError):
            project.push(bad)
    assert stack.undo_text == depth and doc.model_name == "ranker v2"
    stack.undo()
    assert doc.keyed_outputs() is None
    stack.undo()
    assert doc.model_name == "" and "name='model'" in generate(doc)
    stack.redo()
    assert doc.model_name == "ranker v2"


def test_edit_problems_name_the_owner_of_a_taken_key(project):
    doc, (a, b) = project.doc, ids(project, "a", "b")
    project.push(cmd.SetModelKeys(doc, INPUTS, keys_as(doc, INPUTS, True)))
    assert edit_problem(doc, INPUTS, b, "a") == (
        "the key 'a' is already the key of input 'a': a dict holds each key once. "
        "Received: key='a'")
    assert edit_problem(doc, INPUTS, a, "a") is None
    assert "non-empty" in edit_problem(doc, INPUTS, a, " ")
    assert "at most 200" in edit_problem(doc, INPUTS, a, "k" * 201)


def test_the_documents_model_edits_check_and_announce_each_change():
    from kerascanvas.graph import events as ev

    doc, heard = Document(), []
    x = doc.add_node("Input", "x", {"shape": [3]}).id
    doc.events.model_changed.connect(heard.append)
    doc.set_model_name("ranker v2")
    doc.set_model_keys(INPUTS, {x: "query"})
    doc.set_model_name("")  # Keras' default name, 'model', is written
    assert [type(e) for e in heard] == [ev.ModelChanged] * 3
    assert (doc.model_name, doc.keyed_inputs()) == ("", {x: "query"})
    for bad in (lambda: doc.set_model_name("a/b"), lambda: doc.set_model_name("  "),
                lambda: doc.set_model_keys(INPUTS, {x: ""}),
                lambda: doc.set_model_keys("layers", {x: "q"})):
        with pytest.raises(DocumentError, match="Received"):
            bad()
    assert len(heard) == 3 and doc.keyed_inputs() == {x: "query"}
