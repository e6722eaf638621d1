"""Fuzzing the core: loads raises only ProjectFileError, and analyze never raises.

Inputs are random JSON, mutations of the example projects (and of a built one
when there are no examples), and random graphs made through the document API
with random parameter values.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kerascanvas.graph import LAYER_SPECS
from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.errors import DocumentError, ProjectFileError
from kerascanvas.graph.projectfile import loads, to_dict
from kerascanvas.graph.summary import format_summary
from kerascanvas.graph.validate import analyze
from kerascanvas.runtime.cli.validate import to_json
from tests.fuzz.mutator import edit as _mutate
from tests.graph.test_projectfile import EXAMPLES, sample_doc

FUZZ = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
QUICK = settings(FUZZ, max_examples=100)  # plain JSON is mostly refused by the schema

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 300),
                    st.floats(allow_nan=False, allow_infinity=False, width=32),
                    st.sampled_from(["", "relu", "same", "n1", "Dense", "x/y", "softmax"]),
                    st.text(max_size=6))
JSON = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=5), inner, max_size=4)),
    max_leaves=12)


def seeds() -> list[dict]:
    found = [json.loads(p.read_text(encoding="utf-8")) for p in EXAMPLES]
    return found or [to_dict(sample_doc())]


SEEDS = seeds()


def check_document_text(text: str) -> None:
    """The property: loading refuses only with ProjectFileError; the rest never raises."""
    try:
        doc = loads(text)
    except ProjectFileError:
        return
    analysis = analyze(doc)
    format_summary(doc, analysis)
    json.dumps(to_json(doc, analysis))


@QUICK
@given(JSON)
def test_random_json(value):
    check_document_text(json.dumps(value))


@QUICK
@given(st.dictionaries(st.sampled_from(["format", "version", "nodes", "edges", "outputs",
                                        "training", "ui", "blocks"]), JSON))
def test_random_top_level_fields(fields):
    check_document_text(json.dumps({"format": "kerascanvas", "version": 1, **fields}))


def _paths(value, prefix=()):
    """Every (path, value) inside a JSON value, the root included."""
    yield prefix, value
    items = value.items() if isinstance(value, dict) else (
        enumerate(value) if isinstance(value, list) else ())
    for key, child in items:
        yield from _paths(child, (*prefix, key))


MUTATION = st.tuples(st.integers(0, 10**6), st.sampled_from(["replace", "delete", "duplicate"]),
                     JSON)


@FUZZ
@given(st.sampled_from(range(len(SEEDS))), st.lists(MUTATION, min_size=1, max_size=4))
def test_mutated_projects(seed, mutations):
    data = SEEDS[seed]
    for pick, action, replacement in mutations:
        paths = list(_paths(data))
        path, _ = paths[pick % len(paths)]
        data = _mutate(data, path, action, replacement)
    check_document_text(json.dumps(data))


# ---- random graphs through the document API -----------------------------------
KINDS = sorted(LAYER_SPECS)


def _param_value(spec, data):
    """A value for some param: its default, its start value, an allowed one, or junk."""
    p = data.draw(st.sampled_from(spec.params)) if spec.params else None
    if p is None:
        return None, None
    choices = [p.start_value()] + list(p.allowed[:4])
    return p.name, data.draw(st.one_of(st.sampled_from(choices), SCALARS,
                                       st.lists(st.integers(-1, 9), max_size=4)))


@FUZZ
@given(st.data())
def test_random_graphs(data):
    doc = Document()
    doc.add_node("Input", params={"shape": data.draw(st.lists(
        st.one_of(st.none(), st.integers(1, 12)), min_size=1, max_size=4))})
    for _ in range(data.draw(st.integers(1, 8))):
        kind = data.draw(st.sampled_from(KINDS))
        node = doc.add_node(kind)
        name, value = _param_value(LAYER_SPECS[kind], data)
        if name is not None and data.draw(st.booleans()):
            doc.set_param(node.id, name, value)
        ids = list(doc.nodes)
        for port in range(data.draw(st.integers(0, 3))):
            src = data.draw(st.sampled_from(ids[:-1]))
            try:
                doc.connect(Edge(src, data.draw(st.integers(0, 2)), node.id, port))
            except DocumentError:
                pass
    doc.set_outputs(data.draw(st.lists(st.sampled_from(list(doc.nodes)), unique=True,
                                       max_size=3)))
    analysis = analyze(doc)
    format_summary(doc, analysis)
    json.dumps(to_json(doc, analysis))
    assert set(analysis.results) == set(doc.nodes)
