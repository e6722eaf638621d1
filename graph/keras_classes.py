"""Whether Keras can locate the class a KerasLayer node names, without importing keras.

`keras_classes.json` beside this module lists, per module under `keras`, the layer
and operation classes Keras 3 finds there (`kerascanvas.runtime.keras_classes` makes
it from the installed Keras, and a test keeps it current). Keras looks a class up by
its registered name, then by `module.class_name`. Modules of keras_hub, keras_cv and
keras_nlp, which Keras also imports, are not listed and not judged here (`kerascanvas
run` makes the layer before training and names any failure).

A custom class is found only by the name it is registered under, and only in a process
whose code registered it: once the runtime has imported keras it sets
`registry_lookup` to ask Keras' live registry (graph/ never imports keras). The
`kerascanvas` commands load no custom code, so there such a node is refused.

>>> locate_problem("keras.layers", "Dense", None) is None
True
>>> locate_problem("keras.layers", "Dens", None).endswith("Did you mean 'Dense'?")
True
"""

from __future__ import annotations

import difflib
import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

TABLE = Path(__file__).with_name("keras_classes.json")
# Packages Keras imports a class from by module name, which the table does not cover.
UNCHECKED_PACKAGES = {"keras_hub", "keras_cv", "keras_nlp"}
# registered name -> whether Keras' live registry holds a class under it (set by runtime).
registry_lookup: Callable[[str], bool] | None = None


@functools.cache
def table() -> dict[str, Any]:
    """The shipped table: {"keras": version, "registered": [...], "modules": {...}}."""
    data = json.loads(TABLE.read_text(encoding="utf-8"))
    data["modules"] = {m: frozenset(c) for m, c in data["modules"].items()}
    return data


def locate_problem(module: Any, class_name: Any, registered_name: Any) -> str | None:
    """Why Keras cannot locate `class_name` in `module`, or None when it can (or when the
    module belongs to a package the table does not cover)."""
    data = table()
    if registered_name in data["registered"] or (
            isinstance(registered_name, str) and registry_lookup is not None
            and registry_lookup(registered_name)):
        return None
    module = module or "keras.layers"
    if not isinstance(module, str) or not isinstance(class_name, str):
        return f"expected text for module and class_name. Received: {module!r}, {class_name!r}"
    if module.split(".", 1)[0] in UNCHECKED_PACKAGES:
        return None
    where = f"Keras {data['keras']} cannot locate a layer class {class_name!r} in module " \
            f"{module!r}"
    classes = data["modules"].get(module)
    if classes is None:
        custom = (f"; a custom class registered as {registered_name!r} is found only where "
                  "its code is loaded, and none is" if registered_name else "")
        return (f"{where}: Keras finds classes in keras modules (such as keras.layers) and "
                f"custom classes by their registered name{custom}")
    if class_name in classes:
        return None
    close = difflib.get_close_matches(class_name, sorted(classes), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return f"{where}.{hint}"
