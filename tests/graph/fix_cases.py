"""The broken graphs the one-click fix tests repair: one builder per fix (and variant), each
returning the graph, the node whose issue offers the fix, and the model Keras builds for the
repaired graph (`CASES`)."""

from __future__ import annotations

import copy

import keras

from kerascanvas.graph.document import Document, Edge

from .fix_graphs import chain, merge  # noqa: F401 - the tests import them from here too
from .fix_outputs_cases import (
    activation_case,
    after_output_case,
    beside_chain_case,
    dropout_output_case,
    keyed_inputs_case,
    loss_typo_case,
    merge_of_one_case,
    open_ends_case,
    stray_case,
    unknown_param_case,
)
from .inner_name_cases import fix_case

L = keras.layers


def flatten_case():
    doc, ids = chain(("Input", {"shape": [8, 8, 3]}), ("Conv2D", {"filters": 4,
                     "kernel_size": [3, 3]}), ("RepeatVector", {"n": 2}))
    x = keras.Input((8, 8, 3))
    y = L.RepeatVector(2)(L.Flatten()(L.Conv2D(4, 3)(x)))
    return doc, ids[-1], keras.Model(x, y)


def any_size_flatten_case(sequence):
    """Images (or a sequence) of any size, flattened: the Dense after cannot be built."""
    if sequence:
        first = ("LSTM", {"units": 4, "return_sequences": True})
        doc, ids = chain(("Input", {"shape": [None, 3]}), first, ("Flatten", {}),
                         ("Dropout", {"rate": 0.5}), ("Dense", {"units": 5}))
        x = keras.Input((None, 3))
        y = L.Dense(5)(L.Dropout(0.5)(L.GlobalAveragePooling1D()(
            L.LSTM(4, return_sequences=True)(x))))
        return doc, ids[-1], keras.Model(x, y)
    doc, ids = chain(("Input", {"shape": [None, None, 3]}),
                     ("Conv2D", {"filters": 4, "kernel_size": [3, 3]}), ("Flatten", {}),
                     ("Dense", {"units": 5}))
    x = keras.Input((None, None, 3))
    y = L.Dense(5)(L.GlobalAveragePooling2D()(L.Conv2D(4, 3)(x)))
    return doc, ids[-1], keras.Model(x, y)


def momentum_case():
    doc, ids = chain(("Input", {"shape": [4]}), ("BatchNormalization", {"momentum": 0.1}),
                     ("Dense", {"units": 2}))
    x = keras.Input((4,))
    return doc, ids[-1], keras.Model(x, L.Dense(2)(L.BatchNormalization(momentum=0.9)(x)))


def percent_case():
    doc, ids = chain(("Input", {"shape": [6, 4]}), ("LSTM", {"units": 3, "dropout": 25}),
                     ("Dense", {"units": 2}))
    x = keras.Input((6, 4))
    return doc, ids[-1], keras.Model(x, L.Dense(2)(L.LSTM(3, dropout=0.25)(x)))


def choice_case():
    doc, ids = chain(("Input", {"shape": [8, 8, 1]}),
                     ("Conv2D", {"filters": 4, "kernel_size": 3, "padding": "Same"}),
                     ("Dense", {"units": 2}))
    x = keras.Input((8, 8, 1))
    return doc, ids[-1], keras.Model(x, L.Dense(2)(L.Conv2D(4, 3, padding="same")(x)))


def full_dropout_case():
    doc, ids = chain(("Input", {"shape": [6]}), ("Dropout", {"rate": 1.0}),
                     ("Dense", {"units": 2}))
    x = keras.Input((6,))
    return doc, ids[-1], keras.Model(x, L.Dense(2)(L.Dropout(0.5)(x)))


def flattened_case(kind):
    """A Flatten (a global pooling) before a layer that needs the axes it took."""
    if kind == "Flatten":
        doc, ids = chain(("Input", {"shape": [10, 8]}), ("Flatten", {}), ("LSTM", {"units": 4}))
        x = keras.Input((10, 8))
        return doc, ids[-1], keras.Model(x, L.LSTM(4)(x))
    doc, ids = chain(("Input", {"shape": [8, 8, 3]}), (kind, {}),
                     ("Conv2D", {"filters": 4, "kernel_size": [3, 3]}))
    x = keras.Input((8, 8, 3))
    return doc, ids[-1], keras.Model(x, L.Conv2D(4, 3)(x))


