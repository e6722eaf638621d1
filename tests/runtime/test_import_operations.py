"""Operations imported as nodes of their own: for every operation kind, a Keras model made
of its samples' keras.ops calls imports as nodes of that kind (no KerasLayer), with Keras'
shapes, and both rebuilds (runtime build, generated code) give the model's outputs and
operations (names, classes and configs) again. Elementwise ops on float32 tensors of one
rank become merge layers. ConvNeXtTiny (its adds) is the slow end-to-end case."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerascanvas.codegen import generate  # noqa: E402
from kerascanvas.graph.layers.op_integers import ONE, TWO  # noqa: E402
from kerascanvas.graph.projectfile import from_dict, to_dict  # noqa: E402
from kerascanvas.graph.spec import LAYER_SPECS  # noqa: E402
from kerascanvas.graph.training import output_names  # noqa: E402
from kerascanvas.graph.validate import analyze  # noqa: E402
from kerascanvas.runtime.build import build_model  # noqa: E402
from kerascanvas.runtime.export import export_keras  # noqa: E402
from kerascanvas.runtime.importer import import_file, import_model_report  # noqa: E402
from tests.ops_ref import keras_call  # noqa: E402
from tests.roundtrip import (  # noqa: E402
    as_saved,
    assert_rebuild_equal,
    assert_same_operations,
    assert_shapes_match_keras,
    exec_generated,
)

OPERATIONS = sorted(k for k, s in LAYER_SPECS.items() if s.category == "Operations")
# Two float32 tensors of one rank: the op is this merge layer's very computation.
MERGES = {"ops.add": "Add", "ops.subtract": "Subtract", "ops.multiply": "Multiply",
          "ops.maximum": "Maximum", "ops.minimum": "Minimum", "ops.concatenate": "Concatenate"}


# The kinds whose every input is an integer tensor (torch refuses floats).
INTEGER_KINDS = [f"ops.{f}" for f in (*TWO, *ONE)]
# Inputs that Keras wants as integers: (kind, port) -> dtype; their data lie in [0, 3),
# within every axis the samples index.
INT_PORTS = {("ops.take", 1): "int32", ("ops.take_along_axis", 1): "int32",
             ("ops.one_hot", 0): "int32", ("ops.sparse_categorical_crossentropy", 0): "int32",
             **{(kind, port): "int32" for kind in INTEGER_KINDS for port in (0, 1)}}
# Inputs whose data lie in [0, 1) (probabilities), marked by the end of their name.
UNIT = "_unit"
UNIT_PORTS = {("ops.binary_crossentropy", 0): UNIT}
# Inputs whose data are symmetric positive-definite matrices (a Cholesky factor exists).
SPD = "_spd"
SPD_PORTS = {("ops.cholesky", 0): SPD}


def samples_model(kind):
    """One output per sample of `kind`, each on Inputs of the sample's shapes (inputs
    positive, so log and sqrt stay finite)."""
    inputs, outputs = [], []
    for i, sample in enumerate(LAYER_SPECS[kind].samples):
        mine = [keras.Input(batch_shape=s, name=f"in{i}_{j}" + UNIT_PORTS.get((kind, j), "")
                            + SPD_PORTS.get((kind, j), ""),
                            dtype=INT_PORTS.get((kind, j), "float32"))
                for j, s in enumerate(sample.inputs)]
        inputs += mine
        out = keras_call(kind, dict(sample.params), mine)
        out = list(out) if isinstance(out, list | tuple) else [out]
        # named apart from the ports of other samples' outputs (split, split_1...)
        out[0]._keras_history.operation.name = f"{kind[4:].replace('.', '_')}_s{i}"
        outputs += out
    return keras.Model(inputs, outputs, name="ops")


def data_for(model, seed=0):
    """Ints in [0, 3); floats in [0.5, 1.5), or [0, 1) for an input named as UNIT_PORTS',
    or a @ a^T + n I for one named as SPD_PORTS'."""
    rng = np.random.default_rng(seed)
    shapes = [(3, *t.shape[1:]) if t.shape[0] is None else t.shape for t in model.inputs]
    data = [rng.integers(0, 3, s).astype(t.dtype) if "int" in t.dtype
            else rng.uniform(*(0.0, 1.0) if t.name.endswith(UNIT) else (0.5, 1.5),
                             s).astype("float32")
            for s, t in zip(shapes, model.inputs, strict=True)]
    return [a @ np.swapaxes(a, -1, -2) + a.shape[-1] * np.eye(a.shape[-1], dtype=a.dtype)
            if t.name.endswith(SPD) else a for a, t in zip(data, model.inputs, strict=True)]


