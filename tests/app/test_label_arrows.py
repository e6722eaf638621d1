"""Shape labels keep off the arrow heads drawn at the middle of the wires, their own wire's
included: on a wire bent across, the arrow points sideways and reaches past the spot beside
the wire's middle where its label used to go."""

from __future__ import annotations

import pytest

from kerascanvas.app.canvas.label_spots import arrow_rect
from kerascanvas.app.canvas.labels import shown

from .gestures import EXAMPLES, show
from .test_label_placement import expanded, settle

EXAMPLE_NAMES = sorted(path.stem for path in EXAMPLES.glob("*.json"))


def arrow_faults(window) -> list[tuple[str, str]]:
    """Each label drawn on an arrow head: the label's text and the arrow's wire, by its
    nodes (`own` where it is the label's own wire)."""
    pipes = window.canvas.viewer.pipe_items()
    arrows = {pipe: pipe._dir_pointer.sceneBoundingRect() for pipe in pipes
              if pipe._dir_pointer.isVisible()}
    return [(pipe.label.text(), "own" if other is pipe else
             f"{other.output_port.node.name}->{other.input_port.node.name}")
            for pipe in pipes if shown(pipe)
            for other, arrow in arrows.items()
            if arrow.intersects(pipe.label.sceneBoundingRect())]


@pytest.mark.parametrize("example", EXAMPLE_NAMES)
def test_no_label_lies_on_an_arrow_head(make_window, qtbot, example):
    window = show(make_window(str(EXAMPLES / f"{example}.json")), qtbot)
    window.canvas.fit()
    settle(window, qtbot)
    assert arrow_faults(window) == []


@pytest.mark.parametrize("example, blocks", [
    ("small_resnet", ["res1", "res2", "res3", "res4"]),
    ("densenet_small", ["dense1", "dense2"]),
    ("inception_net", ["inception1", "inception2"]),
])
def test_no_label_lies_on_an_arrow_head_with_blocks_expanded(make_window, qtbot, example,
                                                             blocks):
    """Expanded blocks bend many wires (shortcuts around a block's layers)."""
    window = expanded(make_window, qtbot, example, blocks)
    assert arrow_faults(window) == []


@pytest.mark.parametrize("example, blocks", [("small_resnet", ["res1", "res3"]),
                                            ("inception_net", ["inception1"])])
def test_the_arrow_a_label_steps_off_covers_the_arrow_drawn(make_window, qtbot, example,
                                                            blocks):
    """`arrow_rect` (where labels, on the canvas and in an image, take a wire's arrow head to
    be) holds the arrow head the canvas draws, on straight and bent wires."""
    window = expanded(make_window, qtbot, example, blocks)
    pipes = [p for p in window.canvas.viewer.pipe_items() if p._dir_pointer.isVisible()]
    assert pipes
    for pipe in pipes:
        drawn, taken = pipe._dir_pointer.sceneBoundingRect(), arrow_rect(pipe.path())
        assert taken is not None and taken.contains(drawn), (drawn, taken)