def gap_case():
    doc, ids = chain(("Input", {"shape": [8, 8, 3]}), ("Conv2D", {"filters": 4,
                     "kernel_size": [3, 3]}), ("Dense", {"units": 5}))
    doc.training = {"loss": "sparse_categorical_crossentropy"}  # a vector is expected
    x = keras.Input((8, 8, 3))
    y = L.Dense(5)(L.GlobalAveragePooling2D()(L.Conv2D(4, 3)(x)))
    return doc, ids[-1], keras.Model(x, y)


def projection_case(stride):
    doc, ids = chain(("Input", {"shape": [8, 8, 3]}), ("Conv2D", {
        "filters": 8, "kernel_size": [3, 3], "padding": "same", "strides": [stride, stride]}))
    out = merge(doc, "Add", [ids[1], ids[0]])
    x = keras.Input((8, 8, 3))
    a = L.Conv2D(8, 3, strides=stride, padding="same")(x)
    p = L.Conv2D(8, 1, strides=stride, use_bias=False)(x)
    return doc, out, keras.Model(x, L.Add()([a, p]))


def concat_case(crop):
    doc = Document()
    a = doc.add_node("Input", params={"shape": [9, 8, 3]}).id
    b = doc.add_node("Input", params={"shape": [6, 6, 2]}).id
    out = merge(doc, "Concatenate", [a, b])
    xa, xb = keras.Input((9, 8, 3)), keras.Input((6, 6, 2))
    if crop:
        y = L.Concatenate()([L.Cropping2D(((1, 2), (1, 1)))(xa), xb])
    else:
        y = L.Concatenate()([xa, L.ZeroPadding2D(((1, 2), (1, 1)))(xb)])
    return doc, out, keras.Model([xa, xb], y)


def sequence_merge_case(kind, crop):
    """Sequences of 10 and 13 steps merged (Concatenate on features, or Add)."""
    doc = Document()
    a = doc.add_node("Input", params={"shape": [10, 8]}).id
    b = doc.add_node("Input", params={"shape": [13, 8]}).id
    out = merge(doc, kind, [a, b])
    xa, xb = keras.Input((10, 8)), keras.Input((13, 8))
    if crop:
        pair = [xa, L.Cropping1D((1, 2))(xb)]
    else:
        pair = [L.ZeroPadding1D((1, 2))(xa), xb]
    return doc, out, keras.Model([xa, xb], getattr(L, kind)()(pair))


def single_merge_case():
    doc, ids = chain(("Input", {"shape": [6]}), ("Dense", {"units": 4}), ("Add", {}))
    x = keras.Input((6,))
    return doc, ids[-1], keras.Model(x, L.Dense(4)(x))


def two_branch(image_shape, text_shape):
    """An image branch (a conv) and a text branch joined by Concatenate: ranks differ."""
    doc, (image, conv) = chain(("Input", {"shape": list(image_shape)}),
                               ("Conv2D", {"filters": 4, "kernel_size": [3, 3]}))
    text = doc.add_node("Input", params={"shape": list(text_shape)}).id
    out = merge(doc, "Concatenate", [text, conv])
    x, t = keras.Input(image_shape), keras.Input(text_shape)
    return doc, out, x, t, L.Conv2D(4, 3)(x)


def dense_flatten_case():
    doc, ids = chain(("Input", {"shape": [8, 8, 3]}), ("Dense", {"units": 5}))
    doc.training = {"loss": "sparse_categorical_crossentropy"}
    x = keras.Input((8, 8, 3))
    return doc, ids[-1], keras.Model(x, L.Dense(5)(L.Flatten()(x)))


def merge_flatten_case():
    doc, out, x, t, conv = two_branch((8, 8, 3), (10,))
    return doc, out, keras.Model([x, t], L.Concatenate()([t, L.Flatten()(conv)]))


def merge_gap_case():
    doc, out, x, t, conv = two_branch((8, 8, 3), (10,))
    return doc, out, keras.Model([x, t], L.Concatenate()([t, L.GlobalAveragePooling2D()(conv)]))


def merge_reshape_case():
    doc, out, x, t, conv = two_branch((8, 8, 3), (72,))  # 72 = 6 * 6 * 2
    return doc, out, keras.Model([x, t], L.Concatenate()([L.Reshape((6, 6, 2))(t), conv]))