def assert_same_outputs(model, rebuilt):
    """Equal outputs, of the same dtypes."""
    data = data_for(model)
    data = data[0] if len(data) == 1 else data
    for want, got in zip(model(data), rebuilt(data), strict=True):
        want, got = keras.ops.convert_to_numpy(want), keras.ops.convert_to_numpy(got)
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got.astype("float64"), want.astype("float64"), rtol=1e-5,
                                   atol=1e-6)


@pytest.mark.parametrize("kind", OPERATIONS)
def test_operation_imports_as_its_kind_and_round_trips(kind):
    model = samples_model(kind)
    report = import_model_report(model)
    assert report.generic == {}
    kinds = [n.kind for n in report.doc.nodes.values() if n.kind != "Input"]
    assert kinds[0] == MERGES.get(kind, kind)  # the first sample: two tensors of one rank
    assert set(kinds[1:]) <= {kind}
    assert_shapes_match_keras(report.doc, model)
    doc = from_dict(json.loads(json.dumps(to_dict(report.doc))))  # through a project file
    for rebuilt in (build_model(doc, name="ops"), exec_generated(doc, model_name="ops")):
        assert rebuilt.count_params() == model.count_params() == 0
        assert_same_outputs(model, rebuilt)
        assert op_names(rebuilt) == op_names(model)  # the node names, not Keras' own
        assert_same_operations(model, rebuilt, same=as_saved)  # classes and configs


def op_names(model) -> list[str]:
    return [op.name for op in model.operations if not isinstance(op, keras.layers.InputLayer)]


def test_operation_names_survive_export_and_import_again(tmp_path):
    """import -> .keras export -> import: the same nodes, names and code; the exported
    model's summary names the operations as the canvas does. Two splits, `split` and
    `split_1`, with both ports of each a model output: the first one's port 1 cannot be
    named `split_1`, so it is `split_output_1`."""
    x = keras.Input((4, 6), name="x")
    splits = [keras.ops.split(x, 2, axis=-1), keras.ops.split(x, 2, axis=1)]
    for name, parts in zip(["split", "split_1"], splits, strict=True):
        parts[0]._keras_history.operation.name = name  # Keras numbers by the process
    (first, second), (third, fourth) = splits
    values, indices = keras.ops.top_k(x, 2)
    out = [keras.ops.argmax(first, axis=-1), keras.ops.where(second > 0.5, second, 0.0),
           x[:, 0] * 2.0, second, third, fourth, values, indices]
    doc = import_model_report(keras.Model(x, out, name="ops")).doc
    assert output_names(doc)[3:6] == ["split_output_1", "split_1", "split_1_1"]
    assert analyze(doc).valid
    export_keras(doc, tmp_path / "ops.keras")
    exported = keras.saving.load_model(tmp_path / "ops.keras", safe_mode=True)
    names = sorted(n.name for n in doc.nodes.values())
    assert sorted(["x", *op_names(exported)]) == names
    again = import_file(tmp_path / "ops.keras")
    assert sorted(n.name for n in again.nodes.values()) == names
    assert output_names(again) == output_names(doc)
    assert generate(again) == generate(doc)


