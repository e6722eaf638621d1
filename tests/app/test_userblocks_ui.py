"""User blocks in the window: make, place from the palette, show, edit, undo, save, library."""

from __future__ import annotations

import pytest
from PySide6 import QtCore, QtWidgets

from kerascanvas.app.canvas.render import shape_text
from kerascanvas.app.panels.editors import parse_text
from kerascanvas.app.panels.palette import PALETTE_MIME
from kerascanvas.graph import commands as cmd
from kerascanvas.graph.projectfile import dumps
from kerascanvas.graph.userblock_commands import library_dir

from .conftest import shape_shown, wire

OK = QtWidgets.QDialogButtonBox.Ok


@pytest.fixture
def library(tmp_path, monkeypatch):
    monkeypatch.setenv("KERASCANVAS_DATA_DIR", str(tmp_path / "user"))
    return library_dir()


def keras_conv_shape(filters: int, strides: int = 1) -> str:
    """What Keras gives for the block's Conv2D on a 16x16x3 input (ReLU keeps the shape)."""
    import keras

    layer = keras.layers.Conv2D(filters, 3, strides=strides, padding="same")
    return shape_text(layer.compute_output_shape((None, 16, 16, 3)))


def add(window, kind, **params):
    node_id = window.add_kind(kind)
    for name, value in params.items():
        window.stack.push(cmd.SetParam(window.doc, node_id, name, value))
    return node_id


def build(window):
    """image -> conv -> relu -> gap, output gap."""
    ids = [add(window, "Input", shape=[16, 16, 3]),
           add(window, "Conv2D", filters=8, kernel_size=[3, 3], padding="same"),
           add(window, "ReLU"), add(window, "GlobalAveragePooling2D")]
    for src, dst in zip(ids, ids[1:], strict=False):
        wire(window, src, dst)
    window.stack.push(cmd.SetOutputs(window.doc, [ids[-1]]))
    return ids


def palette_item(window, label):
    tree = window.palette.tree
    for g in range(tree.topLevelItemCount()):
        group = tree.topLevelItem(g)
        for i in range(group.childCount()):
            if group.child(i).text(0) == label and group.text(0) == "My blocks":
                return group.child(i)
    raise AssertionError(f"no My blocks entry {label}")


def make_conv_block(window, ids):
    window.canvas.select(ids[1:3])
    dialog = window.make_block_dialog()
    shown = {(dialog.table.item(r, 1).text(), dialog.table.item(r, 2).text())
             for r in range(dialog.table.rowCount())}
    conv = window.doc.nodes[ids[1]].name
    assert (conv, "filters") in shown and (conv, "strides") in shown
    dialog.set_exposed(conv, "filters")
    dialog.name_edit.setText("conv relu")
    assert not dialog.buttons.button(OK).isEnabled()
    assert "identifier" in dialog.problem.text()
    dialog.name_edit.setText("conv_relu")
    assert dialog.buttons.button(OK).isEnabled(), dialog.problem.text()
    dialog.buttons.button(OK).click()
    return window.canvas.selected_ids()[0]


