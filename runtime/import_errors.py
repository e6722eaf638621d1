"""A clear message for a model file Keras refuses to load.

Keras wraps a bad layer config in several layers of "could not be deserialized"
errors, each repeating the whole config. The user needs two facts from that
chain: which layer of the file is wrong, and Keras' own reason (which repeats the
value it received). `explain_load_error` finds the layer by deserializing the
file's layer entries one at a time (in safe mode, as the whole load did) and keeps
the innermost reason of the chain.
"""

from __future__ import annotations

from .keras_env import plain_text

# Model classes whose layers are probed one by one rather than as a whole.
_MODEL_CLASSES = {"Functional", "Sequential", "Model"}
_CHAIN = "Exception encountered:"
_TAILS = (" Full object config:", "\n\nconfig=", " using config=")


def innermost_reason(exc: BaseException) -> str:
    """Keras' own reason at the bottom of its chain of wrapped errors, one paragraph."""
    text = plain_text(str(exc)).rsplit(_CHAIN, 1)[-1].strip()
    for tail in _TAILS:
        text = text.split(tail, 1)[0]
    return " ".join(text.split()) or type(exc).__name__


def _layer_entries(config, where: str):
    """(path in the file, layer entry) for every layer of a serialized model, depth first."""
    inner = config.get("config") if isinstance(config, dict) else None
    layers = inner.get("layers") if isinstance(inner, dict) else None
    for i, entry in enumerate(layers if isinstance(layers, list) else []):
        if not isinstance(entry, dict):
            continue
        at = f"{where}.layers[{i}]"
        yield at, entry
        if entry.get("class_name") in _MODEL_CLASSES:
            yield from _layer_entries(entry, at)


def _entry_name(entry: dict) -> str:
    inner = entry.get("config")
    name = inner.get("name") if isinstance(inner, dict) else None
    return str(name or entry.get("name") or "?")


def find_bad_layer(keras, config: dict, objects: dict | None) -> tuple[str, str] | None:
    """(where, message) for the first layer entry Keras refuses on its own, else None."""
    for at, entry in _layer_entries(config, "config"):
        if entry.get("class_name") in _MODEL_CLASSES:
            continue
        try:
            keras.saving.deserialize_keras_object(entry, safe_mode=True,
                                                  custom_objects=objects or None)
        except Exception as exc:  # noqa: BLE001 - any refusal names this layer
            label = f"layer {_entry_name(entry)!r} ({entry.get('class_name', '?')})"
            return at, f"{label}: {innermost_reason(exc)}"
    return None


def explain_load_error(keras, path, config: dict, objects: dict | None,
                       exc: BaseException) -> str:
    """The message for a model file Keras could not load: the file, the layer, the reason.

    Example: "m.keras: config.json config.layers[2]: layer 'd' (Dense): Received an
    invalid value for `units`, expected a positive integer. Received: units=eight".
    """
    member = "config.json " if str(path).endswith(".keras") else ""
    found = find_bad_layer(keras, config, objects)
    if found is not None:
        at, message = found
        return f"{path}: {member}{at}: Keras refused {message}"
    return f"{path}: Keras could not load the model: {innermost_reason(exc)}"