@pytest.mark.slow
def test_every_kind_survives_export_and_import_again(tmp_path):
    """import -> .keras export -> import of one model holding every kind's first sample:
    the same nodes (names and kinds), model output names and code. Keras numbers the
    operations' names, so several splits and unstacks name ports as other nodes. About
    10 s, nearly all in Keras (building and saving 140 operations, loading them back);
    the default suite has the two-splits case above."""
    inputs, outputs = [], []
    for kind in OPERATIONS:
        sample = LAYER_SPECS[kind].samples[0]
        mine = [keras.Input(batch_shape=s, dtype=INT_PORTS.get((kind, j), "float32"))
                for j, s in enumerate(sample.inputs)]
        out = keras_call(kind, dict(sample.params), mine)
        inputs += mine
        outputs += list(out) if isinstance(out, list | tuple) else [out]
    doc = import_model_report(keras.Model(inputs, outputs, name="ops")).doc
    export_keras(doc, tmp_path / "ops.keras")
    again = import_file(tmp_path / "ops.keras")
    assert sorted((n.name, n.kind) for n in again.nodes.values()) == \
        sorted((n.name, n.kind) for n in doc.nodes.values())
    assert output_names(again) == output_names(doc)
    assert len(set(output_names(doc))) == len(outputs)
    assert generate(again) == generate(doc)


def test_generated_code_calls_keras_ops_readably():
    x = keras.Input((4, 6), name="x")
    y = keras.Input((4, 6), name="y")
    out = [keras.ops.mean(x, axis=1), 1.0 - x, x[:, None, 1:3], x + y,
           keras.ops.transpose(x, (0, 2, 1)), keras.ops.concatenate([x, y], axis=1)]
    code = generate(import_model_report(keras.Model([x, y], out)).doc)
    # Keras numbers the operations' names (add_3) by what the process made before
    for line in (r"mean\w* = named_op\(keras\.ops\.mean\(x, axis=1\), 'mean\w*'\)",
                 r"subtract\w* = named_op\(keras\.ops\.subtract\(1\.0, x\), 'subtract\w*'\)",
                 r"get_item\w* = named_op\(x\[:, None, 1:3\], 'get_item\w*'\)",
                 r"add\w* = layers\.Add\(name='add\w*'\)\(\[x, y\]\)",
                 r"transpose\w* = named_op\(keras\.ops\.transpose\(x, axes=\(0, 2, 1\)\), ",
                 r"layers\.Concatenate\(axis=1, name='concatenate\w*'\)\(\[x, y\]\)"):
        assert re.search(line, code), line
    assert "deserialize_keras_object" not in code
    subclass = generate(import_model_report(keras.Model([x, y], out)).doc, style="subclass")
    assert "keras.ops.mean(x, axis=1)" in subclass


def test_activation_functions_on_tensors_become_operation_nodes():
    """keras.ops.relu, and keras.activations.gelu and .softmax called on a tensor (they
    call keras.ops; keras.activations.relu makes an operation of its own: a KerasLayer)."""
    x = keras.Input((4, 6), name="x")
    model = keras.Model(x, [keras.ops.relu(x), keras.activations.gelu(x),
                            keras.activations.softmax(x, axis=1)])
    report = import_model_report(model)
    kinds = sorted(n.kind for n in report.doc.nodes.values() if n.kind != "Input")
    assert report.generic == {} and kinds == ["ops.gelu", "ops.relu", "ops.softmax"]
    assert_same_outputs(model, exec_generated(report.doc))


def test_call_keywords_become_params_unless_they_hold_tensors():
    """ops.pad's constant_values and attention's scale are keywords of the call (not of
    the operation's config): they become params; mask=None is no mask; a mask tensor
    keeps the call a KerasLayer node, whose report says why."""
    q = keras.Input((5, 2, 4), name="q")
    mask = keras.Input((2, 5, 5), dtype="bool", name="mask")
    out = [keras.ops.pad(q, [[0, 0], [1, 1], [0, 0], [0, 0]], constant_values=2.0),
           keras.ops.dot_product_attention(q, q, q, scale=0.5, mask=None),
           keras.ops.dot_product_attention(q, q, q, mask=mask)]
    report = import_model_report(keras.Model([q, mask], out))
    nodes = {n.kind: n for n in report.doc.nodes.values()}
    assert nodes["ops.pad"].params["constant_values"] == 2.0
    assert nodes["ops.dot_product_attention"].params == {"scale": 0.5}
    assert nodes["KerasLayer"].params["class_name"] == "DotProductAttention"
    assert "mask" in next(iter(report.generic.values()))


