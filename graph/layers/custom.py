"""CustomLayer: a `keras.layers.Layer` subclass whose Python source the node holds.

The node keeps the class name, the source text (the class and the imports it
needs) and the constructor keyword arguments as JSON data. Nothing here runs
that source: `graph/` only parses it (`ast.parse` never executes anything).
Its output shape and weight count come from Keras, which a runtime computes in
a worker process once the user has trusted the project's code; they reach
inference through the document's `CustomContext`:

>>> from kerascanvas.graph.document import Document
>>> from kerascanvas.graph.spec import get_spec
>>> doc = Document()
>>> params = {"class_name": "Twice", "source": "class Twice(Layer):\\n    pass\\n"}
>>> context(doc).trusted
frozenset()
>>> code_problem(doc, get_spec(KIND).resolve(params))[0]
'custom_untrusted'

Trust is never read from the project file: the runtime (`runtime.trust`) keeps it
in the user's data folder and fills `CustomContext.trusted` with the digests of
the class sources the user approved, so changing the code asks again.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
from collections.abc import Mapping
from typing import Any

from .. import pysource
from ..document import identifier_problem
from ..params import ParamSpec
from ..spec import LayerSpec, get_spec, register
from .custom_blocks import (  # noqa: F401 - public here too
    KIND,
    BlockNode,
    block_custom_nodes,
    blocks_with_custom,
    custom_users,
)
from .custom_context import (  # noqa: F401 - public here too
    TRUST_HINT,
    CustomContext,
    CustomShapeError,
    _active_count,
    _active_shape,
    _rules,
    active,
    cache_token,
    code_digest,
    context,
    current,
    set_context,
    shape_key,
)
from .generic import _records_problem
from .shared import OWNER_PARAM

DEFAULT_PACKAGE = "Custom"  # Keras' own default package for registered classes
def _identifier_check(value: Any) -> str | None:
    problem = identifier_problem(value)
    return None if problem is None else f"a class name: {problem}"


def _kwargs_problem(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        return "a JSON object of constructor keyword arguments, or null"
    bad = [k for k in value if identifier_problem(k) is not None or k in _OWN_KWARGS]
    if bad:
        return (f"keyword names that are Python identifiers, other than 'name' and "
                f"'trainable' (the node's name and trainable give those); received {bad[0]!r}")
    return None


_OWN_KWARGS = ("name", "trainable")


def constructor_kwargs(params: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments the class is built with (the node name apart): its JSON
    kwargs, plus `trainable=False` for a frozen node."""
    kwargs = dict(params.get("kwargs") or {})
    if params.get("trainable", True) is False:
        kwargs["trainable"] = False
    return kwargs


def _package_problem(value: Any) -> str | None:
    if not isinstance(value, str) or not value or ">" in value:
        return "a non-empty package name without '>'"
    return None


ATTACH_HINT = ("attach its class (Attach source... on this issue, or Edit code... in the "
               "properties; on the command line, kerascanvas attach-code PROJECT FILE.py)")
ATTACH_FIX = "attach_source"
TRUST_FIX = "review_trust"  # the window shows the code, then trusts it if the user agrees


def registered_name(params: Mapping[str, Any]) -> str:
    """The name Keras registers the class under: `package>class_name`."""
    return f"{params.get('package') or DEFAULT_PACKAGE}>{params.get('class_name')}"


def missing_source_message(name: str, params: Mapping[str, Any]) -> str:
    """The issue of a node without source (an imported layer whose class was not given).

    >>> missing_source_message("z", {"class_name": "Sampling", "package": "vae"})[:61]
    "custom layer 'z' (registered name vae>Sampling) has no source"
    """
    return (f"custom layer {name!r} (registered name {registered_name(params)}) has no "
            f"source: {ATTACH_HINT}")


def source_problem(class_name: str, source: str) -> str | None:
    """Why `source` does not define class `class_name` at its top level, or None.

    Only parses; nothing is executed.

    >>> source_problem("A", "class A(Layer):\\n    pass")
    >>> source_problem("A", "def A(): pass")
    "the source defines no top-level class 'A' (found: none)"
    """
    if not source.strip():
        return f"class {class_name} has no source: {ATTACH_HINT}"
    try:
        tree = pysource.parse(source)
    except SyntaxError as exc:
        return f"the source does not parse: line {exc.lineno}: {exc.msg}"
    classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
    if class_name not in classes:
        found = ", ".join(classes) or "none"
        return f"the source defines no top-level class {class_name!r} (found: {found})"
    return None