def merge_gap1d_case():
    doc = Document()
    seq = doc.add_node("Input", params={"shape": [12, 16]}).id
    vec = doc.add_node("Input", params={"shape": [5]}).id
    out = merge(doc, "Concatenate", [seq, vec])
    s, v = keras.Input((12, 16)), keras.Input((5,))
    return doc, out, keras.Model([s, v], L.Concatenate()([L.GlobalAveragePooling1D()(s), v]))


def conv_on_vector_case(kind, size, target):
    params = {"filters": 4, "kernel_size": [3] * (len(target) - 1)}
    doc, ids = chain(("Input", {"shape": [size]}), (kind, params))
    x = keras.Input((size,))
    layer = getattr(L, kind)(4, 3)
    return doc, ids[-1], keras.Model(x, layer(L.Reshape(target)(x)))


def sequence_of_rows_case(kind, params, layer):
    """A layer over sequences wired to an image: the image read as a sequence of rows."""
    doc, ids = chain(("Input", {"shape": [28, 28, 1]}), (kind, params))
    x = keras.Input((28, 28, 1))
    return doc, ids[-1], keras.Model(x, layer(L.Reshape((28, 28))(x)))


def rank_kind_case(kind, params, shape, layer):
    """A layer of the 1D/2D/3D variant that does not fit its input (Conv1D on images)."""
    doc, ids = chain(("Input", {"shape": list(shape)}), (kind, params))
    x = keras.Input(shape)
    return doc, ids[-1], keras.Model(x, layer(x))


def key_case():
    """MultiHeadAttention with its attention-mask port wired but not its key."""
    doc = Document()
    q = doc.add_node("Input", "q", {"shape": [5, 8]}).id
    v = doc.add_node("Input", "v", {"shape": [7, 8]}).id
    m = doc.add_node("Input", "m", {"shape": [5, 7], "dtype": "bool"}).id
    att = merge(doc, "MultiHeadAttention", [q, v], {"num_heads": 2, "key_dim": 4,
                                                     "attention_mask": True})
    doc.connect(Edge(m, 0, att, 3))
    inputs = [keras.Input((5, 8)), keras.Input((7, 8)), keras.Input((5, 7), dtype="bool")]
    out = L.MultiHeadAttention(2, 4)(inputs[0], inputs[1], inputs[1], attention_mask=inputs[2])
    return doc, att, keras.Model(inputs, out)


def padding_case(kind, params, layer, shape):
    """A kernel or pool window larger than its input, with padding='valid'."""
    doc, ids = chain(("Input", {"shape": list(shape)}), (kind, params))
    x = keras.Input(shape)
    return doc, ids[-1], keras.Model(x, layer(x))


def batch_axis_case(shape):
    """An Input whose shape includes the batch axis (a size, or None), into a Conv2D."""
    doc, ids = chain(("Input", {"shape": list(shape)}),
                     ("Conv2D", {"filters": 4, "kernel_size": [3, 3]}))
    x = keras.Input(tuple(shape[1:]))
    return doc, ids[-1], keras.Model(x, L.Conv2D(4, 3)(x))


def channel_axis_case(shape, kind, params, layer):
    """An Input of grey images (or a series) typed without its last axis of 1, into a layer
    that needs it."""
    doc, ids = chain(("Input", {"shape": list(shape)}), (kind, params))
    x = keras.Input((*shape, 1))
    return doc, ids[-1], keras.Model(x, layer(x))


def layout_case(shape, data_format, fixed):
    """A Conv2D reading its image in the other layout than the image has."""
    doc, ids = chain(("Input", {"shape": list(shape)}), ("Conv2D", {
        "filters": 4, "kernel_size": [3, 3], "data_format": data_format}))
    x = keras.Input(shape)
    return doc, ids[-1], keras.Model(x, L.Conv2D(4, 3, data_format=fixed)(x))


def residual_projection_case():
    doc, ids = chain(("Input", {"shape": [8, 8, 3]}), ("ResidualBlock", {"filters": 16}))
    x = keras.Input((8, 8, 3))
    y = L.BatchNormalization()(L.Conv2D(16, 3, padding="same", use_bias=False)(
        L.ReLU()(L.BatchNormalization()(L.Conv2D(16, 3, padding="same", use_bias=False)(x)))))
    p = L.BatchNormalization()(L.Conv2D(16, 1, use_bias=False)(x))
    return doc, ids[-1], keras.Model(x, L.ReLU()(L.Add()([y, p])))