def test_ops_a_merge_layer_would_change_stay_operations():
    """Other ranks (numpy broadcasting), integer tensors, one input: keras.ops nodes."""
    x = keras.Input((4, 6), name="x")
    ids = keras.Input((4,), dtype="int32", name="ids")
    out = [x + keras.ops.mean(x, axis=(0, 1)), ids * ids, keras.ops.concatenate([x], axis=1)]
    model = keras.Model([x, ids], out)
    report = import_model_report(model)
    kinds = sorted(n.kind for n in report.doc.nodes.values() if n.kind != "Input")
    assert kinds == ["ops.add", "ops.concatenate", "ops.mean", "ops.multiply"]
    data = [np.ones((2, 4, 6), "float32"), np.arange(8, dtype="int32").reshape(2, 4)]
    for rebuilt in (build_model(report.doc), exec_generated(report.doc)):
        for want, got in zip(model(data), rebuilt(data), strict=True):
            assert keras.ops.convert_to_numpy(got).dtype == keras.ops.convert_to_numpy(want).dtype
            np.testing.assert_array_equal(keras.ops.convert_to_numpy(got),
                                          keras.ops.convert_to_numpy(want))


def vit_like():
    """Patches by a strided conv, flattened with ops.reshape, transformer blocks whose
    residuals are `x + y`, a scaled `x * 0.5` branch, and ops.mean as the pooling."""
    x = keras.Input((16, 16, 3), name="image")
    t = keras.ops.reshape(keras.layers.Conv2D(32, 4, strides=4, name="patches")(x),
                          (-1, 16, 32))
    for i in range(2):
        h = keras.layers.LayerNormalization(name=f"ln{i}")(t)
        t = t + keras.layers.MultiHeadAttention(2, 16, name=f"mha{i}")(h, h)
        h = keras.layers.Dense(64, activation="gelu", name=f"mlp{i}_up")(t)
        t = t + keras.layers.Dense(32, name=f"mlp{i}_down")(h) * 0.5
    return keras.Model(x, keras.layers.Dense(10, name="head")(keras.ops.mean(t, axis=1)))


def test_vit_like_model_round_trips_with_its_weights():
    model = vit_like()
    report = import_model_report(model)
    assert report.generic == {}
    kinds = [n.kind for n in report.doc.nodes.values()]
    assert kinds.count("Add") == 4 and kinds.count("ops.multiply") == 2
    assert {"ops.reshape", "ops.mean"} <= set(kinds)
    assert_shapes_match_keras(report.doc, model)
    for rebuilt in (build_model(report.doc, name=model.name),
                    exec_generated(report.doc, model_name=model.name)):
        assert_rebuild_equal(model, rebuilt)  # counts, layers, outputs with copied weights


@pytest.mark.slow
def test_convnext_tiny_adds_become_add_nodes_and_round_trip():
    model = keras.applications.ConvNeXtTiny(weights=None, include_top=True)
    report = import_model_report(model)
    adds = [n for n in report.doc.nodes.values() if n.name.startswith("add")]
    assert len(adds) == 18 and {n.kind for n in adds} == {"Add"}
    assert not any(n.params.get("module") == "keras.src.ops.numpy"
                   for n in report.doc.nodes.values() if n.kind == "KerasLayer")
    assert_shapes_match_keras(report.doc, model)
    for rebuilt in (build_model(report.doc, name=model.name),
                    exec_generated(report.doc, model_name=model.name)):
        assert_rebuild_equal(model, rebuilt)


@pytest.mark.parametrize("style", ["functional", "subclass"])
def test_an_operation_output_is_float32_under_mixed_precision(style):
    """As output layers are: both the runtime build and the code cast it."""
    from kerascanvas.runtime import precision

    x = keras.Input((4, 6), name="x")
    model = keras.Model(x, keras.ops.mean(keras.layers.Dense(3, name="d")(x), axis=1))
    doc = import_model_report(model).doc
    doc.training["mixed_precision"] = "mixed_float16"
    with precision.precision_scope("mixed_float16"):
        built = build_model(doc, dtypes=precision.output_dtype_overrides(doc))
    code = generate(doc, style=style)
    # d's tensor, read once by the mean, is the chain's variable: `x_1` (the input is x)
    mean = "keras.ops.mean(x_1, axis=1)" if style == "subclass" \
        else f"named_op(keras.ops.mean(x_1, axis=1), {doc.nodes[doc.outputs[0]].name!r})"
    assert f"keras.ops.cast({mean}, 'float32')" in code
    namespace: dict = {}
    exec(compile(code, "<generated>", "exec"), namespace)  # noqa: S102
    written = namespace["build_model"]()
    data = np.ones((2, 4, 6), "float32")
    for rebuilt in (built, written):
        assert rebuilt.get_layer("d").compute_dtype == "float16"
        assert keras.ops.convert_to_numpy(rebuilt(data)).dtype == np.float32


