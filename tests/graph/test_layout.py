"""Layered layout: edges point forward, the main path is straight, nothing overlaps."""

from __future__ import annotations

import pytest

from kerascanvas.graph.document import Document, Edge
from kerascanvas.graph.layout import layered_layout, layers_of, main_path, unit_key

SIZE = (180.0, 70.0)


def residual_doc() -> Document:
    """input -> conv_a -> conv_b -> add(conv_b, input) -> dense, plus a side branch."""
    doc = Document()
    ids = {}
    for name, kind, params in [("x", "Input", {"shape": [8, 8, 3]}),
                               ("a", "Conv2D", {"filters": 3, "kernel_size": 3,
                                                "padding": "same"}),
                               ("b", "Conv2D", {"filters": 3, "kernel_size": 3,
                                                "padding": "same"}),
                               ("add", "Add", {}), ("side", "Flatten", {}),
                               ("out", "Flatten", {})]:
        ids[name] = doc.add_node(kind, name, params).id
    for src, dst, port in [("x", "a", 0), ("a", "b", 0), ("b", "add", 0), ("x", "add", 1),
                           ("add", "out", 0), ("x", "side", 0)]:
        doc.connect(Edge(ids[src], 0, ids[dst], port))
    doc.outputs = [ids["out"], ids["side"]]
    return doc


@pytest.mark.parametrize("direction", ["TB", "LR"])
def test_edges_point_forward_and_main_path_is_straight(direction):
    doc = residual_doc()
    pos = layered_layout(doc, direction, {n: SIZE for n in doc.nodes}, aspect=None)
    assert set(pos) == set(doc.nodes)
    along = 1 if direction == "TB" else 0
    for e in doc.edges:
        assert pos[e.src][along] < pos[e.dst][along]
    path = main_path(doc, layers_of(doc))
    assert [doc.nodes[n].name for n in path] == ["x", "a", "b", "add", "out"]
    if direction == "LR":
        assert len({pos[n][1 - along] for n in path}) == 1
        return
    # Top to bottom, each wire of the main path runs straight down into its port: b's into
    # the Add's in_0, the first of the three ports the canvas spreads over its top (in_0,
    # in_1 and the free one), so the Add stands a quarter of its width to the right, alone:
    # the node after it stands back in the column, under x, a and b (no staircase).
    ports = {"add": (0, 3)}
    for src, dst in zip(path, path[1:], strict=False):
        if doc.nodes[src].name == "add":
            continue  # out of the node that stands aside: back to the column
        port, count = ports.get(doc.nodes[dst].name, (0, 1))
        into = pos[dst][0] + SIZE[0] / (count + 1) * (port + 1)
        assert pos[src][0] + SIZE[0] / 2 == pytest.approx(into), doc.nodes[dst].name
    column = {pos[n][0] for n in path if doc.nodes[n].name != "add"}
    assert len(column) == 1, column


def merge_doc(ports: dict[str, int], chain: int = 1) -> tuple[Document, dict[str, str]]:
    """Inputs named by `ports` (made in that order), each through a chain of `chain`
    Dense layers into the Concatenate 'cat' at its port, then a Dense 'out'."""
    doc = Document()
    cat = doc.add_node("Concatenate", "cat").id
    ends = {}
    for name, port in ports.items():
        prev = doc.add_node("Input", name, {"shape": [4]}).id
        ends[name] = prev
        for k in range(chain):
            node = doc.add_node("Dense", f"{name}_d{k}", {"units": 4}).id
            doc.connect(Edge(prev, 0, node, 0))
            prev = node
        doc.connect(Edge(prev, 0, cat, port))
    out = doc.add_node("Dense", "out", {"units": 2}).id
    doc.connect(Edge(cat, 0, out, 0))
    doc.outputs = [out]
    return doc, {**ends, "cat": cat}


@pytest.mark.parametrize("ports", [{"a": 0, "b": 1}, {"b": 1, "a": 0}, {"a": 1, "b": 0},
                                   {"a": 0, "b": 1, "c": 2}, {"c": 2, "b": 1, "a": 0},
                                   {"a": 2, "b": 0, "c": 3, "d": 1}])
