"""What an `Issue` carries besides its message: a small, immutable mapping. Pure.

The producer of an issue fills it with the values its fix needs (the units a run's
labels need, the training setting a mistyped name sits in), so that the fix reads
them here and never parses the message, which is written for people. The values are
JSON scalars, so an issue crosses a process or goes into a JSON report as it is.

>>> data = IssueData({"units": 10})
>>> data["units"], dict(data), data.get("field")
(10, {'units': 10}, None)
>>> IssueData({"units": [10]})
Traceback (most recent call last):
...
TypeError: An issue's data holds JSON scalars (str, int, float, bool, None). Received: units=[10]
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

JsonScalar = str | int | float | bool | None
_SCALARS = (str, int, float, bool, type(None))


class IssueData(Mapping[str, JsonScalar]):
    """A read-only, hashable mapping of names to JSON scalars (empty by default)."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, Any] | None = None) -> None:
        items = dict(items or {})
        for key, value in items.items():
            if not isinstance(key, str) or not isinstance(value, _SCALARS):
                raise TypeError("An issue's data holds JSON scalars (str, int, float, bool, "
                                f"None). Received: {key}={value!r}")
        self._items = items

    @classmethod
    def of(cls, value: Any) -> IssueData:
        """`value` itself when it is an `IssueData`, else one made from the mapping (or
        None, for empty), as an old event without data gives it."""
        if isinstance(value, IssueData):
            return value
        if value is not None and not isinstance(value, Mapping):
            raise TypeError(f"An issue's data is a mapping. Received: {value!r}")
        return cls(value)

    def __getitem__(self, key: str) -> JsonScalar:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(frozenset(self._items.items()))

    def __repr__(self) -> str:
        return f"IssueData({self._items!r})"

    def __reduce__(self):
        return IssueData, (self._items,)


EMPTY = IssueData()


def named_layer(issue, doc=None) -> str | None:
    """The name of the layer an issue's data names ("layer": its node id), as it is in
    `doc` now, else as it was when the issue was found ("layer_name"); None for none."""
    layer = issue.data.get("layer") if issue is not None else None
    if layer is None:
        return None
    nodes = getattr(doc, "nodes", {})
    return nodes[layer].name if layer in nodes else issue.data.get("layer_name")
