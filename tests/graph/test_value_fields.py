"""A value the JSON reader refuses (a huge integer, 1e400, NaN, Infinity, a key given
twice, nesting past the bound) is reported with the field that holds it, the node
that field belongs to, and the value received (shortened when huge)."""

from __future__ import annotations

import doctest
import json

import pytest

from kerascanvas.graph.errors import ProjectFileError
from kerascanvas.graph.limits import MAX_NESTING, parse_json
from kerascanvas.graph.projectfile import load, loads
from kerascanvas.graph.userblock_library import read_library_file
from kerascanvas.graph.userblocks import BlockDefinitionError

NODE = '{"id": "n2", "kind": "Dense", "name": "hidden", "params": {"units": UNITS}}'


def project(units_text: str) -> str:
    return ('{"format": "kerascanvas", "version": 2, "edges": [], "outputs": [], "nodes": ['
            '{"id": "n1", "kind": "Input", "name": "x", "params": {"shape": [4]}}, '
            + NODE.replace("UNITS", units_text) + "]}")


@pytest.mark.parametrize("text, received", [
    ("1e400", "Received: 1e400"),
    ("-1e400", "Received: -1e400"),
    ("1" * 400, "Received: 111111111111...(400 digits)"),
    ("NaN", "Received: NaN"),
    ("Infinity", "Received: Infinity"),
    ("-Infinity", "Received: -Infinity"),
    ("[1, NaN]", "Received: NaN"),
])
def test_a_refused_number_names_its_field_node_and_value(text, received):
    with pytest.raises(ProjectFileError) as info:
        loads(project(text))
    assert info.value.field.startswith("nodes[1].params.units")
    message = str(info.value)
    assert "node 'hidden' (id 'n2')" in message and received in message
    assert len(message) < 300  # a 400-digit number is not repeated whole


def test_a_key_given_twice_in_a_param_names_the_object_and_node():
    with pytest.raises(ProjectFileError) as info:
        loads(project('{"a": 1, "a": 2}'))
    assert info.value.field == "nodes[1].params.units"
    assert "node 'hidden'" in str(info.value) and "'a' twice" in str(info.value)


@pytest.mark.parametrize("opener, closer", [("[", "]"), ('{"k": ', "}")])
def test_deep_junk_in_a_param_names_the_node_and_a_short_field(opener, closer):
    depth = MAX_NESTING + 10
    with pytest.raises(ProjectFileError) as info:
        loads(project(opener * depth + "1" + closer * depth))
    field = info.value.field
    assert field.startswith("nodes[1].params.units") and "levels more" in field
    assert len(field) < 80
    assert "node 'hidden' (id 'n2')" in str(info.value)


def test_nesting_too_deep_to_parse_says_where_in_the_text():
    text = project("[" * 5000 + "]" * 5000)
    with pytest.raises(ProjectFileError) as info:
        loads(text)
    # The value that opens one level past the bound: its line and column in the text.
    start = text.index("[" * 5000)
    head = text[:start]
    outer = sum(map(head.count, "{[")) - sum(map(head.count, "}]"))
    column = start + (MAX_NESTING - outer) + 1
    assert f"line 1, column {column}" in str(info.value)
    assert f"nested more than {MAX_NESTING} levels deep" in str(info.value)


def test_a_refused_value_in_the_training_section_names_its_field(tmp_path):
    data = json.loads(project("4"))
    data["training"] = {"epochs": 1}
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data).replace('"epochs": 1', '"epochs": 1e999'))
    with pytest.raises(ProjectFileError) as info:
        load(path)
    assert str(path) in str(info.value) and info.value.field == "training.epochs"
    assert "1e999" in str(info.value)


def test_a_schema_error_in_a_node_names_the_node():
    data = json.loads(project("4"))
    data["nodes"][1]["kind"] = 7
    with pytest.raises(ProjectFileError) as info:
        loads(json.dumps(data))
    assert info.value.field == "nodes[1].kind" and "node 'hidden' (id 'n2')" in str(info.value)


def test_parse_json_accepts_what_json_accepts_within_the_bounds():
    assert parse_json('{"a": [1, 2.5, -3, null, true, "\\u00e9"]}') == {
        "a": [1, 2.5, -3, None, True, "\u00e9"]}


@pytest.mark.parametrize("value, received", [("NaN", "NaN"), ("1" * 40, "(40 digits)")])
def test_a_block_library_file_refuses_values_a_project_file_refuses(tmp_path, value, received):
    path = tmp_path / "block.json"
    path.write_text('{"format": "kerascanvas-block", "block": "b", "blocks": {"b": '
                    '{"nodes": [{"id": "a", "name": "d", "kind": "Dense", "params": '
                    '{"units": ' + value + '}}]}}}')
    with pytest.raises(BlockDefinitionError) as info:
        read_library_file(path)
    assert "blocks.b.nodes[0].params.units" in str(info.value) and received in str(info.value)


def test_doctests():
    from kerascanvas.graph import limits

    assert doctest.testmod(limits).failed == 0


@pytest.mark.parametrize("change, field, message", [
    (lambda d: d["nodes"][1].update(parms=d["nodes"][1].pop("params")), "nodes[1].parms",
     "node 'hidden' (id 'n2'): unknown field 'parms' (did you mean 'params'?); expected one "
     "of: id, kind, name, params"),
    (lambda d: d.update(trainig={"epochs": 3}), "trainig",
     "unknown field 'trainig' (did you mean 'training'?)"),
    (lambda d: d["edges"].append({"src": "n1", "src_port": 0, "dst": "n2", "dst_prot": 0,
                                  "dst_port": 0}), "edges[0].dst_prot",
     "unknown field 'dst_prot' (did you mean 'dst_port'?)"),
])
def test_a_misspelt_field_is_refused_naming_it_and_the_field_meant(change, field, message):
    """A misspelt field was ignored: `parms` dropped the node's values and `trainig` every
    training setting, and the defaults were used without a word."""
    data = json.loads(project("4"))
    change(data)
    with pytest.raises(ProjectFileError) as info:
        loads(json.dumps(data))
    assert info.value.field == field and message in str(info.value)
