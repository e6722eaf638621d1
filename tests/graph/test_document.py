"""Document basics that other tests do not cover: naming like Keras, doctests of the core."""

import doctest

import pytest

from kerascanvas.graph import LAYER_SPECS, commands, document, params, projectfile, shapes
from kerascanvas.graph.document import Document, default_name


@pytest.mark.parametrize("kind", sorted(k for k, s in LAYER_SPECS.items() if not s.is_block))
def test_default_name_is_keras_auto_name(kind):
    naming = pytest.importorskip("keras.src.utils.naming")
    assert default_name(kind) == naming.to_snake_case(kind)


def test_new_nodes_get_unique_names():
    doc = Document()
    names = [doc.add_node("Dense").name for _ in range(3)]
    assert names == ["dense", "dense_1", "dense_2"]


@pytest.mark.parametrize("module", [commands, document, params, projectfile, shapes])
def test_doctests(module):
    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0
