"""Hostile model archives are refused from the zip directory, before anything is inflated."""

from __future__ import annotations

import json
import zipfile

import pytest

from kerascanvas.runtime import archive_check
from kerascanvas.runtime.importer import ModelImportError, check_file

CONFIG = json.dumps({"class_name": "Sequential", "config": {"layers": []}}).encode()


def _archive(path, members: dict[str, bytes]) -> str:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return str(path)


def _patch(path, field: str, value: int) -> str:
    """Rewrite a 2-byte field of every member's local and central header: the general
    purpose flags (bit 0: encrypted) or the compression method, which zipfile cannot
    write itself."""
    offsets = {"flags": (6, 8), "method": (8, 10)}[field]
    data = bytearray(open(path, "rb").read())
    for signature, offset in zip((b"PK\x03\x04", b"PK\x01\x02"), offsets, strict=True):
        at = data.find(signature)
        while at >= 0:
            data[at + offset:at + offset + 2] = value.to_bytes(2, "little")
            at = data.find(signature, at + 4)
    open(path, "wb").write(bytes(data))
    return str(path)


def test_a_zip_bomb_is_refused_from_its_declared_sizes(tmp_path):
    path = _archive(tmp_path / "bomb.keras", {"config.json": CONFIG,
                                              "model.weights.h5": bytes(20 * 2**20)})
    with pytest.raises(ModelImportError, match="zip bomb"):
        check_file(path)


def test_an_encrypted_member_is_refused(tmp_path):
    path = _patch(_archive(tmp_path / "locked.keras", {"config.json": CONFIG}), "flags", 1)
    with pytest.raises(ModelImportError, match="encrypted"):
        check_file(path)


def test_an_unknown_compression_method_is_refused(tmp_path):
    path = _patch(_archive(tmp_path / "odd.keras", {"config.json": CONFIG}), "method", 99)
    with pytest.raises(ModelImportError, match="compression method 99"):
        check_file(path)


def test_a_config_with_too_many_layers_is_refused_before_keras(tmp_path):
    layers = [{"class_name": "Dense", "config": {}}] * (archive_check.MAX_LAYERS + 1)
    path = tmp_path / "many.json"
    path.write_text(json.dumps({"class_name": "Sequential", "config": {"layers": layers}}))
    with pytest.raises(ModelImportError, match="layers; at most"):
        check_file(path)


def test_a_deeply_nested_config_is_refused(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text('{"class_name": "Sequential", "config": ' + "[" * 300 + "]" * 300 + "}")
    with pytest.raises(ModelImportError, match="nested more than"):
        check_file(path)


def test_nesting_too_deep_to_parse_says_where(tmp_path):
    """Past Python's recursion limit the message was json's own ("maximum recursion depth
    exceeded while decoding a JSON array"), with no place in the file."""
    path = tmp_path / "deeper.json"
    head = '{"class_name": "Sequential", "config": '
    path.write_text(head + "[" * 5000 + "]" * 5000 + "}")
    column = len(head) + archive_check.MAX_CONFIG_NESTING - 1 + 1  # past the outer object
    with pytest.raises(ModelImportError) as info:
        check_file(path)
    assert f"nested more than {archive_check.MAX_CONFIG_NESTING} levels deep (the value at " \
           f"line 1, column {column})" in str(info.value)


@pytest.mark.parametrize("suffix", [".json", ".keras"])
def test_a_key_given_twice_in_a_model_config_is_refused_naming_its_field(tmp_path, suffix):
    """json keeps the last of two values of one key: the layer imported with whichever
    came last, and nothing said the file was ambiguous."""
    text = ('{"class_name": "Sequential", "config": {"layers": [{"class_name": "Dense", '
            '"config": {"units": 3, "units": 5}}]}}')
    if suffix == ".json":
        (tmp_path / "twice.json").write_text(text)
        path = str(tmp_path / "twice.json")
    else:
        path = _archive(tmp_path / "twice.keras", {"config.json": text.encode()})
    with pytest.raises(ModelImportError) as info:
        check_file(path)
    assert "field config.layers[0].config: an object gives the key 'units' twice " \
           "(values 3 and 5)" in str(info.value)


def test_the_import_command_exits_with_a_message_not_a_traceback(tmp_path, capsys):
    from kerascanvas.app.cli import main

    path = _patch(_archive(tmp_path / "locked.keras", {"config.json": CONFIG}), "flags", 1)
    code = main(["import", path, "-o", str(tmp_path / "out.json")])
    err = capsys.readouterr().err
    assert code in (1, 2) and "encrypted" in err and "Traceback" not in err
