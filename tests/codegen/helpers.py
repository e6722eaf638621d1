"""Documents for the codegen tests: examples, one per LayerSpec sample, and hand-made graphs."""

from __future__ import annotations

from pathlib import Path

import pytest

from kerascanvas.graph import LAYER_SPECS
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.project import Project
from kerascanvas.graph.validate import analyze

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "resources" / "examples"
EXAMPLES = sorted(p.stem for p in EXAMPLES_DIR.glob("*.json"))


def example(name: str) -> Document:
    return Project.open(EXAMPLES_DIR / f"{name}.json").doc


def add(doc: Document, kind: str, name: str, params: dict | None = None, inputs=()) -> str:
    """Add a node fed by `inputs` (node ids, or (id, port) pairs) on ports 0, 1, ..."""
    node = doc.add_node(kind, name, params or {})
    for port, src in enumerate(inputs):
        src_id, src_port = src if isinstance(src, tuple) else (src, 0)
        doc.connect(Edge(src_id, src_port, node.id, port))
    return node.id


def add_input(doc: Document, name: str, shape) -> str:
    """An Input for a batch-first shape: a fixed batch becomes batch_size."""
    params = {"shape": list(shape[1:])}
    if shape[0] is not None:
        params["batch_size"] = shape[0]
    return add(doc, "Input", name, params)


def sample_doc(kind: str, index: int) -> Document:
    """Inputs shaped as the sample's input shapes, then the layer with the sample's params."""
    sample = LAYER_SPECS[kind].samples[index]
    doc = Document()
    if kind == "Input":
        doc.outputs = [add(doc, "Input", "only", dict(sample.params))]
        return doc
    sources = [add_input(doc, f"in_{i}", shape) for i, shape in enumerate(sample.inputs)]
    doc.outputs = [add(doc, kind, f"{kind.lower()}_layer", dict(sample.params), sources)]
    return doc


def _sample_cases(valid: bool) -> list:
    # Some samples are refusal cases for the spec tests; analyze tells them apart.
    # Each kind's first sample builds in the default suite, the rest in the slow one:
    # building every sample of 118 kinds with Keras takes minutes.
    return [pytest.param(kind, i, marks=pytest.mark.slow if i else ())
            for kind, spec in LAYER_SPECS.items() for i in range(len(spec.samples))
            if analyze(sample_doc(kind, i)).valid == valid]


SAMPLE_CASES = _sample_cases(valid=True)
INVALID_SAMPLE_CASES = _sample_cases(valid=False)


def block_doc(kind: str, params: dict, shape=(None, 16, 16, 8)) -> Document:
    """Input -> block -> global pooling -> Dense, so the block sits inside a model."""
    doc = Document()
    x = add_input(doc, "image", shape)
    b = add(doc, kind, "blk", params, [x])
    p = add(doc, "GlobalAveragePooling2D", "pool", {}, [b])
    doc.outputs = [add(doc, "Dense", "head", {"units": 3, "activation": "softmax"}, [p])]
    return doc


BLOCK_CASES = {
    "residual": ("ResidualBlock", {"filters": 8}),
    "residual_projection": ("ResidualBlock", {"filters": 16, "stride": 2, "use_projection": True}),
    "bottleneck": ("BottleneckBlock", {"filters": 16, "stride": 2, "expansion": 2}),
    "bottleneck_same": ("BottleneckBlock", {"filters": 8}),
    "inception": ("InceptionModule", {"filters": 4}),
    "dense_block": ("DenseBlock", {"num_layers": 2, "growth_rate": 4}),
    "transition": ("TransitionLayer", {"compression": 0.25}),
}


def merges_doc() -> Document:
    """Two inputs through every merge kind, with two outputs and an attention layer."""
    doc = Document()
    a, b = add_input(doc, "a", (None, 6, 8)), add_input(doc, "b", (None, 6, 8))
    merged = [add(doc, kind, kind.lower(), {}, [a, b])
              for kind in ("Add", "Subtract", "Multiply", "Average", "Maximum")]
    cat = add(doc, "Concatenate", "cat", {"axis": -1}, merged)
    att = add(doc, "MultiHeadAttention", "att", {"num_heads": 2, "key_dim": 4}, [cat, b, a])
    lstm = add(doc, "LSTM", "lstm", {"units": 5, "return_state": True}, [att])
    state = add(doc, "Concatenate", "states", {}, [(lstm, 1), (lstm, 2)])
    doc.outputs = [add(doc, "Dense", "score", {"units": 1}, [lstm]), state]
    return doc


HOSTILE_NAMES = ["class", "my layer", "x'y\"z", "名前", "__import__('os')", "1st", "None",
                 "self", "model", "fit", "inputs", "a\\b\n", "'''", "x", "keras", "layers"]


def hostile_doc() -> Document:
    """A chain whose node names are valid Keras names but awkward Python."""
    doc = Document()
    src = add(doc, "Input", HOSTILE_NAMES[0], {"shape": [4]})
    for name in HOSTILE_NAMES[1:]:
        src = add(doc, "Dense", name, {"units": 3}, [src])
    doc.outputs = [src]
    return doc


