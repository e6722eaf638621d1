"""CustomLayer nodes in graph/: parsed, never run; issues until trusted; shapes from the
runtime's context. No keras here (graph/ never imports it)."""

from __future__ import annotations

import doctest

import pytest

from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.layers import custom, custom_recorded, custom_source
from kerascanvas.graph.project import Project
from kerascanvas.graph.projectfile import save
from kerascanvas.graph.validate import analyze

SOURCE = "import keras\n\n\nclass Twice(keras.layers.Layer):\n    def call(self, x):\n" \
         "        return x * 2\n"


def make_doc(source: str = SOURCE, class_name: str = "Twice", kwargs=None) -> Document:
    doc = Document()
    x = doc.add_node("Input", "x", {"shape": [4]})
    params = {"class_name": class_name, "source": source}
    if kwargs is not None:
        params["kwargs"] = kwargs
    c = doc.add_node("CustomLayer", "twice", params)
    d = doc.add_node("Dense", "out", {"units": 2})
    doc.connect(Edge(x.id, 0, c.id, 0))
    doc.connect(Edge(c.id, 0, d.id, 0))
    doc.set_outputs([d.id])
    return doc


def codes(doc: Document) -> list[str]:
    return [i.code for i in analyze(doc).issues]


def trust_all(doc: Document) -> custom.CustomContext:
    ctx = custom.context(doc)
    ctx.trusted = frozenset(custom.code_digest(n.params) for n in custom.custom_nodes(doc))
    return ctx


def test_untrusted_node_has_a_clear_issue_and_blocks_what_follows():
    doc = make_doc()
    analysis = analyze(doc)
    (issue,) = analysis.issues
    assert issue.code == "custom_untrusted" and issue.severity == "error"
    assert "custom code not trusted: class Twice" in issue.message
    assert "--trust-custom-code" in issue.message
    assert not analysis.results[doc.find("out").id].ok


def test_a_node_without_source_names_its_registered_name_and_offers_attach():
    doc = make_doc("", "Twice")
    doc.set_param(doc.find("twice").id, "package", "pkg")
    analysis = analyze(doc)
    (issue,) = analysis.issues
    assert issue.code == "custom_no_source" and issue.fixes == ("attach_source",)
    assert issue.message.startswith("custom layer 'twice' (registered name pkg>Twice) has no "
                                    "source: attach its class")
    assert not analysis.results[doc.find("out").id].ok  # nothing recorded: shapes stop


def test_recorded_shapes_carry_the_analysis_past_a_node_without_source():
    doc = make_doc("", "Twice")
    node = doc.find("twice")
    doc.set_param(node.id, "output_shapes", [{"inputs": [[None, 4]], "outputs": [[None, 8]]}])
    analysis = analyze(doc)
    assert [i.code for i in analysis.issues] == ["custom_no_source"]
    assert analysis.results[node.id].output_shapes == [(None, 8)]
    assert analysis.results[doc.find("out").id].input_shapes == [(None, 8)]
    assert not analysis.valid


@pytest.mark.parametrize("source, class_name, text", [
    ("class Twice(:\n", "Twice", "does not parse: line 1"),
    ("def Twice(x):\n    return x\n", "Twice", "no top-level class 'Twice' (found: none)"),
    (SOURCE, "Other", "no top-level class 'Other' (found: Twice)"),
])
def test_source_problems_are_found_by_parsing(source, class_name, text):
    issues = analyze(make_doc(source, class_name)).issues
    assert [i.code for i in issues] == ["custom_source"]
    assert text in issues[0].message


@pytest.mark.parametrize("kwargs, text", [
    ([1, 2], "a JSON object"), ({"name": "x"}, "'name'"), ({"bad key": 1}, "'bad key'")])
def test_constructor_kwargs_are_a_json_object_of_identifiers(kwargs, text):
    issues = analyze(make_doc(kwargs=kwargs)).issues
    assert issues[0].code == "bad_param" and text in issues[0].message


