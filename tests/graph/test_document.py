"""Document basics that other tests do not cover: naming like Keras, doctests of the core."""

import doctest

import pytest

from kerascanvas.graph import (
    LAYER_SPECS,
    commands,
    document,
    document_queries,
    fixes,
    fixplan,
    layout,
    model_identity,
    names,
    params,
    placement,
    projectfile,
    shapes,
    training_paths,
    weight_paths,
)
from kerascanvas.graph.document import Document, default_name
from kerascanvas.graph.layers import application


@pytest.mark.parametrize("kind", sorted(k for k, s in LAYER_SPECS.items() if not s.is_block))
def test_default_name_is_keras_auto_name(kind):
    naming = pytest.importorskip("keras.src.utils.naming")
    if LAYER_SPECS[kind].category == "Operations":  # ops.mean: Keras names its op Mean
        keras = pytest.importorskip("keras")
        from tests.ops_ref import keras_call

        sample = LAYER_SPECS[kind].samples[0]  # the op Keras makes for the call
        out = keras_call(kind, dict(sample.params), [keras.KerasTensor(s)
                                                     for s in sample.inputs])
        out = out[0] if isinstance(out, list | tuple) else out
        cls = type(out._keras_history.operation)
        assert default_name(kind) == naming.to_snake_case(cls.__name__)
        return
    assert default_name(kind) == naming.to_snake_case(kind)


def test_new_nodes_get_unique_names():
    doc = Document()
    names = [doc.add_node("Dense").name for _ in range(3)]
    assert names == ["dense", "dense_1", "dense_2"]


@pytest.mark.parametrize("module", [application, commands, document, document_queries, fixes,
                                    fixplan, layout, model_identity, names, params, placement,
                                    projectfile, shapes, training_paths,
                                    weight_paths])
def test_doctests(module):
    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0


def test_a_file_with_a_cycle_is_refused_naming_an_edge():
    from kerascanvas.graph.errors import ProjectFileError

    nodes = [{"id": "x", "kind": "Input", "name": "x", "params": {"shape": [4]}}] + [
        {"id": f"d{i}", "kind": "Add", "name": f"add{i}", "params": {}} for i in range(3)]
    edges = [("x", "d0", 0), ("d0", "d1", 0), ("d1", "d2", 0), ("d2", "d0", 1)]
    text = projectfile.json.dumps({
        "format": "kerascanvas", "version": 1, "nodes": nodes, "outputs": ["d2"],
        "edges": [{"src": s, "src_port": 0, "dst": d, "dst_port": p} for s, d, p in edges]})
    with pytest.raises(ProjectFileError) as info:
        projectfile.loads(text)
    assert "cycle" in str(info.value) and "'add0'" in str(info.value)
    assert info.value.field.startswith("edges[")


def test_a_cycle_message_names_only_the_nodes_on_it():
    from kerascanvas.graph.errors import ProjectFileError

    nodes = [{"id": "x", "kind": "Input", "name": "x", "params": {"shape": [4]}},
             {"id": "a", "kind": "Add", "name": "add", "params": {}},
             {"id": "d", "kind": "Dense", "name": "d", "params": {"units": 4}},
             {"id": "o", "kind": "Dense", "name": "out", "params": {"units": 3}}]
    edges = [("x", "a", 0), ("d", "a", 1), ("a", "d", 0), ("d", "o", 0)]
    text = projectfile.json.dumps({
        "format": "kerascanvas", "version": 1, "nodes": nodes, "outputs": ["o"],
        "edges": [{"src": s, "src_port": 0, "dst": d, "dst_port": p} for s, d, p in edges]})
    with pytest.raises(ProjectFileError) as info:
        projectfile.loads(text)
    assert "'add', 'd'" in str(info.value) and "'out'" not in str(info.value)
    assert set(info.value.nodes) == {"a", "d"}
    edge = edges[int(info.value.field[len("edges["):-1])]
    assert {edge[0], edge[1]} <= {"a", "d"}
