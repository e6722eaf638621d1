"""The training settings with one field set, named by its path in issues. Pure.

Every fix of a training setting (a mistyped name, a monitor, a value in the wrong type, a
percentage, a learning rate) writes through `with_setting`, so a field means the same
everywhere: "training.epochs", "training.optimizer.learning_rate",
"training.callbacks[1].monitor". An optimizer or schedule written by its name alone
("adam") stands for {"name": "adam"}: its name is set as a name, another option turns it
into an object.

>>> from kerascanvas.graph.document import Document
>>> doc = Document()
>>> doc.training = {"optimizer": "Adam", "callbacks": [{"name": "early_stopping"}]}
>>> with_setting(doc, "training.optimizer.name", "adam")["optimizer"]
'adam'
>>> with_setting(doc, "training.optimizer.learning_rate", 0.01)["optimizer"]
{'name': 'Adam', 'learning_rate': 0.01}
>>> with_setting(doc, "training.callbacks[0].monitor", "loss")["callbacks"]
[{'name': 'early_stopping', 'monitor': 'loss'}]
>>> with_setting(doc, "training.callbacks[3].monitor", "loss") is None
True
"""

from __future__ import annotations

import copy
import re
from typing import Any

from .document import Document


def with_setting(doc: Document, field: str, value) -> dict | None:
    """A copy of `doc.training` with `field` set to `value`; None where `field` names
    nothing of the settings (a callback that is gone, a path through a number)."""
    steps: list[Any] = [key or int(index) for key, index in
                        re.findall(r"\.(\w+)|\[(\d+)\]", field.removeprefix("training"))]
    if not field.startswith("training") or not steps:
        return None
    training = copy.deepcopy(doc.training or {})
    held: Any = training
    for i, step in enumerate(steps):
        last = i == len(steps) - 1
        if isinstance(held, dict) and isinstance(step, str) and (last or step in held):
            child = held.get(step)
            if not last and isinstance(child, str):  # an optimizer written by its name
                if steps[i + 1:] == ["name"]:
                    held[step] = value
                    return training
                child = held[step] = {"name": child}
        elif isinstance(held, list) and isinstance(step, int) and step < len(held):
            child = held[step]
        else:
            return None
        if last:
            held[step] = value
        held = child
    return training
