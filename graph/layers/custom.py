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

This module holds the kind's entry, its parameter checks and its rules bound to a
document; the source text is read in `custom_source`, a document's custom code as a
whole in `custom_project`, what an import recorded in `custom_recorded`, and the
shapes Keras computed in `custom_context`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

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
from .custom_project import (  # noqa: F401 - public here too
    class_conflicts,
    code_digests,
    custom_nodes,
    has_code,
    project_digest,
    script_name_clashes,
)
from .custom_recorded import (  # noqa: F401 - public here too
    PORTS_FIX,
    PORTS_ISSUE,
    ports_problem,
    recorded_count,
    recorded_outputs,
)
from .custom_source import (  # noqa: F401 - public here too
    ATTACH_FIX,
    ATTACH_HINT,
    CODE_ISSUES,
    DEFAULT_PACKAGE,
    NO_SOURCE,
    TRUST_FIX,
    code_problem,
    missing_source_message,
    registered_name,
    source_problem,
    split_source,
)
from .generic import _records_problem
from .shared import OWNER_PARAM


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
    # a class may return its outputs nested: the code flattens them, as Keras numbers them
    nested_outputs=lambda params: (params.get("outputs") or 1) > 1,
))