TWO_OUTPUTS = """import keras


class TwoOut(keras.layers.Layer):
    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], 4), name="w")

    def call(self, x):
        y = keras.ops.matmul(x, self.w)
        return y, keras.ops.sum(y, axis=-1, keepdims=True)
"""


def custom_outputs_case():
    from kerascanvas.runtime import custom_code, trust

    doc, ids = chain(("Input", {"shape": [6]}),
                     ("CustomLayer", {"class_name": "TwoOut", "source": TWO_OUTPUTS}))
    trust.apply(doc, True)
    custom_code.resolve(doc)
    namespace: dict = {}
    exec(TWO_OUTPUTS, namespace)  # the user's class, as the user's script has it
    x = keras.Input((6,))
    return doc, ids[-1], keras.Model(x, namespace["TwoOut"](name="c")(x)[0])


def state_size_case():
    """A decoder LSTM of 12 units given the 16-unit states of its encoder."""
    doc = Document()
    src = doc.add_node("Input", params={"shape": [7, 5]}).id
    tgt = doc.add_node("Input", params={"shape": [6, 4]}).id
    enc = doc.add_node("LSTM", params={"units": 16, "return_state": True}).id
    dec = doc.add_node("LSTM", params={"units": 12, "initial_state": True}).id
    for edge in (Edge(src, 0, enc, 0), Edge(tgt, 0, dec, 0), Edge(enc, 1, dec, 1),
                 Edge(enc, 2, dec, 2)):
        doc.connect(edge)
    s, t = keras.Input((7, 5)), keras.Input((6, 4))
    _, h, c = L.LSTM(16, return_state=True)(s)
    return doc, dec, keras.Model([s, t], L.LSTM(16)(t, initial_state=[h, c]))


def bidirectional_state_size_case():
    """A Bidirectional GRU of 3 units started from two 5-wide states."""
    doc, ids = chain(("Input", {"shape": [6, 2]}), ("Dense", {"units": 5}),
                     ("GlobalAveragePooling1D", {}))
    bi = merge(doc, "Bidirectional", [ids[0], ids[2], ids[2]], {
        "layer": {"kind": "GRU", "params": {"units": 3}}, "initial_state": True})
    x = keras.Input((6, 2))
    state = L.GlobalAveragePooling1D()(L.Dense(5)(x))
    return doc, bi, keras.Model(x, L.Bidirectional(L.GRU(5))(x, initial_state=[state, state]))


def rnn_stack_state_size_case():
    """An RNN over a GRUCell and a SimpleRNNCell of 3 units, its second state 5 wide."""
    doc, ids = chain(("Input", {"shape": [6, 2]}), ("Dense", {"units": 5}),
                     ("GlobalAveragePooling1D", {}))
    first = doc.add_node("Dense", params={"units": 3}).id
    doc.connect(Edge(ids[2], 0, first, 0))
    cells = [{"kind": "GRUCell", "params": {"units": 3}},
             {"kind": "SimpleRNNCell", "params": {"units": 3}}]
    rnn = merge(doc, "RNN", [ids[0], first, ids[2]], {"cell": cells, "initial_state": True})
    x = keras.Input((6, 2))
    state = L.GlobalAveragePooling1D()(L.Dense(5)(x))
    rnn_layer = L.RNN([L.GRUCell(3), L.SimpleRNNCell(5)])
    return doc, rnn, keras.Model(x, rnn_layer(x, initial_state=[L.Dense(3)(state), state]))


def equalization_case():
    """An Equalization node, which a functional model cannot hold alone, before a head."""
    doc, ids = chain(("Input", {"shape": [8, 8, 3]}), ("Equalization", {"bins": 64}),
                     ("GlobalAveragePooling2D", {}), ("Dense", {"units": 2}))
    x = keras.Input((8, 8, 3))
    y = L.Pipeline([L.Equalization(bins=64)])(x)
    return doc, ids[3], keras.Model(x, L.Dense(2)(L.GlobalAveragePooling2D()(y)))


def residual_valid_case(kind="Add"):
    """A residual block whose branch convs keep padding='valid' (a 1x1 conv among them)."""
    doc, ids = chain(("Input", {"shape": [8, 8, 1]}), ("Conv2D", {
        "filters": 16, "kernel_size": [3, 3], "padding": "same"}))
    _, branch = chain(("Conv2D", {"filters": 16, "kernel_size": [3, 3]}),
                      ("Conv2D", {"filters": 16, "kernel_size": [1, 1]}),
                      ("Conv2D", {"filters": 16, "kernel_size": [3, 3]}), doc=doc)
    doc.connect(Edge(ids[1], 0, branch[0], 0))
    out = merge(doc, kind, [branch[-1], ids[1]])
    x = keras.Input((8, 8, 1))
    stem = L.Conv2D(16, 3, padding="same")(x)
    y = L.Conv2D(16, 3, padding="same")(stem)
    y = L.Conv2D(16, 1)(y)
    y = L.Conv2D(16, 3, padding="same")(y)
    return doc, out, keras.Model(x, getattr(L, kind)()([y, stem]))