@pytest.mark.parametrize("chain", [1, 3])
def test_the_sources_of_a_merge_stand_left_to_right_as_its_ports(ports, chain):
    """Each input's chain stands left of the chains of the later ports of the Concatenate
    it feeds, whatever order the nodes were made in; the ports stay as wired."""
    doc, ids = merge_doc(ports, chain)
    wired = sorted((e.dst_port, e.src) for e in doc.edges if e.dst == ids["cat"])
    pos = layered_layout(doc, "TB", {n: SIZE for n in doc.nodes}, aspect=None)
    by_port = sorted(ports, key=ports.get)
    xs = [pos[ids[name]][0] for name in by_port]
    assert xs == sorted(xs) and len(set(xs)) == len(xs), dict(zip(by_port, xs, strict=True))
    assert sorted((e.dst_port, e.src) for e in doc.edges if e.dst == ids["cat"]) == wired


def test_nodes_in_a_layer_do_not_overlap():
    doc = residual_doc()
    pos = layered_layout(doc, "TB", {n: SIZE for n in doc.nodes}, gap=(40.0, 30.0))
    boxes = [(x, y, x + SIZE[0], y + SIZE[1]) for x, y in pos.values()]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


def test_unknown_direction_is_refused():
    with pytest.raises(ValueError, match="direction"):
        layered_layout(Document(), "BT")


def test_500_node_chain_gets_a_position_per_node_in_reading_order():
    doc = Document()
    chain = [doc.add_node("Input", params={"shape": [4]}).id]
    for _ in range(499):
        node = doc.add_node("Dense", params={"units": 4}).id
        doc.connect(Edge(chain[-1], 0, node, 0))
        chain.append(node)
    pos = layered_layout(doc)
    assert set(pos) == set(doc.nodes)
    assert len(set(pos.values())) == 500, "two nodes share a place"
    for a, b in zip(chain, chain[1:], strict=False):  # down a column, or on to the next
        (xa, ya), (xb, yb) = pos[a], pos[b]
        assert (xb == xa and yb > ya) or xb > xa, (a, pos[a], b, pos[b])


def chain_of_blocks(count: int) -> Document:
    """An input, then `count` residual units named like Keras applications name theirs:
    block_i_conv -> block_i_bn -> block_i_add(bn, unit input) -> block_i_out."""
    doc = Document()
    prev = doc.add_node("Input", "x", {"shape": [8, 8, 4]}).id
    for i in range(count):
        conv = doc.add_node("Conv2D", f"block_{i}_conv", {"filters": 4, "kernel_size": 3,
                                                          "padding": "same"}).id
        bn = doc.add_node("BatchNormalization", f"block_{i}_bn").id
        add = doc.add_node("Add", f"block_{i}_add").id
        out = doc.add_node("ReLU", f"block_{i}_out").id
        for src, dst, port in [(prev, conv, 0), (conv, bn, 0), (bn, add, 0), (prev, add, 1),
                               (add, out, 0)]:
            doc.connect(Edge(src, 0, dst, port))
        prev = out
    doc.outputs = [prev]
    return doc


def boxes_overlap(pos, size=SIZE) -> bool:
    boxes = [(x, y, x + size[0], y + size[1]) for x, y in pos.values()]
    return any(not (a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1])
               for i, a in enumerate(boxes) for b in boxes[i + 1:])


@pytest.mark.parametrize("aspect", [1.0, 1.6, 2.5])
def test_long_model_wraps_into_columns_that_fill_the_view(aspect):
    doc = chain_of_blocks(40)  # 161 layers: one column would be ~40x taller than wide
    pos = layered_layout(doc, "TB", {n: SIZE for n in doc.nodes}, aspect=aspect)
    columns = {round(x) for n, (x, _) in pos.items() if doc.nodes[n].name.endswith("_out")}
    assert len(columns) > 2
    width = max(x for x, _ in pos.values()) + SIZE[0] - min(x for x, _ in pos.values())
    height = max(y for _, y in pos.values()) + SIZE[1] - min(y for _, y in pos.values())
    assert aspect / 1.8 < width / height < aspect * 1.8
    assert not boxes_overlap(pos)


def chain(count: int) -> Document:
    doc = Document()
    ids = [doc.add_node("Input", "x", {"shape": [4]}).id]
    for i in range(count - 1):
        ids.append(doc.add_node("Dense", f"d{i}", {"units": 4}).id)
        doc.connect(Edge(ids[-2], 0, ids[-1], 0))
    return doc


@pytest.mark.parametrize("aspect", [1.0, 1.4, 2.5])
@pytest.mark.parametrize("sized", [True, False])
def test_a_short_model_stays_in_one_column(aspect, sized):
    """Eight layers fit a canvas whole at a readable zoom: cutting them into columns
    (a CNN imported as 3 + 2 layers) only adds a wire climbing back up between them."""
    doc = chain(8)
    sizes = {n: SIZE for n in doc.nodes} if sized else None
    pos = layered_layout(doc, "TB", sizes, aspect=aspect)
    assert len({x for x, _ in pos.values()}) == 1


