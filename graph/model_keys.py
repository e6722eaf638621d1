"""The model's name and dict keys as edits see them: checks, the keys an edit gives, the
live rule, its fix (the raw edits themselves are `Document`'s, in `model_identity`).

A model takes a dict when one of its Input nodes has a key (`Document.input_keys`),
and returns one when one of its outputs has a key (`Document.output_keys`); a member
without a key of its own is keyed by its name. Keras takes any string as a key (the
generated code quotes it), but a dict holds each key once: a key used twice is an
error of the live analysis, pinned to every node that uses it, with a fix that gives
one of them a free key. Keras also warns when an input's key differs from its Input's
name (`Input(..., name=key)` is what it expects), so that is a warning with a fix.

>>> from kerascanvas.graph.document import Document
>>> doc = Document()
>>> a = doc.add_node("Input", "a", {"shape": [2]}); b = doc.add_node("Input", "b")
>>> doc.set_model_keys(INPUTS, {a.id: "x", b.id: "x"})
>>> [(i.node, i.code) for i in key_issues(doc) if i.code == DUPLICATE]
[('n1', 'duplicate_key'), ('n2', 'duplicate_key')]
>>> free_key(doc, INPUTS, b.id)
'b'
"""

from __future__ import annotations

import itertools

from .document import Document
from .errors import DocumentError
from .inference import ERROR, WARNING, Issue
from .model_identity import PARTS
from .names import key_problem, name_problem
from .spec import INPUT

INPUTS, OUTPUTS = PARTS
DUPLICATE, NAME_DIFFERS = "duplicate_key", "input_key_differs"
FREE_KEY, NAME_AS_KEY = "use_free_key", "name_input_as_key"


# ---- queries ----------------------------------------------------------------------
def members(doc: Document, part: str) -> list[str]:
    """The Input node ids in document order, or the `outputs` entries in model order."""
    if part == INPUTS:
        return [n.id for n in doc.nodes.values() if n.kind == INPUT]
    return list(doc.outputs)


def stored(doc: Document, part: str) -> dict[str, str]:
    """The keys the document holds for `part` (some may belong to removed members)."""
    return doc.input_keys if part == INPUTS else doc.output_keys


def keyed(doc: Document, part: str) -> dict[str, str] | None:
    """{member: key} in the written order when `part` is a dict, else None (a list)."""
    return doc.keyed_inputs() if part == INPUTS else doc.keyed_outputs()


def member_node(doc: Document, part: str, member: str) -> str:
    """The id of the node a member is: the Input itself, or the output's node."""
    return member if part == INPUTS else doc.output_ref(member)[0]


def member_label(doc: Document, part: str, member: str) -> str:
    """A member's name: the Input's, or the output's (`Document.output_name`)."""
    return doc.nodes[member].name if part == INPUTS else doc.output_name(member)


# ---- checks -----------------------------------------------------------------------
def key_owner(doc: Document, part: str, member: str, key: str) -> str | None:
    """The name of another member of `part` that already has `key`, or None."""
    for other, taken in (keyed(doc, part) or {}).items():
        if other != member and taken == key:
            return member_label(doc, part, other)
    return None


def edit_problem(doc: Document, part: str, member: str, key: str) -> str | None:
    """Why `member` cannot take `key` (its form, or another member holds it), or None."""
    problem = key_problem(key)
    if problem:
        return problem
    owner = key_owner(doc, part, member, key)
    if owner is not None:
        return (f"the key {key!r} is already the key of {part[:-1]} {owner!r}: a dict holds "
                f"each key once. Received: key={key!r}")
    return None


def free_key(doc: Document, part: str, member: str) -> str:
    """A key no other member of `part` has: the member's name, else its key (or name)
    with the first free `_2`, `_3`... suffix."""
    taken = {k for m, k in (keyed(doc, part) or {}).items() if m != member}
    name = member_label(doc, part, member)
    if name not in taken:
        return name
    base = (keyed(doc, part) or {}).get(member, name)
    return next(f"{base}_{i}" for i in itertools.count(2) if f"{base}_{i}" not in taken)