def dotted_name_case():
    """A name torch refuses (keras.layers.Dense(3, name="a.b") fails to build on torch)."""
    doc, ids = chain(("Input", {"shape": [4]}), ("Dense", {"units": 3}))
    doc.rename(ids[-1], "a.b")
    x = keras.Input((4,))
    return doc, ids[-1], keras.Model(x, L.Dense(3, name="a_b")(x))


SEQUENTIAL_TOWER = {
    "nodes": [{"id": "r", "kind": "ResidualBlock", "name": "res1", "params": {"filters": 4}},
              {"id": "g", "kind": "GlobalAveragePooling2D", "name": "pool", "params": {}},
              {"id": "o", "kind": "Dense", "name": "embedding", "params": {"units": 2}}],
    "edges": [{"src": "r", "src_port": 0, "dst": "g", "dst_port": 0},
              {"src": "g", "src_port": 0, "dst": "o", "dst_port": 0}],
    "inputs": [[{"node": "r", "port": 0}]],
    "output": {"node": "o", "port": 0},
    "model": {"class": "Sequential", "inputs": [{"name": "tower_in"}]},
}


def sequential_block_case():
    """A Sequential nested model holding a ResidualBlock, which Keras' Sequential cannot
    list; the Functional one Keras builds."""
    doc, ids = chain(("Input", {"shape": [8, 8, 4]}))
    doc.blocks["tower"] = copy.deepcopy(SEQUENTIAL_TOWER)
    tower = doc.add_node("UserBlock", "tower", {"block": "tower"}).id
    doc.connect(Edge(ids[0], 0, tower, 0))
    inner = keras.Input((8, 8, 4), name="tower_in")
    y = L.BatchNormalization()(L.Conv2D(4, 3, padding="same", use_bias=False)(
        L.ReLU()(L.BatchNormalization()(L.Conv2D(4, 3, padding="same", use_bias=False)(inner)))))
    y = L.Dense(2)(L.GlobalAveragePooling2D()(L.ReLU()(L.Add()([y, inner]))))
    x = keras.Input((8, 8, 4))
    return doc, tower, keras.Model(x, keras.Model(inner, y, name="tower")(x))


