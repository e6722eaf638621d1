"""Every layer and op of the catalogue is the first hit when its name is typed: "relu"
listed ops.leaky_relu before ops.relu in Operations (both hold the text; the tree's
alphabetical order decided), so Enter or a drag of the group's first row gave another op."""

from __future__ import annotations

import pytest

from kerascanvas.app.panels.palette import UNLISTED, PalettePanel
from kerascanvas.app.panels.palette_rank import (
    ELSEWHERE,
    EXACT,
    INSIDE,
    PREFIX,
    WORD_START,
    nearness,
)
from kerascanvas.graph.spec import LAYER_SPECS

LISTED = sorted(k for k in LAYER_SPECS if k not in UNLISTED)
OPS = [k for k in LISTED if k.startswith("ops.")]


@pytest.fixture(scope="module")
def palette(qapp):
    panel = PalettePanel()
    yield panel
    panel.deleteLater()


def typed(palette: PalettePanel, text: str) -> list[str]:
    palette.search.setText(text)
    return palette.kinds_shown()


def shown_in_group(palette: PalettePanel, kind: str) -> list[str]:
    """The kinds the filter shows in `kind`'s group, in the order listed."""
    tree = palette.tree
    group = next(tree.topLevelItem(g) for g in range(tree.topLevelItemCount())
                 if tree.topLevelItem(g).text(0) == LAYER_SPECS[kind].category)
    return [group.child(i).text(0) for i in range(group.childCount())
            if not group.child(i).isHidden()]


@pytest.mark.parametrize("kind", LISTED)
@pytest.mark.parametrize("case", [str, str.lower])
def test_a_name_typed_exactly_is_the_first_hit(palette, kind, case):
    assert typed(palette, case(kind))[0] == kind
    assert palette.best_match() == kind


@pytest.mark.parametrize("kind", OPS)
def test_an_op_named_without_ops_is_first_in_operations(palette, kind):
    """"relu" lists ops.relu first in Operations; first of all unless a layer has that
    name (the ReLU layer, listed in an earlier group)."""
    name = kind.removeprefix("ops.")
    kinds = typed(palette, name)
    assert shown_in_group(palette, kind)[0] == kind
    layer = next((k for k in LISTED if k.lower() == name.lower()), None)
    assert kinds[0] == (layer or kind)


def test_relu_lists_ops_by_nearness(palette):
    typed(palette, "relu")
    ops = shown_in_group(palette, "ops.relu")
    assert ops == ["ops.relu", "ops.relu6", "ops.leaky_relu"]
    assert shown_in_group(palette, "ReLU")[0] == "ReLU"


@pytest.mark.parametrize("label, needle, tier", [
    ("ops.relu", "relu", EXACT), ("ReLU", "relu", EXACT),
    ("ops.relu6", "relu", PREFIX), ("MaxPooling2D", "maxpool", PREFIX),
    ("ops.leaky_relu", "relu", WORD_START), ("LeakyReLU", "relu", WORD_START),
    ("Conv2DTranspose", "transpose", WORD_START), ("MaxPooling2D", "2d", WORD_START),
    ("PReLU", "relu", WORD_START), ("ops.leaky_relu", "aky", INSIDE),
    ("MaxPooling2D", "ooling", INSIDE), ("MaxPooling2D", "pool", WORD_START),
    ("Dense", "relu", ELSEWHERE), ("Dense", "", ELSEWHERE),
])
def test_nearness_tiers(label, needle, tier):
    assert nearness(label, needle) == tier


ARCHITECTURES = LAYER_SPECS["Application"].param("architecture").choices


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_an_application_typed_by_its_architecture_is_the_first_hit(palette, name):
    """"mobilenet" found nothing: the Application block names no architecture."""
    assert typed(palette, name.lower())[0] == f"Application:{name}"


def test_enter_on_an_architecture_adds_an_application_of_it(make_window, qtbot):
    window = make_window()
    window.palette.search.setText("mobilenetv2")
    window.palette.search.returnPressed.emit()
    (node,) = window.doc.nodes.values()
    assert (node.kind, node.params["architecture"]) == ("Application", "MobileNetV2")
    window.stack.undo()
    assert not window.doc.nodes
