"""Notes on what an import changes in a model's calling convention.

A project holds its inputs and outputs as ordered lists. A Keras model built on
dicts (`keras.Model({"img": a}, {"probs": p})`) therefore comes back as a model
that takes and returns lists, in Keras' own flattening order (sorted keys). The
layers, names and weights are the same; only the structure of the call differs,
and the user must hear that rather than find `predict(x)["probs"]` failing.
"""

from __future__ import annotations


def _flat_names(struct) -> list[tuple[str, str]]:
    """(key, tensor's layer) pairs of a dict of KerasTensors, in Keras' flat order."""
    pairs = []
    for key in sorted(struct):
        history = getattr(struct[key], "_keras_history", None)
        layer = getattr(history[0], "name", "?") if history else "?"
        pairs.append((str(key), layer))
    return pairs


def _note(model_name: str, what: str, struct, now: str, use: str) -> str | None:
    if not isinstance(struct, dict):
        return None
    pairs = _flat_names(struct)
    keyed = ", ".join(f"{key!r}: {layer}" for key, layer in pairs)
    order = ", ".join(layer for _, layer in pairs)
    return (f"model {model_name!r} {what} a dict {{{keyed}}}; the project's model {now} a "
            f"list in the order [{order}] (sorted keys): {use}")


def structure_notes(model, graph) -> list[str]:
    """Notes for a model whose inputs or outputs are dicts (an empty list otherwise)."""
    notes = [
        _note(model.name, "takes", getattr(graph, "_inputs_struct", None), "takes",
              "pass a list in that order, or a dict keyed by the Input names"),
        _note(model.name, "returns", getattr(graph, "_outputs_struct", None), "returns",
              "read its results by position; losses and data keyed by output name use "
              "the layer names"),
    ]
    return [note for note in notes if note]
