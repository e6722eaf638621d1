"""Index keys of `x[...]` nodes, as text: parsed without evaluating anything.

A key is what goes between the brackets: integers, slices `start:stop:step`,
`None` (a new axis) and one `...`, separated by commas.

>>> parse_key(":, None, 1:3")
(slice(None, None, None), None, slice(1, 3, None))
>>> key_text(parse_key("..., -1"))
'..., -1'
>>> parse_key("0")
0
"""

from __future__ import annotations

from typing import Any

from ..errors import ParamError

_WORDS = {"None": None, "...": Ellipsis}


def _integer(text: str, key: str) -> int:
    try:
        return int(text.replace(" ", ""), 10)
    except ValueError:
        raise ParamError(f"Received an invalid value for key, expected integers, slices "
                         f"(1:3, ::2), None or ... separated by commas. Received: "
                         f"key={key!r} (at {text!r})", param="key") from None


def _item(text: str, key: str) -> Any:
    text = text.strip()
    if text in _WORDS:
        return _WORDS[text]
    if ":" not in text:
        return _integer(text, key)
    parts = text.split(":")
    if len(parts) > 3:
        _integer(text, key)  # raises, naming the part
    bounds = [_integer(p, key) if p.strip() else None for p in parts]
    return slice(*bounds, *([None] * (3 - len(bounds))))


def parse_key(key: Any) -> Any:
    """The Python key of `key` text: one item, or a tuple when it holds a comma.

    Raises:
        ParamError: not text, empty, a part that is no integer, slice, None or `...`,
            or two `...`.
    """
    if not isinstance(key, str) or not key.strip():
        raise ParamError(f"Received an invalid value for key, expected the text between "
                         f"the brackets of x[...], such as ':, 0'. Received: key={key!r}",
                         param="key")
    parts = key.split(",")
    if parts[-1].strip() == "" and len(parts) > 1:  # "0," is the tuple (0,)
        parts = parts[:-1]
    items = tuple(_item(p, key) for p in parts)
    if sum(1 for i in items if i is Ellipsis) > 1:
        raise ParamError(f"Received an invalid value for key, expected at most one '...'. "
                         f"Received: key={key!r}", param="key")
    return items if "," in key else items[0]


def _item_text(item: Any) -> str:
    if item is Ellipsis:
        return "..."
    if isinstance(item, slice):
        text = ":".join("" if v is None else str(v) for v in (item.start, item.stop))
        return text if item.step is None else f"{text}:{item.step}"
    return str(item)


def key_text(key: Any) -> str:
    """The text of a Python key (the inverse of `parse_key`).

    >>> key_text((slice(None, None, 2), Ellipsis, slice(-1, None, None)))
    '::2, ..., -1:'
    >>> key_text((0,))
    '0,'
    """
    if not isinstance(key, tuple):
        return _item_text(key)
    if len(key) == 1:
        return _item_text(key[0]) + ","
    return ", ".join(_item_text(k) for k in key)


def key_items(key: Any) -> list:
    """The items of a key as a list (one item for a plain key)."""
    return list(key) if isinstance(key, tuple) else [key]
