"""How canvas nodes look: colours, fonts, pens and the sizes of a node's box and lines.

Shared by the canvas items (`nodes`, `ports`, `pipes`) and the exported picture
(`export_image`), so both draw a node the same size. Fonts, metrics and pens are
made once, on first use (a QApplication must exist by then).
"""

from __future__ import annotations

from NodeGraphQt.constants import PortEnum
from PySide6 import QtCore, QtGui

from ...graph.names import shown_name

# Palette category -> header stripe colour (muted, readable on the dark canvas).
CATEGORY_COLORS = {
    "Input": (76, 175, 80),
    "Core": (66, 133, 244),
    "Convolution": (0, 172, 193),
    "Pooling": (121, 134, 203),
    "Reshaping": (158, 158, 158),
    "Normalization": (171, 71, 188),
    "Merging": (255, 167, 38),
    "Activation": (239, 83, 80),
    "Recurrent": (141, 110, 99),
    "Attention": (236, 64, 122),
    "Blocks": (255, 202, 40),
}
STATUS_COLORS = {"error": (229, 57, 53), "warning": (255, 179, 0)}
OUTPUT_COLOR = (120, 220, 120)  # the ring around an output port that is a model output
OUTPUT_RING_RADIUS = 9.5  # the mark of a port that is a model output (the port's is 6)
OUTPUT_RING_WIDTH = 2.6
# Selection is blue: wires are orange, warnings amber, errors red and outputs green, so a
# selected node (and its highlighted wires) never reads as a warning.
SELECTION_COLOR = (90, 175, 255)
SELECTION_INSET = 3.5  # a selected node with an issue shows its selection inside the border
NODE_FILL = QtGui.QColor(44, 47, 54)
SELECTED_FAR_TINT = QtGui.QColor(255, 255, 255, 120)  # over a selected node, zoomed out
STRIPE_WIDTH = 5.0
MIN_WIDTH = 150.0
PAD = 4.0
# Added under a node's text, so the last line keeps 2 units clear of what sits on the
# bottom edge (the text ended PAD + 2 above it): an output port's circle (NodeGraphQt
# draws it SIZE / 1.8 wide, with a 1.8 pen), or a model output's green ring, larger.
PORT_ROOM = PortEnum.SIZE.value / 3.6 + 0.9 + 2.0 - (PAD + 2.0)
RING_ROOM = OUTPUT_RING_RADIUS + OUTPUT_RING_WIDTH / 2 + 2.0 - (PAD + 2.0)
DETAIL_SCALE = 0.35  # below this view scale, text is unreadable: draw boxes only

_STYLE: dict = {}


def shared_style() -> dict:
    """Fonts, metrics and pens shared by all node items (made once, on first use)."""
    if not _STYLE:
        title = QtGui.QFont()
        title.setPointSizeF(10.0)
        title.setBold(True)
        small = QtGui.QFont()
        small.setPointSizeF(7.5)
        mono = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.FixedFont)
        mono.setPointSizeF(8.5)
        label = QtGui.QFont(mono)
        label.setPointSizeF(8.0)
        untitled = QtGui.QFont(title)  # a layer named "": "(no name)" in grey italics
        untitled.setItalic(True)
        fonts = {"title": title, "untitled": untitled, "small": small, "mono": mono,
                 "label": label}
        _STYLE.update(fonts=fonts, metrics={k: QtGui.QFontMetricsF(f) for k, f in fonts.items()},
                      colors={"title": QtGui.QColor(236, 239, 244),
                              "untitled": QtGui.QColor(160, 166, 178),
                              "small": QtGui.QColor(175, 180, 190),
                              "mono": QtGui.QColor(130, 210, 255),
                              "label": QtGui.QColor(150, 200, 235)},
                      border=QtGui.QPen(QtGui.QColor(90, 95, 105), 1.0),
                      selected=QtGui.QPen(QtGui.QColor(*SELECTION_COLOR), 2.4),
                      selected_far=_cosmetic_pen(SELECTION_COLOR, 3.0),
                      output_port=QtGui.QPen(QtGui.QColor(*OUTPUT_COLOR), OUTPUT_RING_WIDTH),
                      status={k: QtGui.QPen(QtGui.QColor(*c), 2.6)
                              for k, c in STATUS_COLORS.items()})
    return _STYLE


def _cosmetic_pen(rgb, width: float) -> QtGui.QPen:
    """A pen `width` screen pixels wide at any zoom."""
    pen = QtGui.QPen(QtGui.QColor(*rgb), width)
    pen.setCosmetic(True)
    pen.setJoinStyle(QtCore.Qt.MiterJoin)
    return pen


def node_fonts() -> dict[str, QtGui.QFont]:
    """The fonts of a node's lines by key: title, small, mono, label."""
    return shared_style()["fonts"]


def node_size(lines: list[tuple[str, str]], ports: int = 1,
              ring: bool = False) -> tuple[float, float]:
    """(width, height) of a node drawing `lines` ((font key, text) pairs) and `ports` ports
    on its widest side: the canvas and the exported picture draw nodes the same size.
    The text keeps clear of the output ports on the bottom edge, and of the green ring
    a model output's port has with `ring`."""
    metrics = shared_style()["metrics"]
    width = max(_advance(k, t) for k, t in lines) + 4 * PAD + STRIPE_WIDTH
    width = max(width, ports * 24.0, MIN_WIDTH)
    height = sum(metrics[k].height() for k, _ in lines) + 2 * PAD + 4.0
    return width, height + (RING_ROOM if ring else PORT_ROOM)


_ADVANCES: dict[tuple[str, str], float] = {}
ADVANCES_KEPT = 4096


def _advance(key: str, text: str) -> float:
    """The width of `text` in the font `key`: kept, since a node measures its name when
    made and again with its other lines, and most kinds and shapes repeat across nodes."""
    width = _ADVANCES.get((key, text))
    if width is None:
        if len(_ADVANCES) >= ADVANCES_KEPT:
            _ADVANCES.clear()
        width = _ADVANCES[(key, text)] = shared_style()["metrics"][key].horizontalAdvance(text)
    return width


TITLE_KEYS = ("title", "untitled")


def title_line(name: str) -> tuple[str, str]:
    """(font key, text) of a node's first line: its name, or for a layer named "" or with
    spaces only (Keras keeps such names) "(no name)" in grey italics, not a blank title."""
    shown = shown_name(name)
    return ("title" if shown == name else "untitled"), shown


def text_rects(lines: list[tuple[str, str]], width: float) -> list[QtCore.QRectF]:
    """Where each line of a node `width` wide is drawn (centred in its rectangle)."""
    metrics, rects, y = shared_style()["metrics"], [], PAD
    for key, _ in lines:
        height = metrics[key].height()
        rects.append(QtCore.QRectF(STRIPE_WIDTH + PAD, y, width - STRIPE_WIDTH - 2 * PAD,
                                   height))
        y += height + (2.0 if key in TITLE_KEYS else 0.0)
    return rects


def port_x(width: float, count: int, index: int) -> float:
    """The x of port `index` of `count` along a node side `width` wide (evenly spaced)."""
    return width / (count + 1) * (index + 1)

