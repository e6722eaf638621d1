"""Initializer, regularizer and constraint params: names, configured objects, typed text."""

from __future__ import annotations

import json

import pytest

from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.errors import ParamError
from kerascanvas.graph.object_params import object_text
from kerascanvas.graph.projectfile import dumps, from_dict
from kerascanvas.graph.spec import get_spec
from kerascanvas.graph.validate import analyze

DENSE = get_spec("Dense")
REG = DENSE.param("kernel_regularizer")
INIT = DENSE.param("kernel_initializer")
CONS = DENSE.param("kernel_constraint")


@pytest.mark.parametrize("p,text,value", [
    (REG, "L2(1e-4)", {"class_name": "L2", "config": {"l2": 1e-4}}),
    (REG, "l2(l2=1e-4)", {"class_name": "L2", "config": {"l2": 1e-4}}),
    (REG, "keras.regularizers.L1L2(l1=1e-5, l2=1e-4)",
     {"class_name": "L1L2", "config": {"l1": 1e-5, "l2": 1e-4}}),
    (REG, "l1_l2(l2=0.5)", {"class_name": "L1L2", "config": {"l2": 0.5}}),
    (INIT, 'VarianceScaling(scale=2.0, mode="fan_out", distribution="truncated_normal")',
     {"class_name": "VarianceScaling", "config": {"scale": 2.0, "mode": "fan_out"}}),
    (INIT, "RandomNormal(stddev=0.02, seed=7)",
     {"class_name": "RandomNormal", "config": {"stddev": 0.02, "seed": 7}}),
    (INIT, "Constant(-1)", {"class_name": "Constant", "config": {"value": -1}}),
    (INIT, "initializers.Orthogonal(2.0)", {"class_name": "Orthogonal", "config": {"gain": 2.0}}),
    (CONS, "MaxNorm(3)", {"class_name": "MaxNorm", "config": {"max_value": 3}}),
    (CONS, "MinMaxNorm(0.5, 2.0, axis=[0, 1])",
     {"class_name": "MinMaxNorm", "config": {"min_value": 0.5, "max_value": 2.0,
                                             "axis": [0, 1]}}),
])
def test_typed_text_becomes_class_and_non_default_arguments(p, text, value):
    assert p.coerce(text) == value
    assert p.coerce(value) == value  # the dict form is its own normal form
    assert p.coerce(object_text(value)) == value  # and the text shown reads back the same


@pytest.mark.parametrize("p,text,name", [
    (REG, "L2()", "l2"), (REG, "L2(0.01)", "l2"), (INIT, "GlorotUniform(seed=None)",
                                                   "glorot_uniform"),
    (INIT, "he_normal", "he_normal"), (CONS, "NonNeg()", "non_neg"),
])
def test_default_configured_object_is_its_name(p, text, name):
    assert p.coerce(text) == name


def test_default_object_is_the_default():
    assert INIT.is_default("GlorotUniform()")
    assert not INIT.is_default("GlorotUniform(seed=1)")
    assert DENSE.non_default({"units": 2, "kernel_initializer": "GlorotUniform()"}) == {
        "units": 2}


@pytest.mark.parametrize("p,text,words", [
    (REG, "L2(l3=1)", ["kernel_regularizer", "arguments of L2 (l2)", "'l3'", "L2(l3=1)"]),
    (REG, "L2('x')", ["L2's l2 to be a number >= 0", "not 'x'"]),
    (REG, "L2(-1e-4)", ["L2's l2 to be a number >= 0", "not -0.0001"]),
    (REG, "OrthogonalRegularizer(factor=-1)", ["a number >= 0"]),
    (REG, "L2(1, 2)", ["at most 1"]),
    (REG, "L2(l2=1, l2=2)", ["l2 given once to L2"]),
    (REG, "L2(1e-4", ["a name or a call such as L2(1e-4)"]),
    (REG, "Dropout(0.5)", ["'l1', 'l2'", "L1, L2, L1L2, OrthogonalRegularizer"]),
    (REG, "os.system('ls')", ["a class of keras.regularizers, not os.system"]),
    (REG, "L2(float('nan'))", ["a plain value for L2's l2"]),
    (REG, "L2(**x)", ["named arguments"]),
    (INIT, "VarianceScaling(mode='sideways')", ["one of 'fan_in', 'fan_out', 'fan_avg'"]),
    (INIT, "VarianceScaling(scale=0)", ["a number > 0"]),
    (INIT, "HeNormal(seed=-1)", ["an integer >= 0"]),
    (INIT, "HeNormal(seed=True)", ["an integer >= 0"]),
    (CONS, "MaxNorm(axis='x')", ["an integer axis"]),
    (CONS, {"class_name": "MaxNorm", "config": {}, "module": "evil"}, ["class_name and config"]),
    (CONS, 3, ["a name or a constraint class"]),
    (REG, {}, ["or a regularizer class with arguments: L1, L2, L1L2"]),
    (REG, {"config": {"l2": 0.1}}, ["or a regularizer class with arguments: L1, L2, L1L2"]),
])
def test_bad_values_say_param_expectation_and_what_was_received(p, text, words):
    with pytest.raises(ParamError) as err:
        p.coerce(text)
    message = str(err.value)
    assert message.startswith(f"Received an invalid value for {p.name}, expected ")
    assert f"Received: {p.name}={text!r}" in message
    for word in words:
        assert word in message


def test_a_bad_value_from_a_file_is_an_issue_naming_node_and_param():
    doc = Document()
    x = doc.add_node("Input", name="x", params={"shape": [4]})
    d = doc.add_node("Dense", name="head", params={"units": 2, "kernel_regularizer": "L2(x)"})
    doc.connect(Edge(x.id, 0, d.id, 0))
    doc.set_outputs([d.id])
    messages = [i.message for i in analyze(doc).issues if i.node == d.id]
    assert any("kernel_regularizer" in m and "L2(x)" in m for m in messages), messages


def test_object_values_survive_the_project_file():
    doc = Document()
    value = {"class_name": "VarianceScaling", "config": {"scale": 2.0, "mode": "fan_out"}}
    doc.add_node("Dense", name="d", params={"units": 2, "kernel_initializer": value})
    again = from_dict(json.loads(dumps(doc)))
    assert again.find("d").params["kernel_initializer"] == value
