"""The broken graphs of the fixes of outputs, losses, settings and wiring (an output left
unmarked, an activation that does not suit its loss, a stray or misplaced layer, a dict
key): each builder returns the graph, the node whose issue offers the fix, and the model
Keras builds for the repaired graph. `fix_cases.CASES` lists them with the others."""

from __future__ import annotations

import keras

from kerascanvas.graph.document import Document, Edge

from .fix_graphs import chain, merge

L = keras.layers


def open_ends_case():
    """A CNN built and wired, but no node marked as the model's output."""
    doc, ids = chain(("Input", {"shape": [8, 8, 3]}),
                     ("Conv2D", {"filters": 4, "kernel_size": [3, 3]}),
                     ("GlobalAveragePooling2D", {}), ("Dense", {"units": 10}))
    x = keras.Input((8, 8, 3))
    y = L.Dense(10)(L.GlobalAveragePooling2D()(L.Conv2D(4, 3)(x)))
    return doc, None, keras.Model(x, y)  # None: the outputs are left unmarked


def activation_case(units, activation, loss, fixed):
    """An output whose final activation does not suit its loss (`fixed`: the one it gets)."""
    doc, ids = chain(("Input", {"shape": [6]}), ("Dense", {"units": units,
                                                           "activation": activation}))
    doc.training = {"loss": loss}
    x = keras.Input((6,))
    return doc, ids[-1], keras.Model(x, L.Dense(units, activation=fixed)(x))


def dropout_output_case():
    """A Dropout left as the model output."""
    doc, ids = chain(("Input", {"shape": [6]}), ("Dense", {"units": 4, "activation": "softmax"}),
                     ("Dropout", {"rate": 0.5}))
    x = keras.Input((6,))
    return doc, ids[-1], keras.Model(x, L.Dense(4, activation="softmax")(x))


def loss_typo_case():
    """A mistyped loss name."""
    doc, ids = chain(("Input", {"shape": [6]}), ("Dense", {"units": 4, "activation": "softmax"}))
    doc.training = {"loss": "sparse_categorical_crossentopy"}
    x = keras.Input((6,))
    return doc, ids[-1], keras.Model(x, L.Dense(4, activation="softmax")(x))


def stray_case():
    """A Dense dropped under an Input and never wired."""
    doc = Document()
    x = doc.add_node("Input", params={"shape": [6]}).id
    dense = doc.add_node("Dense", params={"units": 4}).id
    doc.set_position(x, (0.0, 0.0))
    doc.set_position(dense, (10.0, 120.0))
    inputs = keras.Input((6,))
    return doc, dense, keras.Model(inputs, L.Dense(4)(inputs))


def merge_of_one_case():
    """Two branches, the second left unwired into the Concatenate meant to join them."""
    doc = Document()
    x = doc.add_node("Input", params={"shape": [6]}).id
    a = doc.add_node("Dense", params={"units": 4}).id
    b = doc.add_node("Dense", params={"units": 3}).id
    cat = doc.add_node("Concatenate").id
    for src, dst, port in ((x, a, 0), (x, b, 0), (a, cat, 0)):
        doc.connect(Edge(src, 0, dst, port))
    inputs = keras.Input((6,))
    joined = L.Concatenate()([L.Dense(4)(inputs), L.Dense(3)(inputs)])
    return doc, cat, keras.Model(inputs, joined)


def after_output_case():
    """A softmax added after the model's output layer, feeding nothing."""
    doc, ids = chain(("Input", {"shape": [6]}), ("Dense", {"units": 4}),
                     ("Activation", {"activation": "softmax"}))
    x = keras.Input((6,))
    return doc, ids[1], keras.Model(x, L.Activation("softmax")(L.Dense(4)(x)))


def beside_chain_case():
    """A BatchNormalization added after a Conv2D that feeds a pooling layer already: wired
    from the Conv2D, feeding nothing."""
    doc, ids = chain(("Input", {"shape": [8, 8, 3]}), ("Conv2D", {"filters": 4,
                     "kernel_size": [3, 3]}), ("MaxPooling2D", {}), ("Flatten", {}),
                     ("Dense", {"units": 2}))
    norm = doc.add_node("BatchNormalization").id
    doc.connect(Edge(ids[1], 0, norm, 0))
    x = keras.Input((8, 8, 3))
    y = L.BatchNormalization()(L.Conv2D(4, 3)(x))
    return doc, ids[-1], keras.Model(x, L.Dense(2)(L.Flatten()(L.MaxPooling2D()(y))))


def unknown_param_case():
    """A hand-edited file's Dense with a param Dense has not (`kernel_size`)."""
    doc, ids = chain(("Input", {"shape": [6]}), ("Dense", {"units": 4, "kernel_size": 3}))
    x = keras.Input((6,))
    return doc, ids[-1], keras.Model(x, L.Dense(4)(x))


def keyed_inputs_case(keys):
    """Two Inputs in a dict keyed as `keys` says (a key used twice, or one that is not the
    Input's name), concatenated into a Dense."""
    doc = Document()
    a = doc.add_node("Input", "a", {"shape": [3]}).id
    b = doc.add_node("Input", "b", {"shape": [2]}).id
    cat = merge(doc, "Concatenate", [a, b])
    out = doc.add_node("Dense", params={"units": 4}).id
    doc.connect(Edge(cat, 0, out, 0))
    doc.input_keys = dict(zip([a, b], keys, strict=True))
    x, y = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    return doc, out, keras.Model({"a": x, "b": y}, L.Dense(4)(L.Concatenate()([x, y])))