def custom_nodes(doc, blocks: bool = True) -> list:
    """The CustomLayer nodes of a document, in document order, then (with `blocks`) those
    inside its block definitions (`BlockNode`s: their code is the project's too)."""
    top = [n for n in doc.nodes.values() if n.kind == KIND]
    return top + block_custom_nodes(doc.blocks) if blocks and doc.blocks else top


def class_conflicts(doc) -> list[tuple[str, str]]:
    """(node id, message) for each CustomLayer whose class name an earlier node defines
    with other code or another package: one name, one class, in Keras' registry too."""
    first: dict[str, Any] = {}
    found = []
    for node in custom_nodes(doc, blocks=False):  # codegen checks those inside blocks
        name = node.params.get("class_name")
        if not isinstance(name, str):  # refused as a parameter, with its own message
            continue
        other = first.setdefault(name, node)
        if other is not node and _definition(other) != _definition(node):
            found.append((node.id, f"{node.name!r} (CustomLayer): class {name} is also "
                          f"defined by {other.name!r} with other code or another package; "
                          "give one of them another class name"))
    return found


def _definition(node) -> tuple:
    return (node.params.get("source", ""), node.params.get("package", DEFAULT_PACKAGE))


def code_digests(doc) -> set[str]:
    """The digest of each piece of custom code in `doc`: every CustomLayer's class, and
    the training settings' custom losses and metrics (`graph.training_code`)."""
    from ..training_code import digest

    found = {code_digest(n.params) for n in custom_nodes(doc)}
    training = digest(doc.training)
    return found | {training} if training else found


def has_code(doc) -> bool:
    """Whether `doc` holds custom code to trust: a CustomLayer, or training code."""
    from ..training_code import digest

    return bool(custom_nodes(doc)) or digest(doc.training) is not None


def project_digest(doc) -> str | None:
    """One digest of all the custom code of `doc` (None when it has none).

    The trust store keys a project by its path and this digest.
    """
    digests = sorted(code_digests(doc))
    if not digests:
        return None
    return hashlib.sha256("\n".join(digests).encode("ascii")).hexdigest()


NO_SOURCE = "custom_no_source"
CODE_ISSUES = frozenset({NO_SOURCE, "custom_source", "custom_untrusted"})


def code_problem(doc, params: Mapping[str, Any],
                 name: str | None = None) -> tuple[str, str] | None:
    """(issue code, message) when the node's code cannot run yet, else None.

    A node without any source gets `NO_SOURCE`, whose message names the node `name`
    and the registered name, and which the fix `ATTACH_FIX` answers.
    """
    if not params["source"].strip():
        return NO_SOURCE, missing_source_message(name or params["class_name"], params)
    problem = source_problem(params["class_name"], params["source"])
    if problem:
        return "custom_source", problem
    if code_digest(params) not in current(doc).trusted:
        return "custom_untrusted", (
            f"custom code not trusted: class {params['class_name']} "
            f"(sha256 {code_digest(params)[:12]}) does not run until you trust this "
            f"project's code; {TRUST_HINT}")
    return None


def bound_spec(doc, spec: LayerSpec) -> LayerSpec:
    """The CustomLayer spec with shape and count rules answered by the doc's context (or
    the active one: a nested model's document made while its model is built)."""
    ctx = current(doc)
    shape, count = _rules(lambda: ctx)
    return dataclasses.replace(spec, shape=shape, count=count)


def _inner_check(params: Mapping[str, Any]) -> None:
    """A CustomLayer inside a block: its source must be there and parse."""
    if not params["source"].strip():
        raise CustomShapeError(missing_source_message(params["class_name"], params), NO_SOURCE)
    problem = source_problem(params["class_name"], params["source"])
    if problem:
        raise CustomShapeError(problem, "custom_source")


def _inner_shape(params: Mapping[str, Any], inputs: list):
    _inner_check(params)
    return _active_shape(params, inputs)


def bound_call_site(doc, node, spec: LayerSpec) -> LayerSpec:
    """A SharedCall's spec (`spec`, bound by graph.layers.shared) whose owner is a
    CustomLayer: the owner's code answers for the call site's inputs too."""
    owner = doc.nodes.get(node.params.get(OWNER_PARAM))
    if owner is None or owner.kind != KIND:
        return spec
    try:
        owner_params = get_spec(KIND).resolve(owner.params)
    except Exception:  # noqa: BLE001 - the owner's own issues say what is wrong
        return spec
    rules = bound_spec(doc, spec)

    def shape(params, inputs):  # code that cannot run: the owner's issue says why
        problem = code_problem(doc, owner_params, owner.name)
        if problem is None:
            return rules.shape(owner_params, inputs)
        found = recorded_outputs(owner_params, inputs)
        if found is None:
            raise CustomShapeError(f"calls {owner.name!r}, whose code cannot run yet (see "
                                   "its issue)", problem[0])
        return found

    return dataclasses.replace(spec, shape=shape)


