"""The project file's `model` section (version 2): the model's name and dict keys.

A version 1 file (tests/graph/data/project_v1.json, saved by the previous version) loads
unchanged as a model named 'model' on lists; a bad section is refused naming the field.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kerascanvas.codegen import CodegenError, generate
from kerascanvas.graph import projectfile
from kerascanvas.graph.errors import ProjectFileError
from kerascanvas.graph.projectfile import dumps, load, loads, to_dict

V1_FILE = Path(__file__).parent / "data" / "project_v1.json"


def v2(**model) -> dict:
    data = json.loads(V1_FILE.read_text(encoding="utf-8"))
    data["version"] = 2
    data["model"] = model
    return data


def test_a_version_1_file_loads_unchanged_and_saves_as_version_2():
    old = json.loads(V1_FILE.read_text(encoding="utf-8"))
    assert old["version"] == 1 and "model" not in old
    doc = load(V1_FILE)
    assert (doc.model_name, doc.input_keys, doc.output_keys) == ("", {}, {})
    assert doc.keyed_inputs() is None and doc.keyed_outputs() is None
    saved = to_dict(doc)
    assert saved["version"] == projectfile.VERSION == 2
    assert "model" not in saved  # nothing to say: default name, lists
    for part in ("nodes", "edges", "outputs", "training", "ui"):
        assert saved[part] == old[part], part
    source = generate(doc)
    assert "name='model')" in source and "inputs=[tokens, extra]" in source


def test_name_and_keys_round_trip_in_their_written_order():
    data = v2(name="ranker v2 / 'quoted'".replace("/", "-"),
              inputs=[{"key": "x", "node": "n2"}, {"key": "ids", "node": "n1"}],
              outputs=[{"key": "value", "node": "n7"}, {"key": "score", "node": "n6",
                                                        "port": 0}])
    doc = projectfile.from_dict(data)
    assert doc.model_name == "ranker v2 - 'quoted'"
    assert list(doc.keyed_inputs().values()) == ["x", "ids"]
    assert list(doc.keyed_outputs().values()) == ["value", "score"]
    again = loads(dumps(doc))
    assert dumps(again) == dumps(doc)
    assert to_dict(again)["model"]["inputs"] == data["model"]["inputs"]
    source = generate(doc)
    assert "inputs={'x': extra, 'ids': tokens}" in source
    assert "outputs={'value': value, 'score': score}" in source
    assert "name=\"ranker v2 - 'quoted'\"" in source


@pytest.mark.parametrize("model, field, words", [
    ({"name": "a/b"}, "model.name", "cannot contain '/'"),
    ({"name": ""}, "model.name", "non-empty"),
    ({"name": 3}, "model.name", "not of type 'string'"),
    ({"colour": "red"}, "model.colour", "unknown field 'colour'; expected one of: name"),
    ({"inputs": [{"key": "a", "node": "n9"}]}, "model.inputs[0].node", "no node with id"),
    ({"inputs": [{"key": "a", "node": "n3"}]}, "model.inputs[0].node", "only Input nodes"),
    ({"inputs": [{"key": "a", "node": "n1"}, {"key": "a", "node": "n2"}]},
     "model.inputs[1].key", "used twice"),
    ({"inputs": [{"key": "a", "node": "n1"}, {"key": "b", "node": "n1"}]},
     "model.inputs[1]", "keyed twice"),
    ({"inputs": [{"key": "", "node": "n1"}]}, "model.inputs[0].key", "non-empty"),
    ({"outputs": [{"key": "y", "node": "n5"}]}, "model.outputs[0].node", "not one of"),
    ({"outputs": [{"key": "y", "node": "n6", "port": 1}]}, "model.outputs[0].node",
     "port 1"),
])
def test_a_bad_model_section_names_its_field(model, field, words):
    with pytest.raises(ProjectFileError) as caught:
        projectfile.from_dict(v2(**model))
    assert caught.value.field == field
    assert words in str(caught.value)


def test_an_input_added_after_the_import_is_keyed_by_its_name():
    doc = projectfile.from_dict(v2(inputs=[{"key": "ids", "node": "n1"}]))
    assert doc.keyed_inputs() == {"n1": "ids", "n2": "extra"}
    assert "inputs={'ids': tokens, 'extra': extra}" in generate(doc)


def test_a_key_taken_twice_after_an_edit_is_refused_by_codegen():
    doc = projectfile.from_dict(v2(inputs=[{"key": "extra", "node": "n1"}]))
    with pytest.raises(CodegenError, match="key 'extra' of 'tokens' is also the key of 'extra'"):
        generate(doc)


def test_keys_of_removed_outputs_are_dropped_on_save():
    doc = projectfile.from_dict(v2(outputs=[{"key": "s", "node": "n6"},
                                            {"key": "v", "node": "n7"}]))
    doc.set_outputs([doc.find("score").id])
    assert doc.keyed_outputs() == {doc.find("score").id: "s"}
    assert to_dict(doc)["model"]["outputs"] == [{"key": "s", "node": "n6", "port": 0}]


@pytest.mark.parametrize("style", ["functional", "subclass", "sequential"])
def test_every_style_writes_the_project_name(style):
    data = v2(name="tiny net")
    data["nodes"] = data["nodes"][1:2] + [n for n in data["nodes"] if n["id"] == "n7"]
    data["edges"] = [{"dst": "n7", "dst_port": 0, "src": "n2", "src_port": 0}]
    data["outputs"], data["training"] = ["n7"], {}
    doc = projectfile.from_dict(data)
    assert "name='tiny net'" in generate(doc, style=style)
    assert "name='tiny net'" in generate(doc, style=style, script=True)
    assert "name='other'" in generate(doc, style=style, model_name="other")


def test_the_sequential_style_refuses_a_dict_model_clearly():
    doc = projectfile.from_dict(v2(inputs=[{"key": "ids", "node": "n1"}]))
    with pytest.raises(CodegenError, match="takes a dict .keys 'ids', 'extra'.* sequential "
                                           "style cannot write"):
        generate(doc, style="sequential")


def test_the_codegen_command_takes_a_model_name(tmp_path, capsys):
    from kerascanvas.app.cli import main

    path = tmp_path / "p.json"
    path.write_text(json.dumps(v2(name="from file")), encoding="utf-8")
    assert main(["codegen", str(path)]) == 0
    assert "name='from file')" in capsys.readouterr().out
    assert main(["codegen", str(path), "--model-name", "given here"]) == 0
    assert "name='given here')" in capsys.readouterr().out
    assert main(["codegen", str(path), "--model-name", "a/b"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "--model-name: a model name cannot contain '/'" in captured.err