CASES = {
    "make_nested_functional": sequential_block_case,
    "rename_torch_safe": dotted_name_case,
    "rename_inner_torch_safe-pipeline": lambda: fix_case("pipeline-dense"),
    "rename_inner_torch_safe-model": lambda: fix_case("model-block-dense"),
    "set_branch_padding_same": residual_valid_case,
    "set_branch_padding_same-concat": lambda: residual_valid_case("Concatenate"),
    "insert_flatten": flatten_case,
    "insert_flatten-dense": dense_flatten_case,
    "insert_flatten-merge": merge_flatten_case,
    "insert_gap2d": gap_case,
    "set_keras_momentum": momentum_case,
    "use_fraction": percent_case,
    "use_choice": choice_case,
    "set_usual_rate": full_dropout_case,
    "remove_flattening": lambda: flattened_case("Flatten"),
    "remove_flattening-pool": lambda: flattened_case("GlobalMaxPooling2D"),
    "flatten_to_pooling": lambda: any_size_flatten_case(sequence=False),
    "flatten_to_pooling-sequence": lambda: any_size_flatten_case(sequence=True),
    "insert_gap2d-merge": merge_gap_case,
    "insert_gap1d-merge": merge_gap1d_case,
    "insert_reshape-merge": merge_reshape_case,
    "insert_reshape-conv2d": lambda: conv_on_vector_case("Conv2D", 784, (28, 28, 1)),
    "insert_reshape-conv1d": lambda: conv_on_vector_case("Conv1D", 100, (100, 1)),
    "insert_reshape-lstm-image": lambda: sequence_of_rows_case(
        "LSTM", {"units": 8}, L.LSTM(8)),
    "insert_reshape-conv1d-image": lambda: sequence_of_rows_case(
        "Conv1D", {"filters": 4, "kernel_size": 3}, L.Conv1D(4, 3)),
    "wire_key_from_value": key_case,
    "use_rank_kind": lambda: rank_kind_case(
        "Conv1D", {"filters": 4, "kernel_size": 3}, (28, 28, 1), L.Conv2D(4, 3)),
    "use_rank_kind-pool": lambda: rank_kind_case(
        "GlobalAveragePooling2D", {}, (10, 8), L.GlobalAveragePooling1D()),
    "set_padding_same-conv2d": lambda: padding_case(
        "Conv2D", {"filters": 4, "kernel_size": [5, 5]}, L.Conv2D(4, 5, padding="same"),
        (3, 3, 1)),
    "set_padding_same-pool": lambda: padding_case(
        "MaxPooling2D", {"pool_size": [2, 2]}, L.MaxPooling2D(2, padding="same"), (1, 1, 4)),
    "set_padding_same-conv1d": lambda: padding_case(
        "Conv1D", {"filters": 2, "kernel_size": 4, "strides": 2}, L.Conv1D(2, 4, 2, padding="same"),
        (3, 5)),
    "drop_batch_axis": lambda: batch_axis_case((32, 28, 28, 1)),
    "drop_batch_axis-none": lambda: batch_axis_case((None, 8, 8, 3)),
    "add_channel_axis": lambda: channel_axis_case(
        (28, 28), "Conv2D", {"filters": 4, "kernel_size": [3, 3]}, L.Conv2D(4, 3)),
    "add_channel_axis-lstm": lambda: channel_axis_case((12,), "LSTM", {"units": 3}, L.LSTM(3)),
    "add_channel_axis-pool": lambda: channel_axis_case(
        (8, 8), "MaxPooling2D", {}, L.MaxPooling2D()),
    "set_channels_last": lambda: layout_case((28, 28, 1), "channels_first", "channels_last"),
    "set_channels_first": lambda: layout_case((1, 28, 28), "channels_last", "channels_first"),
    "insert_projection": lambda: projection_case(1),
    "insert_projection-strided": lambda: projection_case(2),
    "insert_cropping": lambda: concat_case(crop=True),
    "insert_padding": lambda: concat_case(crop=False),
    "insert_cropping1d": lambda: sequence_merge_case("Concatenate", crop=True),
    "insert_padding1d": lambda: sequence_merge_case("Concatenate", crop=False),
    "insert_cropping1d-add": lambda: sequence_merge_case("Add", crop=True),
    "insert_padding1d-add": lambda: sequence_merge_case("Add", crop=False),
    "set_use_projection": residual_projection_case,
    "remove_node": single_merge_case,
    "set_custom_outputs": custom_outputs_case,
    "set_state_size": state_size_case,
    "set_state_size-bidirectional": bidirectional_state_size_case,
    "set_state_size-rnn-stack": rnn_stack_state_size_case,
    "mark_open_ends": open_ends_case,
    "hold_in_pipeline": equalization_case,
    "set_softmax": lambda: activation_case(3, "relu", "sparse_categorical_crossentropy",
                                           "softmax"),
    "set_sigmoid": lambda: activation_case(1, "relu", "binary_crossentropy", "sigmoid"),
    "set_linear": lambda: activation_case(
        4, "softmax", {"name": "SparseCategoricalCrossentropy", "from_logits": True}, "linear"),
    "set_linear-sigmoid": lambda: activation_case(
        1, "sigmoid", {"name": "bce", "from_logits": True}, "linear"),
    "use_binary_loss": lambda: activation_case(1, "sigmoid", "sparse_categorical_crossentropy",
                                               "sigmoid"),
    "use_logits": lambda: activation_case(4, "linear", "sparse_categorical_crossentropy",
                                          "linear"),
    "use_logits-binary": lambda: activation_case(
        1, "linear", {"name": "binary_crossentropy", "label_smoothing": 0.1}, "linear"),
    "remove_node-dropout": dropout_output_case,
    "use_suggested_name": loss_typo_case,
    "wire_from_open_end": stray_case,
    "wire_from_open_end-merge": merge_of_one_case,
    "move_output_here": after_output_case,
    "splice_into_wire": beside_chain_case,
    "drop_param": unknown_param_case,
    "use_free_key": lambda: keyed_inputs_case(["b", "b"]),
    "name_input_as_key": lambda: keyed_inputs_case(["a", "features"]),
}