def recorded_outputs(params: Mapping[str, Any], inputs: list) -> list | None:
    """The output shapes Keras recorded for these inputs (`output_shapes` records, kept
    by an import), or None. Data only: they let the shapes after a node whose code is
    missing or not trusted be inferred without running anything."""
    wanted = [list(s) for s in inputs]
    for rec in params.get("output_shapes") or []:
        if rec["inputs"] == wanted and all(s is not None for s in rec["outputs"]):
            return [tuple(s) for s in rec["outputs"]]
    return None


PORTS_ISSUE = "custom_outputs"
PORTS_FIX = "set_custom_outputs"


def ports_problem(name: str, params: Mapping[str, Any], outputs: list) -> str | None:
    """Why the node's output ports do not match the tensors its call returns, or None.

    >>> ports_problem("s", {"outputs": 1}, [(None, 3), (None, 1)])[:45]
    "'s' (CustomLayer): call() returns 2 tensor(s)"
    """
    ports = params.get("outputs") or 1
    if len(outputs) == ports:
        return None
    shapes = ", ".join(str(tuple(s)) for s in outputs)
    return (f"{name!r} ({KIND}): call() returns {len(outputs)} tensor(s) ({shapes}) but the "
            f"node has outputs={ports} output port(s); set outputs to {len(outputs)}")


def recorded_count(params: Mapping[str, Any]) -> tuple[int, int] | None:
    """(trainable, non_trainable) weights of a node whose code cannot run, from the
    weights its imported file holds, or None when unknown. The file does not say which
    are trainable: all count as trainable, or all as non-trainable when frozen.

    >>> recorded_count({"stored_weights": 12, "trainable": False})
    (0, 12)
    """
    stored = params.get("stored_weights")
    if stored is None:
        return None
    return (stored, 0) if params.get("trainable", True) else (0, stored)


def split_source(source: str) -> tuple[list[str], str]:
    """(top-level import lines, the rest) of a source, for embedding in generated code."""
    tree = pysource.parse(source)
    lines = source.splitlines()
    imports, skip = [], set()
    for stmt in tree.body:
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            imports.append("\n".join(lines[stmt.lineno - 1:stmt.end_lineno]).strip())
            skip.update(range(stmt.lineno - 1, stmt.end_lineno))
    rest = "\n".join(line for i, line in enumerate(lines) if i not in skip).strip("\n")
    return imports, rest + "\n"


# Category "Blocks": like SharedCall, Application and UserBlock, its rules depend on the
# document (here, on the shapes Keras computed for it), so the table tests skip it.
register(LayerSpec(
    kind=KIND,
    category="Blocks",
    doc="A Keras Layer subclass you write in Python; runs only once you trust the project",
    params=(
        ParamSpec("class_name", "str", initial="MyLayer", check=_identifier_check,
                  doc="The class the source defines"),
        ParamSpec("source", "str", default="",
                  doc="Python source of the class and the imports it needs"),
        ParamSpec("kwargs", "json", default=None, check=_kwargs_problem,
                  doc="Constructor keyword arguments (JSON object)"),
        ParamSpec("package", "str", default=DEFAULT_PACKAGE, check=_package_problem,
                  doc="Keras registers the class as 'package>class_name'"),
        ParamSpec("stored_weights", "int", default=None, min=0, allow_none=True,
                  doc="Weights the imported file holds for the layer (its count while "
                      "the source is missing)"),
        ParamSpec("outputs", "int", default=1, min=1,
                  doc="Number of tensors call() returns (one output port each)"),
        ParamSpec("output_shapes", "json", default=None, check=_records_problem,
                  doc="Output shapes Keras recorded in an imported model, keyed by input "
                      "shapes (used while the code is missing or not trusted)"),
    ),
    shape=_inner_shape,  # inside a block; a document's own node is bound (`bound_spec`)
    count=_active_count,
    min_inputs=1,
    max_inputs=None,
    outputs=lambda params: params.get("outputs") or 1,
))