def test_trusted_node_waits_for_keras_then_uses_its_answer():
    doc = make_doc()
    ctx = trust_all(doc)
    assert codes(doc) == ["custom_pending"]
    (key, request), = ctx.pending.items()
    assert request["inputs"] == [[None, 4]] and request["class_name"] == "Twice"
    ctx.results[key] = {"outputs": [[None, 4]], "count": [0, 0]}
    analysis = analyze(doc)
    assert analysis.valid
    assert analysis.results[doc.find("out").id].output_shapes == [(None, 2)]
    ctx.results[key] = {"error": "ValueError: nope"}
    assert codes(doc) == ["custom_failed"]


def test_editing_the_code_asks_for_trust_again():
    doc = make_doc()
    trust_all(doc)
    before = custom.project_digest(doc)
    node = doc.find("twice")
    doc.set_param(node.id, "source", SOURCE.replace("* 2", "* 3"))
    assert custom.project_digest(doc) != before
    assert codes(doc) == ["custom_untrusted"]


def test_live_analysis_refreshes_when_keras_answers():
    project = Project(make_doc())
    ctx = trust_all(project.doc)
    project.live.refresh([project.doc.find("twice").id])
    assert [i.code for i in project.analysis.issues] == ["custom_pending"]
    for key in ctx.pending:
        ctx.results[key] = {"outputs": [[None, 4]], "count": [0, 0]}
    project.live.refresh([project.doc.find("twice").id])
    assert project.analysis.valid


@pytest.mark.parametrize("module", [custom, custom_source, custom_recorded])
def test_doctests(module):
    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0


def test_one_class_name_one_definition():
    doc = make_doc()
    other = doc.add_node("CustomLayer", "again", {"class_name": "Twice",
                                                   "source": SOURCE.replace("2", "3")})
    doc.connect(Edge(doc.find("x").id, 0, other.id, 0))
    conflicts = [i for i in analyze(doc).issues if i.code == "custom_conflict"]
    assert [(i.node, i.severity) for i in conflicts] == [(other.id, "error")]
    assert "also defined by 'twice'" in conflicts[0].message
    doc.set_param(other.id, "source", SOURCE)  # the same class twice is fine
    assert "custom_conflict" not in codes(doc)


def test_a_class_name_that_is_not_text_is_an_issue_not_a_crash():
    """A hand-edited file can hold a list where the class name goes; the conflict check
    between class names raised TypeError (unhashable list) out of validation."""
    doc = make_doc(class_name=["Twice"])
    doc.add_node("CustomLayer", "again", {"class_name": ["Twice"], "source": SOURCE})
    issues = analyze(doc).issues
    assert issues and all(i.code != "custom_conflict" for i in issues)
    assert any(i.node == doc.find("twice").id and i.severity == "error" for i in issues)


def test_split_source_moves_imports_up():
    imports, body = custom.split_source("import keras\nfrom keras import (\n    ops)\n\n"
                                        "X = 1\n\nclass A:\n    pass\n")
    assert imports == ["import keras", "from keras import (\n    ops)"]
    assert body.startswith("X = 1") and "import" not in body


def test_untrusted_project_file_never_runs_its_code(tmp_path, capsys):
    from kerascanvas.app.cli import main

    marker = tmp_path / "ran.txt"
    source = (f"open({str(marker)!r}, 'w').write('ran')\n\n\nimport keras\n\n\n"
              "class Twice(keras.layers.Layer):\n    pass\n")
    path = tmp_path / "p.json"
    save(make_doc(source), path)
    project = Project.open(path)
    assert [i.code for i in project.analysis.issues] == ["custom_untrusted"]
    assert main(["validate", str(path)]) == 4
    assert main(["validate", str(path), "--json"]) == 4
    assert main(["codegen", str(path), "-o", str(tmp_path / "out.py")]) == 4
    err = capsys.readouterr().err
    assert "custom code not trusted: 'twice' (Twice). Nothing ran" in err
    assert not marker.exists() and not (tmp_path / "out.py").exists()