def test_make_place_edit_undo_save(window, make_window, tmp_path):
    ids = build(window)
    kinds = window.palette.kinds_shown()
    assert "UserBlock" not in kinds and "SharedCall" not in kinds
    made = make_conv_block(window, ids)
    assert window.stack.undo_text == "Make block conv_relu"
    assert window.doc.blocks["conv_relu"]["params"]["filters"]["default"] == 8
    assert shape_shown(window, made) == keras_conv_shape(8)

    # Two instances from the palette: a double-click and a drag onto the canvas.
    item = palette_item(window, "conv_relu")
    window.palette.tree.itemActivated.emit(item, 0)
    first = window.canvas.selected_ids()[0]
    mime = window.palette.tree.mimeData([item])
    assert bytes(mime.data(PALETTE_MIME)).decode() == "UserBlock:conv_relu"
    window._on_canvas_drop(mime, (300.0, 300.0))
    second = window.canvas.selected_ids()[0]
    assert {window.doc.nodes[n].params["block"] for n in (first, second)} == {"conv_relu"}
    wire(window, ids[0], first)
    wire(window, ids[0], second)
    window.stack.push(cmd.SetParam(window.doc, second, "filters", 4))
    assert shape_shown(window, first) == keras_conv_shape(8)
    assert shape_shown(window, second) == keras_conv_shape(4)
    before = dumps(window.doc)

    # Rename the block and its param: every instance follows and keeps its value.
    dialog = window.edit_block_definition(second)
    dialog.name_edit.setText("conv_act")
    dialog.set_exposed(window.doc.blocks["conv_relu"]["nodes"][0]["name"], "filters", "width")
    dialog.buttons.button(OK).click()
    assert set(window.doc.blocks) == {"conv_act"}
    assert window.doc.nodes[second].params == {"block": "conv_act", "width": 4}
    assert "conv_act" in [window.palette.tree.topLevelItem(g).child(i).text(0)
                          for g in range(window.palette.tree.topLevelItemCount())
                          for i in range(window.palette.tree.topLevelItem(g).childCount())]
    assert shape_shown(window, second) == keras_conv_shape(4)

    # No longer exposed: the instance takes the definition's value, shapes follow.
    dialog = window.edit_block_definition(second)
    dialog.table.item(0, 0).setCheckState(QtCore.Qt.Unchecked)
    dialog.buttons.button(OK).click()
    assert window.doc.nodes[second].params == {"block": "conv_act"}
    assert shape_shown(window, second) == keras_conv_shape(8)
    first_row = window.show_user_block(second).tree.topLevelItem(0)
    assert first_row.text(3) == keras_conv_shape(8)
    assert first_row.text(0).startswith(window.doc.nodes[second].name + "_")

    window.undo()
    window.undo()
    assert dumps(window.doc) == before
    assert shape_shown(window, second) == keras_conv_shape(4)

    first_path, again_path = tmp_path / "a.json", tmp_path / "b.json"
    assert window.save_to(str(first_path))
    fresh = make_window(str(first_path))
    assert palette_item(fresh, "conv_relu") is not None
    assert fresh.save_to(str(again_path))
    assert again_path.read_bytes() == first_path.read_bytes()


def test_export_then_import_through_the_library(window, make_window, library, tmp_path):
    ids = build(window)
    make_conv_block(window, ids)
    window.pick_block = lambda names: names[0]
    window.pick_export_folder = lambda: None
    path = window.export_block_dialog()
    assert path == library / "conv_relu.json"

    other = make_window()
    other.pick_import_file = lambda: str(path)
    assert other.import_block_dialog() == "conv_relu"
    assert other.doc.blocks == window.doc.blocks
    other.palette.tree.itemActivated.emit(palette_item(other, "conv_relu"), 0)
    assert other.stack.undo_text.startswith("Add")

    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something else"}')
    assert other.import_block_from(bad) is None
    assert "not a block library file" in other.last_error
    other.undo()
    other.undo()
    assert other.doc.blocks == {}
    assert "conv_relu" not in other.palette.user_blocks


def test_instance_properties_and_ports_come_from_the_definition(window):
    ids = build(window)
    made = make_conv_block(window, ids)
    window.properties.show_node(made)
    assert "filters" in window.properties.editors  # the exposed param, editable
    spec = window.doc.nodes[made].spec  # the plain table entry has no 'filters'
    assert "filters" not in {p.name for p in spec.params}
    assert len(window.canvas.views[made].inputs) == 1  # the block has one input


def test_an_imported_nested_model_opens_with_its_own_layer_names(make_window, qtbot, tmp_path):
    from PySide6.QtTest import QTest

    from kerascanvas.app.blocks.view import BlockDialog
    from kerascanvas.graph.projectfile import save
    from kerascanvas.runtime.importer import import_model
    from tests.runtime.test_roundtrip_models import autoencoder

    from .gestures import LEFT, NO_MODIFIER, node_point, show

    model = autoencoder()
    save(import_model(model), tmp_path / "autoencoder.json")
    window = show(make_window(str(tmp_path / "autoencoder.json")), qtbot)
    encoder = window.doc.find("encoder")
    assert encoder.kind == "UserBlock" and window.doc.nodes[encoder.id].params["block"]
    QTest.mouseDClick(window.canvas.viewer.viewport(), LEFT, NO_MODIFIER,
                      node_point(window, encoder.id))
    qtbot.waitUntil(lambda: bool(window.findChildren(BlockDialog)))
    dialog = window.findChildren(BlockDialog)[-1]
    root = dialog.tree.invisibleRootItem()
    shown = [root.child(r).text(0) for r in range(root.childCount())]
    keras_names = [la.name for la in model.get_layer("encoder").layers[1:]]  # after its Input
    assert shown == keras_names
    assert "nested model 'encoder'" in dialog.note.text()


