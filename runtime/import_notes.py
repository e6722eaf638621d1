"""An imported model's calling convention: dict inputs and outputs, kept or noted.

A Keras model built on dicts (`keras.Model({"img": a}, {"probs": p})`) keeps its
structure in the project: one key per Input node and per output
(`Document.input_keys`/`output_keys`), and the code writes the dicts again. Keras
lists them flat in sorted-key order (`model.inputs`), which is the order of the
project's Input nodes and outputs. A structure a project cannot hold (nested
dicts, lists inside a dict, keys that are not strings, one tensor under two keys)
comes back as flat lists, and a note says so, rather than the user finding
`predict(x)["probs"]` failing.
"""

from __future__ import annotations

from kerascanvas.codegen.errors import CodegenError
from kerascanvas.codegen.plan import make_plan
from kerascanvas.codegen.sequential import sequential_problem


def _flat_names(struct) -> list[tuple[str, str]]:
    """(key, tensor's layer) pairs of a dict of KerasTensors, in Keras' flat order."""
    pairs = []
    for key in sorted(struct, key=str):
        history = getattr(struct[key], "_keras_history", None)
        layer = getattr(history[0], "name", "?") if history else "?"
        pairs.append((str(key), layer))
    return pairs


def _note(model_name: str, what: str, struct, why: str, use: str) -> str:
    pairs = _flat_names(struct)
    keyed = ", ".join(f"{key!r}: {layer}" for key, layer in pairs)
    order = ", ".join(layer for _, layer in pairs)
    now = "takes" if what == "takes" else "returns"
    return (f"model {model_name!r} {what} a dict {{{keyed}}}, which the project cannot keep "
            f"({why}); the project's model {now} a list in the order [{order}] (sorted keys): "
            f"{use}")


def _keys(struct, ref) -> tuple[dict[str, str] | None, str]:
    """({member: key} in the dict's own order, "") or (None, why it cannot be kept);
    `ref(tensor)` is the project member (an Input node id, an outputs entry)."""
    keys: dict[str, str] = {}
    for key, value in struct.items():
        if not isinstance(key, str) or not 0 < len(key) <= 200:
            return None, f"the key {key!r} is not a string of 1 to 200 characters"
        if not hasattr(value, "_keras_history"):
            return None, f"the value of key {key!r} is a {type(value).__name__}, not one tensor"
        member = ref(value)
        if member in keys:
            return None, f"keys {keys[member]!r} and {key!r} hold the same tensor"
        keys[member] = key
    return keys, ""


def keep_structure(doc, model, graph, input_ref, output_ref) -> list[str]:
    """Give `doc` the keys of a model that takes or returns a dict; notes for a structure
    it cannot hold (an empty list when all is kept). `input_ref` and `output_ref` map a
    model input and output tensor to the project's Input node id and outputs entry."""
    notes = []
    parts = (("takes", "_inputs_struct", input_ref, "input_keys",
              "pass a list in that order, or a dict keyed by the Input names"),
             ("returns", "_outputs_struct", output_ref, "output_keys",
              "read its results by position; losses and data keyed by output name use "
              "the layer names"))
    for what, attr, ref, field, use in parts:
        struct = getattr(graph, attr, None)
        if not isinstance(struct, dict):
            continue
        keys, why = _keys(struct, ref)
        if keys is None:
            notes.append(_note(model.name, what, struct, why, use))
        else:
            setattr(doc, field, keys)
    return notes


def sequential_note(doc, name: str) -> str:
    """The note on an imported Sequential model: which code style writes it as one again,
    or why none does (a Masking layer's mask, which Keras passes on as the ops that
    compute it, makes the graph more than a chain)."""
    try:
        problem = sequential_problem(make_plan(doc))
    except CodegenError:  # the project's own errors are reported apart; say what applies
        problem = None
    if problem is None:
        return (f"model {name!r} is a Sequential: the Sequential code style (--style "
                "sequential) writes it as one again; the functional style writes keras.Model, "
                "whose layers list starts with its InputLayer")
    return (f"model {name!r} is a Sequential, which the project cannot write as one again: "
            f"{problem}. The functional style writes an equal keras.Model, whose layers list "
            "starts with its InputLayer")