# ---- the keys an edit gives (`commands.SetModelKeys` holds them) --------------------
def keys_with(doc: Document, part: str, member: str, key: str) -> dict[str, str]:
    """The keys of `part` once `member` has `key` (every member keyed; the dict's order
    kept, so the key stays where it was written)."""
    keys = {**stored(doc, part), **(keyed(doc, part) or {})}
    keys[member] = key
    return keys


def keys_as(doc: Document, part: str, as_dict: bool) -> dict[str, str]:
    """The keys of `part` as a list ({}) or as a dict: each member keyed as it is now,
    or by its name."""
    if not as_dict:
        return {}
    return dict(keyed(doc, part) or {m: member_label(doc, part, m)
                                      for m in members(doc, part)})


# ---- the live rule ------------------------------------------------------------------
def key_issues(doc: Document) -> list[Issue]:
    """Keys used twice in the model's input or output dict, and Input keys that differ
    from their Input's name."""
    if not doc.input_keys and not doc.output_keys:  # lists: nothing to check (the usual case)
        return []
    issues = []
    for part in PARTS:
        holders: dict[str, list[str]] = {}
        for member, key in (keyed(doc, part) or {}).items():
            holders.setdefault(key, []).append(member)
        for key, used in holders.items():
            if len(used) > 1:
                issues += [_duplicate(doc, part, key, member, used) for member in used]
    issues += _differing_names(doc)
    return issues


def _duplicate(doc: Document, part: str, key: str, member: str, used: list[str]) -> Issue:
    others = ", ".join(repr(member_label(doc, part, m)) for m in used if m != member)
    return Issue(member_node(doc, part, member), None, ERROR,
                 f"The model's {part} are a dict, and the key {key!r} of "
                 f"{member_label(doc, part, member)!r} is also the key of {others}: a dict "
                 f"holds each key once. Expected one key per {part[:-1]}", DUPLICATE, (FREE_KEY,),
                 {"part": part, "member": member, "key": key})


def _differing_names(doc: Document) -> list[Issue]:
    issues = []
    for member, key in (keyed(doc, INPUTS) or {}).items():
        name = doc.nodes[member].name
        if key == name:
            continue
        other = doc.find(key)
        fixes = (NAME_AS_KEY,) if name_problem(key) is None and other is None else ()
        issues.append(Issue(member, None, WARNING,
                            f"Input {name!r} has the key {key!r} in the model's input dict: "
                            f"Keras warns when a key differs from its Input's name (it "
                            f"expects Input(..., name={key!r}))", NAME_DIFFERS, fixes,
                            {"part": INPUTS, "member": member, "key": key}))
    return issues


# ---- its fixes (`graph.fixes.FIXES`) --------------------------------------------------
def use_free_key(doc: Document, issue, stack) -> list[str]:
    """Give the issue's member a key no other member has (its name where that is free)."""
    from . import commands as cmd

    part, member = issue.data.get("part"), issue.data.get("member")
    current = (keyed(doc, part) or {}).get(member) if part in PARTS else None
    if current is None or current != issue.data.get("key") or \
            key_owner(doc, part, member, current) is None:
        raise DocumentError(f"The key {issue.data.get('key')!r} is no longer used twice in "
                            f"the model's {part}")
    key = free_key(doc, part, member)
    stack.push(cmd.SetModelKeys(doc, part, keys_with(doc, part, member, key),
                                f"Key {member_label(doc, part, member)} as {key!r}"))
    return [member_node(doc, part, member)]


def name_input_as_key(doc: Document, issue, stack) -> list[str]:
    """Rename the Input to its key, as Keras expects of a dict's Inputs."""
    from . import commands as cmd

    member, key = issue.data.get("member"), issue.data.get("key")
    if (keyed(doc, INPUTS) or {}).get(member) != key:
        raise DocumentError(f"Input {member!r} no longer has the key {key!r}")
    stack.push(cmd.Rename(doc, member, key))
    return [member]


MODEL_FIXES = {FREE_KEY: use_free_key, NAME_AS_KEY: name_input_as_key}
MODEL_LABELS = {FREE_KEY: "Give it a free key", NAME_AS_KEY: "Rename the Input to its key"}