def tower_in_encoder():
    """A functional model whose nested model 'encoder' holds a nested model 'tower'."""
    import keras

    x = keras.Input((8,), name="tower_in")
    h = keras.layers.Dense(6, name="dense")(x)
    tower = keras.Model(x, keras.layers.Dense(5, name="proj")(h), name="tower")
    x = keras.Input((8,), name="encoder_in")
    encoder = keras.Model(x, keras.layers.Dense(4, name="head")(tower(x)), name="encoder")
    x = keras.Input((8,), name="x")
    return keras.Model(x, keras.layers.Dense(2, name="dense")(encoder(x)), name="top")


def item_rows(item) -> list[tuple[str, ...]]:
    """(name, inputs, params) of an item's children in the block view."""
    return [(item.child(r).text(0), item.child(r).text(2), item.child(r).text(4))
            for r in range(item.childCount())]


def keras_rows(model) -> list[tuple[str, ...]]:
    """(name, inbound layer names, params) of a model's layers after its Input, as its
    config records them."""
    inbound = {entry["name"]: ", ".join(history_names(entry["inbound_nodes"]))
               for entry in model.get_config()["layers"]}
    return [(la.name, inbound[la.name], f"{la.count_params():,}") for la in model.layers[1:]]


def history_names(value) -> list[str]:
    """The layer names in the keras_history entries of a config value, in order."""
    if isinstance(value, dict):
        if "keras_history" in value:
            return [value["keras_history"][0]]
        return [name for item in value.values() for name in history_names(item)]
    if isinstance(value, list | tuple):
        return [name for item in value for name in history_names(item)]
    return []


def test_a_nested_model_inside_a_nested_model_shows_keras_names_at_each_depth(
        make_window, qtbot, tmp_path):
    from PySide6.QtTest import QTest

    from kerascanvas.app.blocks.view import BlockDialog
    from kerascanvas.graph.projectfile import save
    from kerascanvas.runtime.importer import import_model

    from .gestures import LEFT, NO_MODIFIER, node_point, show

    model = tower_in_encoder()
    save(import_model(model), tmp_path / "towers.json")
    window = show(make_window(str(tmp_path / "towers.json")), qtbot)
    encoder = window.doc.find("encoder").id
    QTest.mouseDClick(window.canvas.viewer.viewport(), LEFT, NO_MODIFIER,
                      node_point(window, encoder))
    qtbot.waitUntil(lambda: bool(window.findChildren(BlockDialog)))
    tree = window.findChildren(BlockDialog)[-1].tree
    outer = model.get_layer("encoder")
    assert item_rows(tree.invisibleRootItem()) == keras_rows(outer)
    tower = tree.invisibleRootItem().child(0)
    assert item_rows(tower) == keras_rows(outer.get_layer("tower"))


def test_a_nested_model_called_twice_inside_one_is_one_model_and_one_call_row():
    """A siamese tower inside the nested model 'pair': the tower is one model row (its
    layers under it), its second call one SharedCall row; the other layers keep Keras'
    names, and the subtraction's inputs name the tower and that call."""
    import keras

    from kerascanvas.app.blocks.rows import user_block_rows
    from kerascanvas.runtime.importer import import_model

    x = keras.Input((8,), name="tower_in")
    tower = keras.Model(x, keras.layers.Dense(5, name="dense")(x), name="tower")
    a, b = keras.Input((8,), name="a"), keras.Input((8,), name="b")
    diff = keras.layers.Subtract(name="diff")([tower(a), tower(b)])
    pair = keras.Model([a, b], keras.layers.Dense(3, name="dense")(diff), name="pair")
    inputs = [keras.Input((8,), name="x1"), keras.Input((8,), name="x2")]
    doc = import_model(keras.Model(inputs, pair(inputs), name="top"))
    rows, problem = user_block_rows(doc, doc.find("pair").id)
    assert problem is None
    top = [r for r in rows if r.parent is None]
    assert [r.name for r in top if r.kind != "SharedCall"] == [
        la.name for la in pair.layers if not isinstance(la, keras.layers.InputLayer)]
    (call,) = [r for r in top if r.kind == "SharedCall"]
    assert next(r for r in top if r.name == "diff").inputs == f"tower, {call.name}"
    model_row = next(r for r in top if r.name == "tower")
    assert [(r.name, r.count) for r in rows if r.parent == model_row.key] == [
        (la.name, la.count_params()) for la in tower.layers[1:]]
    assert model_row.count == tower.count_params() and call.count == 0