def test_operations_in_a_user_block_are_named_alike_by_both_builds():
    """Inside a block helper an operation is named after its instance, as its layers are."""
    from kerascanvas.graph import userblock_commands as ubc
    from kerascanvas.graph.commands import UndoStack
    from kerascanvas.graph.document import Document
    from tests.codegen.helpers import add, add_input

    doc = Document()
    x = add_input(doc, "x", (None, 4, 6))
    mean = add(doc, "ops.mean", "m", {"axis": 1}, [x])
    dense = add(doc, "Dense", "d", {"units": 3}, [mean])
    doc.outputs = [add(doc, "ops.multiply", "scale", {"constant": 2.0}, [dense])]
    ubc.make_block(doc, UndoStack(), [mean, dense], "pool_dense", {})
    built, written = build_model(doc), exec_generated(doc)
    assert op_names(built) == op_names(written) == ["pool_dense_m", "pool_dense_d", "scale"]


def test_output_casts_under_mixed_precision_are_named_after_their_node():
    """Keras would name the float32 cast of an output operation `cast_<n>`, which may be a
    node's name: it is `<node>_float32` (`_<i>` for each of a split's outputs), in both
    builds, and an ops.cast node keeps its own dtype and name."""
    from kerascanvas.graph.document import Document
    from kerascanvas.runtime import precision
    from tests.codegen.helpers import add, add_input

    doc = Document()
    x = add_input(doc, "x", (None, 4, 6))
    doc.outputs = [add(doc, "ops.mean", "mean", {"axis": 1}, [x]),
                   add(doc, "ops.cast", "cast", {"dtype": "float32"}, [x]),
                   add(doc, "ops.split", "split", {"indices_or_sections": 2, "axis": -1}, [x])]
    doc.training["mixed_precision"] = "mixed_float16"
    with precision.precision_scope("mixed_float16"):
        built = build_model(doc, dtypes=precision.output_dtype_overrides(doc))
    names = ["mean", "mean_float32", "cast", "cast_float32", "split", "split_float32_0"]
    data = np.ones((2, 4, 6), "float32")
    for style in ("functional", "subclass"):
        written = exec_generated(doc, style=style)
        assert [keras.ops.convert_to_numpy(o).dtype for o in written(data)] == ["float32"] * 3
    assert sorted(op_names(built)) == sorted(op_names(exec_generated(doc))) == sorted(names)


def test_an_output_cast_named_as_another_node_is_a_validation_error():
    """Under mixed precision `mean`'s float32 cast is `mean_float32`: a node of that name
    would make Keras refuse the model (two operations of one name), so validation says
    so on the operation first."""
    from kerascanvas.graph.document import Document
    from tests.codegen.helpers import add, add_input

    doc = Document()
    x = add_input(doc, "x", (None, 4, 6))
    mean = add(doc, "ops.mean", "mean", {"axis": 1}, [x])
    doc.outputs = [mean, add(doc, "Dense", "mean_float32", {"units": 3}, [x])]
    assert analyze(doc).valid  # full precision: no cast
    doc.training["mixed_precision"] = "mixed_float16"
    errors = analyze(doc).errors
    assert [(e.node, e.code) for e in errors] == [(mean, "cast_name_taken")]
    assert "'mean_float32'" in errors[0].message
    inputs = keras.Input((4, 6))  # what the build would make: Keras refuses it
    cast = keras.ops.cast(keras.ops.mean(inputs, axis=1), "float32")
    cast._keras_history.operation.name = "mean_float32"
    with pytest.raises(ValueError, match="unique"):
        keras.Model(inputs, [cast, keras.layers.Dense(3, name="mean_float32")(inputs)])
