"""Layers named by the user inside a node (a block definition's, a wrapper's), each case as
our graph and as plain Keras builds it on torch: a '.' in the name of one with weights fails
there (KeyError: parameter name can't contain "."), as it fails for a layer of its own."""

from __future__ import annotations

import copy

import keras

from kerascanvas.graph.document import Document, Edge

L = keras.layers


def graph_of(kind: str, params: dict, shape: tuple, blocks: dict | None = None):
    """Input(shape) -> a node of `kind`: (doc, node id)."""
    doc = Document()
    doc.blocks.update(copy.deepcopy(blocks or {}))
    x = doc.add_node("Input", "x", {"shape": list(shape)}).id
    node = doc.add_node(kind, "held", params).id
    doc.connect(Edge(x, 0, node, 0))
    doc.outputs = [node]
    return doc, node


def model_of(shape: tuple, layer) -> keras.Model:
    x = keras.Input(shape)
    return keras.Model(x, layer(x))


def block(*nodes: tuple[str, str, dict], model: bool = False) -> dict:
    """A definition of a chain of (name, kind, params) nodes; a nested model if `model`."""
    ids = [f"n{i}" for i in range(len(nodes))]
    definition = {
        "nodes": [{"id": i, "kind": kind, "name": name, "params": params}
                  for i, (name, kind, params) in zip(ids, nodes, strict=True)],
        "edges": [{"src": a, "src_port": 0, "dst": b, "dst_port": 0}
                  for a, b in zip(ids, ids[1:], strict=False)],
        "inputs": [[{"node": ids[0], "port": 0}]],
        "output": {"node": ids[-1], "port": 0}, "params": {}}
    if model:
        definition["model"] = {"class": "Functional"}
    return definition


def dense(name: str) -> dict:
    return {"kind": "Dense", "params": {"units": 3}, "name": name}


def lstm_cell(name: str) -> dict:
    return {"kind": "LSTMCell", "params": {"units": 2}, "name": name}


def _nested(inner_name: str, model_name: str):
    x = keras.Input((4,))
    return keras.Model(x, L.Dense(3, name=inner_name)(x), name=model_name)


# name -> (graph builder, Keras builder, the layer our issue names or None)
WRAPPERS = {
    "pipeline-dense": (lambda: graph_of("Pipeline", {"layers": [dense("a.b")]}, (4,)),
                       lambda: model_of((4,), L.Pipeline([L.Dense(3, name="a.b")])), "a.b"),
    "pipeline-relu": (lambda: graph_of("Pipeline", {"layers": [
        {"kind": "ReLU", "params": {}, "name": "r.1"}, dense("d")]}, (4,)),
        lambda: model_of((4,), L.Pipeline([L.ReLU(name="r.1"), L.Dense(3, name="d")])), None),
    "time-distributed": (
        lambda: graph_of("TimeDistributed", {"layer": dense("a.b")}, (5, 4)),
        lambda: model_of((5, 4), L.TimeDistributed(L.Dense(3, name="a.b"))), "a.b"),
    "bidirectional": (
        lambda: graph_of("Bidirectional", {"layer": {"kind": "LSTM", "params": {"units": 2},
                                                     "name": "l.1"}}, (5, 4)),
        lambda: model_of((5, 4), L.Bidirectional(L.LSTM(2, name="l.1"))), "l.1"),
    "rnn-cell": (lambda: graph_of("RNN", {"cell": lstm_cell("c.1")}, (5, 4)),
                 lambda: model_of((5, 4), L.RNN(L.LSTMCell(2, name="c.1"))), "c.1"),
    "rnn-stacked-cell": (
        lambda: graph_of("RNN", {"cell": [lstm_cell("c"), lstm_cell("c.2")]}, (5, 4)),
        lambda: model_of((5, 4), L.RNN([L.LSTMCell(2, name="c"), L.LSTMCell(2, name="c.2")])),
        "c.2"),
    "rnn-cell-dashed": (lambda: graph_of("RNN", {"cell": lstm_cell("c-1 x")}, (5, 4)),
                        lambda: model_of((5, 4), L.RNN(L.LSTMCell(2, name="c-1 x"))), None),
}

BLOCKS = {
    "block-dense": (
        lambda: graph_of("UserBlock", {"block": "b"}, (4,), {"b": block(
            ("a.b", "Dense", {"units": 3}))}),
        lambda: model_of((4,), L.Dense(3, name="held_a.b")), "a.b"),
    "block-relu": (
        lambda: graph_of("UserBlock", {"block": "b"}, (4,), {"b": block(
            ("r.1", "ReLU", {}), ("d", "Dense", {"units": 3}))}),
        lambda: model_of((4,), lambda x: L.Dense(3, name="held_d")(L.ReLU(name="held_r.1")(x))),
        None),
    "model-block-dense": (
        lambda: graph_of("UserBlock", {"block": "b"}, (4,), {"b": block(
            ("a.b", "Dense", {"units": 3}), model=True)}),
        lambda: model_of((4,), _nested("a.b", "held")), "a.b"),
    "model-block-named-so": (
        lambda: graph_of("UserBlock", {"block": "b"}, (4,), {"b": block(
            ("d", "Dense", {"units": 3}), model=True)}),
        lambda: model_of((4,), _nested("d", "m.1")), None),
    "block-in-block": (
        lambda: graph_of("UserBlock", {"block": "outer"}, (4,), {
            "inner": block(("d", "Dense", {"units": 3})),
            "outer": block(("i.1", "UserBlock", {"block": "inner"}))}),
        lambda: model_of((4,), L.Dense(3, name="held_i.1_d")), "i.1"),
    "block-deep-dense": (
        lambda: graph_of("UserBlock", {"block": "outer"}, (4,), {
            "inner": block(("d.1", "Dense", {"units": 3})),
            "outer": block(("i", "UserBlock", {"block": "inner"}))}),
        lambda: model_of((4,), L.Dense(3, name="held_i_d.1")), "d.1"),
    "block-pipeline": (
        lambda: graph_of("UserBlock", {"block": "b"}, (4,), {"b": block(
            ("p", "Pipeline", {"layers": [dense("a.b")]}))}),
        lambda: model_of((4,), L.Pipeline([L.Dense(3, name="a.b")], name="held_p")), "a.b"),
}

CASES = {**WRAPPERS, **BLOCKS}


def fix_case(name: str):
    """A case whose fix renames its layer '_' for '.': (doc, node, the Keras model built
    with the renamed layer), as the common fix tests take it."""
    doc, node = CASES[name][0]()
    renamed = {"pipeline-dense": lambda: model_of((4,), L.Pipeline([L.Dense(3, name="a_b")])),
               "model-block-dense": lambda: model_of((4,), _nested("a_b", "held"))}[name]
    return doc, node, renamed()