def test_ctrl_shift_b_expands_an_instance_of_the_users_block(window, qtbot):
    """Expand Block on a block made from a selection answered 'Select one block node to
    expand it': only the built-in blocks expanded. The instance's layers come back, with
    its own values, wired in its place, laid out where it stood: in a graph laid out at
    the drawn sizes (Ctrl+L), the nodes after it move on and none is covered."""
    from PySide6.QtTest import QTest

    from .gestures import click, node_point, show
    from .test_canvas_layout import assert_no_overlap, layout_and_fit, node_boxes

    ids = build(window)
    made = make_conv_block(window, ids)
    show(window, qtbot)
    window.stack.push(cmd.SetParam(window.doc, made, "filters", 4))
    layout_and_fit(window)
    before = dumps(window.doc)
    click(window, node_point(window, made))
    assert window.canvas.selected_ids() == [made], window.statusBar().currentMessage()
    QTest.keyClick(window.canvas.viewer, QtCore.Qt.Key_B,
                   QtCore.Qt.ControlModifier | QtCore.Qt.ShiftModifier)
    assert "UserBlock" not in {n.kind for n in window.doc.nodes.values()}
    names = {n.name: nid for nid, n in window.doc.nodes.items()}
    conv = names["conv_relu_conv2d"]
    assert shape_shown(window, conv) == keras_conv_shape(4)
    assert sorted(window.canvas.selected_ids()) == sorted(
        nid for nid, n in window.doc.nodes.items() if n.name.startswith("conv_relu_"))
    assert "conv_relu" in window.doc.blocks
    QtWidgets.QApplication.processEvents()
    assert_no_overlap(node_boxes(window))
    window.undo()
    assert dumps(window.doc) == before


def test_a_block_made_from_a_laid_out_chain_stands_on_its_line(window, qtbot):
    """Make Block puts the instance where the selection began, at the size the canvas
    draws it, centred on where its nodes were drawn, in the one undo step: its wires run
    straight down. It was centred as a 180-unit-wide node on nodes of assumed width."""
    from .gestures import show
    from .test_canvas_layout import assert_no_overlap, layout_and_fit, node_boxes

    ids = build(window)
    show(window, qtbot)
    layout_and_fit(window)
    made = make_conv_block(window, ids)
    QtWidgets.QApplication.processEvents()
    views = window.canvas.views
    xs = [views[n].sceneBoundingRect().center().x() for n in (ids[0], made, ids[3])]
    assert max(xs) - min(xs) <= 1, xs
    assert_no_overlap(node_boxes(window))
    assert window.stack.undo_text == "Make block conv_relu"


def properties_text(window, node_id, param) -> str:
    """What the properties panel shows for a param: the field's text (an untouched field
    names its default), or its box as `true`/`false`."""
    window.properties.show_node(node_id)
    editor = window.properties.editors[param][1]
    if hasattr(editor, "box"):
        return "true" if editor.box.isChecked() else "false"
    if hasattr(editor, "combo"):
        return editor.combo.currentText().removesuffix("  (default)")
    return editor.edit.text() or editor.edit.placeholderText().removeprefix("default: ")


def test_make_block_shows_each_value_as_the_properties_panel_does(window):
    import keras

    conv = add(window, "Conv2D", filters=8, kernel_size=[3, 3], activation="relu")
    dense = add(window, "Dense", units=4)
    assert window.doc.nodes[conv].params["kernel_size"] == [3, 3]  # a list, as files hold it
    window.canvas.select([conv, dense])
    dialog = window.make_block_dialog()
    nodes = {window.doc.nodes[n].name: window.doc.nodes[n] for n in (conv, dense)}
    shown = {}
    for r in range(dialog.table.rowCount()):
        name, param, text = (dialog.table.item(r, c).text() for c in (1, 2, 3))
        node = nodes[name]
        assert text == properties_text(window, node.id, param), (name, param)
        spec = node.spec.param(param)
        value = node.params.get(param, spec.start_value())
        assert spec.coerce(parse_text(text)) == spec.coerce(value), (name, param, text)
        shown[name, param] = text
    conv_name, dense_name = window.doc.nodes[conv].name, window.doc.nodes[dense].name
    layer = keras.layers.Conv2D(8, [3, 3], activation="relu")
    assert shown[conv_name, "kernel_size"] == ", ".join(map(str, layer.kernel_size))
    assert shown[conv_name, "strides"] == ", ".join(map(str, layer.strides))
    assert shown[conv_name, "activation"] == layer.get_config()["activation"]
    # Dense's activation is None until set (Keras' own default): named, not left blank.
    assert shown[dense_name, "activation"] == "None"
    dialog.reject()