def test_columns_end_between_units_never_inside_one():
    doc = chain_of_blocks(40)
    pos = layered_layout(doc, "TB", {n: SIZE for n in doc.nodes}, aspect=1.6)
    wraps = [e for e in doc.edges if pos[e.dst][1] < pos[e.src][1]]  # into the next column
    assert wraps
    for e in wraps:  # only a unit's output (or the input) feeds the next column
        assert doc.nodes[e.src].name.endswith("_out") or doc.nodes[e.src].name == "x"
    for i in range(40):  # each unit is drawn in one column (the Add stands a quarter of a
        # node to the right, so that bn's wire runs straight into in_0; what follows it is
        # back in the column)
        xs = [pos[doc.find(f"block_{i}_{r}").id][0] for r in ("conv", "bn", "add", "out")]
        assert xs[0] == xs[1] == xs[3] and xs[2] == pytest.approx(xs[1] + SIZE[0] / 4)


def test_units_from_keras_names():
    assert unit_key("block_16_project_BN") == unit_key("block_16_expand") == "block_16"
    assert unit_key("conv4_block6_3_conv") == unit_key("conv4_block6_out") == "conv4_block6"
    assert unit_key("conv2d_1") != unit_key("conv2d_2")


@pytest.mark.parametrize("direction", ["TB", "LR"])
def test_a_side_chain_of_nodes_of_different_sizes_runs_straight(direction):
    """seq2seq's shape: a main chain, and beside it a second Input and its Embedding (the
    Embedding drawn wider than the Input, the main path's nodes wider still) that join
    the main chain further down. The side chain's centres line up, and nothing overlaps."""
    doc = Document()
    ids = {}
    for name, kind, params in [("source", "Input", {"shape": [12]}),
                               ("source_embedding", "Embedding", {"input_dim": 40,
                                                                   "output_dim": 16}),
                               ("encoder", "LSTM", {"units": 32}),
                               ("target", "Input", {"shape": [10]}),
                               ("target_embedding", "Embedding", {"input_dim": 40,
                                                                   "output_dim": 16}),
                               ("join", "Concatenate", {}), ("out", "Dense", {"units": 4})]:
        ids[name] = doc.add_node(kind, name, params).id
    for src, dst, port in [("source", "source_embedding", 0), ("source_embedding", "encoder", 0),
                           ("target", "target_embedding", 0), ("encoder", "join", 0),
                           ("target_embedding", "join", 1), ("join", "out", 0)]:
        doc.connect(Edge(ids[src], 0, ids[dst], port))
    sizes = {ids[n]: size for n, size in [("source", (120.0, 42.0)),
                                          ("source_embedding", (190.0, 42.0)),
                                          ("encoder", (230.0, 42.0)),
                                          ("target", (120.0, 42.0)),
                                          ("target_embedding", (190.0, 42.0)),
                                          ("join", (150.0, 42.0)), ("out", (140.0, 42.0))]}
    if direction == "LR":
        sizes = {n: (h, w) for n, (w, h) in sizes.items()}
    pos = layered_layout(doc, direction, sizes)
    across = 0 if direction == "TB" else 1

    def centre(name: str) -> float:
        return pos[ids[name]][across] + sizes[ids[name]][across] / 2

    assert centre("target") == pytest.approx(centre("target_embedding"))
    assert centre("source") == pytest.approx(centre("source_embedding"))  # the main path
    boxes = [(*pos[n], pos[n][0] + w, pos[n][1] + h) for n, (w, h) in sizes.items()]
    assert not any(a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
                   for i, a in enumerate(boxes) for b in boxes[i + 1:])


def expanded_blocks(kind: str, count: int, named: bool) -> Document:
    """An input, `count` blocks of `kind` (named `res1`.., or by default `residual_block`,
    `residual_block_1`..), each expanded as the canvas expands it (`res1_conv1` ..
    `res1_out`; a bottleneck's projection where its width changes), pooling and a head."""
    from kerascanvas.graph.insert_layers import expand_block
    from kerascanvas.graph.undo_stack import UndoStack

    doc = Document()
    prev = doc.add_node("Input", "x", {"shape": [16, 16, 8]}).id
    blocks = []
    for i in range(1, count + 1):
        params = {"filters": 8 if kind == "ResidualBlock" else 8 * (1 + i % 2)}
        blocks.append(doc.add_node(kind, f"res{i}" if named else None, params).id)
        doc.connect(Edge(prev, 0, blocks[-1], 0))
        prev = blocks[-1]
    for kind_after in ("GlobalAveragePooling2D", "Dense"):
        node = doc.add_node(kind_after, None, {"units": 4} if kind_after == "Dense" else {})
        doc.connect(Edge(prev, 0, node.id, 0))
        prev = node.id
    doc.outputs = [prev]
    stack = UndoStack()
    for block in blocks:
        expand_block(doc, block, stack)
    return doc


