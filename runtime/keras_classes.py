"""Make `graph/keras_classes.json`: the layer classes Keras can locate for a KerasLayer.

`graph/` cannot import keras, yet `kerascanvas validate` must refuse a KerasLayer
node naming a class Keras cannot find. Keras 3 finds a class for
`deserialize_keras_object` by its registered name, else by its public API name
(`keras.layers.Dense`), else as an attribute of its module (`keras.src.ops.numpy.Add`,
which is how operations are saved). This module lists, for the installed Keras, every
module under `keras` that `import keras` loads and the saveable layer and operation
classes it holds, plus Keras' own registered names. A test regenerates the table in a
fresh interpreter and fails when it differs from the shipped file.

    python -m kerascanvas.runtime.keras_classes          # rewrite graph/keras_classes.json
    python -m kerascanvas.runtime.keras_classes --check  # exit 1 if it is out of date
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .keras_env import import_keras

TABLE = Path(__file__).resolve().parents[1] / "graph" / "keras_classes.json"


def _is_layer_class(value) -> bool:
    from keras.src.ops.operation import Operation
    from keras.src.saving.keras_saveable import KerasSaveable

    return isinstance(value, type) and issubclass(value, Operation) and issubclass(
        value, KerasSaveable)


def locatable_classes() -> dict[str, list[str]]:
    """Module name -> sorted class names, for every loaded `keras` module that holds any.

    Run in a fresh interpreter: modules imported later (by tests, say) would add to it.
    """
    keras = import_keras()
    from keras.src.api_export import REGISTERED_NAMES_TO_OBJS

    found: dict[str, set[str]] = {}
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "keras" or name.startswith("keras.")):
            continue
        classes = {k for k, v in vars(module).items() if _is_layer_class(v)}
        if classes:
            found.setdefault(name, set()).update(classes)
    for api_name, value in REGISTERED_NAMES_TO_OBJS.items():
        if api_name.startswith("keras.") and _is_layer_class(value):
            module, _, cls = api_name.rpartition(".")
            found.setdefault(module, set()).add(cls)
    del keras
    return {module: sorted(classes) for module, classes in sorted(found.items())}


def make_table() -> dict:
    """The JSON document shipped as `graph/keras_classes.json`."""
    keras = import_keras()
    from keras.src.saving.object_registration import GLOBAL_CUSTOM_OBJECTS

    return {
        "keras": keras.__version__,
        "about": "Layer and operation classes Keras can locate by module and class name; "
                 "made by kerascanvas.runtime.keras_classes",
        "registered": sorted(GLOBAL_CUSTOM_OBJECTS),
        "modules": locatable_classes(),
    }


def table_text(table: dict) -> str:
    return json.dumps(table, indent=1, sort_keys=True, ensure_ascii=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1, saying what differs, when the shipped table is stale")
    args = parser.parse_args(argv)
    text = table_text(make_table())
    if not args.check:
        TABLE.write_text(text, encoding="utf-8")
        return 0
    shipped = TABLE.read_text(encoding="utf-8") if TABLE.exists() else ""
    if shipped == text:
        return 0
    old = json.loads(shipped or "{}").get("modules", {})
    new = json.loads(text)["modules"]
    added = sorted(f"{m}.{c}" for m, cs in new.items() for c in cs if c not in old.get(m, []))
    gone = sorted(f"{m}.{c}" for m, cs in old.items() for c in cs if c not in new.get(m, []))
    print(f"{TABLE} is out of date for keras {json.loads(text)['keras']}: "
          f"{len(added)} class(es) to add ({', '.join(added[:5])}), {len(gone)} to remove "
          f"({', '.join(gone[:5])}). Regenerate it: python -m {__spec__.name}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