def non_default_doc() -> Document:
    """Many kinds with many non-default params of every param type."""
    doc = Document()
    x = add_input(doc, "img", (None, 12, 12, 3))
    c = add(doc, "Conv2D", "conv", {
        "filters": 4, "kernel_size": [3, 2], "strides": 1, "padding": "same",
        "dilation_rate": [1, 2], "activation": "gelu", "use_bias": False,
        "kernel_initializer": "he_normal", "kernel_regularizer": "l2",
        "activity_regularizer": "l1", "kernel_constraint": "non_neg"}, [x])
    n = add(doc, "BatchNormalization", "bn", {"momentum": 0.9, "epsilon": 0.01,
                                               "center": False}, [c])
    z = add(doc, "ZeroPadding2D", "pad", {"padding": [[1, 0], [2, 3]]}, [n])
    p = add(doc, "MaxPooling2D", "pool", {"pool_size": 3, "strides": [2, 1]}, [z])
    r = add(doc, "Reshape", "reshape", {"target_shape": [-1, 4]}, [p])
    ln = add(doc, "LayerNormalization", "ln", {"axis": [1, 2], "epsilon": 1e-5}, [r])
    g = add(doc, "GRU", "gru", {"units": 3, "return_sequences": True, "dropout": 0.1,
                                "reset_after": False, "recurrent_initializer": "glorot_normal"},
            [ln])
    d = add(doc, "Dropout", "drop", {"rate": 0.25, "noise_shape": [None, 1, 3], "seed": 7}, [g])
    f = add(doc, "Flatten", "flat", {}, [d])
    doc.outputs = [add(doc, "Dense", "out", {"units": 2, "activation": "sigmoid",
                                             "bias_initializer": "ones"}, [f])]
    return doc


def keras_layer_doc() -> Document:
    """A KerasLayer node (a layer kept as class and config) with a call template."""
    doc = Document()
    x = add_input(doc, "x", (None, 4))
    initializer = {"module": "keras.initializers", "class_name": "Orthogonal",
                   "config": {"gain": 2.0, "seed": 3}, "registered_name": None}
    doc.outputs = [add(doc, "KerasLayer", "kept", {
        "class_name": "Dense", "module": "keras.layers",
        "config": {"units": 3, "activation": "tanh", "kernel_initializer": initializer},
        "call": {"args": [{"__input__": 0}], "kwargs": {"training": False}},
        "output_shapes": [{"inputs": [[None, 4]], "outputs": [[None, 3]]}],
        "count": [15, 0]}, [x])]
    return doc


def operations_doc() -> Document:
    """keras.ops calls: a convolution by a kernel tensor, a submodule's function, nested
    lists, pooling, and operations of several outputs (unstack's six outputs unpack on
    one line too long to fit). The conv, resize and pool hold channels_last as an
    imported model's operations do (Keras stores the format it resolved)."""
    from kerascanvas.graph.document import output_entry

    doc = Document()
    image = add_input(doc, "image", (None, 8, 8, 3))
    kernel = add_input(doc, "kernel", (3, 3, 3, 5))
    layout = {"data_format": "channels_last"}
    conv = add(doc, "ops.conv", "conv", {"padding": "same", **layout}, [image, kernel])
    resized = add(doc, "ops.image.resize", "resize", {"size": [4, 4], **layout}, [conv])
    pooled = add(doc, "ops.max_pool", "pool", {"pool_size": 1, **layout}, [resized])
    padded = add(doc, "ops.pad", "pad", {"pad_width": [[0, 0], [1, 1], [1, 1], [0, 0]]},
                 [pooled])
    top = add(doc, "ops.top_k", "top_k", {"k": 2}, [padded])
    rows = add(doc, "ops.unstack", "rows", {"num": 6, "axis": 1}, [top])
    doc.set_outputs([top, output_entry(top, 1), rows])
    return doc


def long_named_doc() -> Document:
    """Names of 40-60 characters: a merge of four tensors, operations of several outputs
    (split, top_k) and one of one (mean), each a model output; every line they make
    would pass the limit unwrapped, most of all under mixed precision (their casts)."""
    from kerascanvas.graph.document import output_entry

    doc = Document()
    x = add_input(doc, "a_rather_long_input_tensor_name_for_the_test", (None, 4, 6))
    dense = [add(doc, "Dense", f"a_long_dense_layer_name_number_{i}", {"units": 6}, [x])
             for i in range(4)]
    joined = add(doc, "Concatenate", "the_four_dense_layers_joined", {}, dense)
    split = add(doc, "ops.split", "a_very_long_operation_name_that_splits_things_apart",
                {"indices_or_sections": 3, "axis": -1}, [joined])
    top = add(doc, "ops.top_k", "a_very_long_operation_name_that_takes_the_top_k", {"k": 2},
              [x])
    mean = add(doc, "ops.mean", "a_very_long_operation_name_that_averages_things_over_rows",
               {"axis": 1, "keepdims": True}, [joined])
    doc.set_outputs([split, output_entry(split, 1), output_entry(split, 2), top,
                     output_entry(top, 1), mean])
    return doc


GRAPHS = {"merges": merges_doc, "operations": operations_doc, "hostile": hostile_doc,
          "non_default": non_default_doc, "keras_layer": keras_layer_doc}
GRAPHS.update({name: (lambda k=k, p=p: block_doc(k, p)) for name, (k, p) in BLOCK_CASES.items()})