@pytest.mark.parametrize("named", [True, False])
@pytest.mark.parametrize("kind", ["ResidualBlock", "BottleneckBlock"])
def test_expanded_blocks_stay_whole_in_their_columns(kind, named):
    """An auto layout of expanded blocks cuts columns between blocks: the wire into the
    next column leaves a block's last layer (`res2_out`), never one inside it (which left
    `res2_out` alone at the top of the next column)."""
    doc = expanded_blocks(kind, 8, named)
    pos = layered_layout(doc, "TB", {n: SIZE for n in doc.nodes}, aspect=1.4)
    wraps = [e for e in doc.edges if pos[e.dst][1] < pos[e.src][1]]
    assert wraps
    assert all(doc.nodes[e.src].name.endswith("_out") for e in wraps), \
        [(doc.nodes[e.src].name, doc.nodes[e.dst].name) for e in wraps]


@pytest.mark.parametrize(("count", "aspect"), [(3, 1.0), (5, 1.4), (8, 1.0), (9, 2.5),
                                               (11, 1.6)])
def test_the_last_layer_is_never_alone_in_a_column(count, aspect):
    """A head after the last unit goes into a column with the layers before it, not into a
    column of its own beside the others, with a wire climbing up to it."""
    doc = chain_of_blocks(count)
    head = doc.add_node("Dense", "head", {"units": 4}).id
    doc.connect(Edge(doc.outputs[0], 0, head, 0))
    doc.outputs = [head]
    pos = layered_layout(doc, "TB", {n: SIZE for n in doc.nodes}, aspect=aspect)
    assert len({x for x, y in pos.values() if y == 0.0}) > 1  # in columns
    beside = [n for n in doc.nodes if n != head and abs(pos[n][0] - pos[head][0]) < SIZE[0]]
    assert beside


def test_a_block_expanded_in_one_column_moves_only_that_column():
    """A chain laid out in columns, a residual block in the second expanded in place: the
    nodes after it in its column move down to make room, the other columns stay as they
    were (every node below the block's row, in every column, moved down, leaving a gap in
    the middle of the first and third columns), and nothing overlaps."""
    from kerascanvas.graph.insert_layers import expand_block
    from kerascanvas.graph.layout import estimated_size
    from kerascanvas.graph.undo_stack import UndoStack

    doc = Document()
    prev = doc.add_node("Input", "x", {"shape": [16, 16, 8]}).id
    for i in range(1, 25):
        kind, params = ("ResidualBlock", {"filters": 8}) if i % 3 == 0 else \
            ("Conv2D", {"filters": 8, "kernel_size": [3, 3], "padding": "same"})
        node = doc.add_node(kind, f"res{i}" if i % 3 == 0 else f"conv{i}", params).id
        doc.connect(Edge(prev, 0, node, 0))
        prev = node
    doc.outputs = [prev]
    for nid, pos in layered_layout(doc).items():
        doc.set_position(nid, pos)
    columns = sorted({x for x, _ in (doc.position(n) for n in doc.nodes)})
    block = doc.find("res12").id
    column = doc.position(block)[0]
    assert len({round(x, -2) for x in columns}) >= 3 and column not in (columns[0], columns[-1])
    before = {n: doc.position(n) for n in doc.nodes if n != block}
    new = expand_block(doc, block, UndoStack())
    beside = [n for n, (x, _) in before.items() if abs(x - column) > 150.0]
    assert beside and all(doc.position(n) == before[n] for n in beside)
    below = [n for n, (x, y) in before.items() if abs(x - column) <= 150.0
             and y > before[doc.find("conv11").id][1]]
    assert below and all(doc.position(n)[1] > before[n][1] for n in below)
    boxes = {n: (*doc.position(n), *estimated_size(doc.nodes[n].name)) for n in doc.nodes}
    assert new and not any(a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3]
                           and b[1] < a[1] + a[3]
                           for i, (n, a) in enumerate(boxes.items())
                           for m, b in list(boxes.items())[i + 1:])
