"""The runtime's answers about custom code, as `graph/` sees them: trust and shapes.

A document's `CustomContext` holds the digests of the code the user trusted (the
runtime fills it from its trust store, never from the project file) and the output
shapes and weight counts Keras computed for that code. While a document is analysed
or built, its context is the active one (`active`), so a CustomLayer inside one of
its block definitions, or in a nested model's own document, answers from it too.
"""

from __future__ import annotations

import hashlib
import json
import weakref
from collections.abc import Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from ..errors import ShapeError
from ..shapes import fmt

PENDING = "custom_pending"  # the issue code of a shape Keras has not computed yet
TRUST_HINT = ("trust it with 'Trust custom code...' in the window, or pass "
              "--trust-custom-code on the command line")


def code_digest(params: Mapping[str, Any]) -> str:
    """The identity of a node's code: sha256 of its class name and source."""
    text = f"{params.get('class_name', '')}\0{params.get('source', '')}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def shape_key(params: Mapping[str, Any], inputs: list) -> str:
    """The key of one shape computation: the code, its kwargs and the input shapes."""
    data = [code_digest(params), params.get("kwargs"), [list(s) for s in inputs]]
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode("utf-8")).hexdigest()


class CustomShapeError(ShapeError):
    """Keras has not answered yet (`code` "custom_pending") or refused ("custom_failed"),
    or the code cannot run (missing, not parsing, not trusted).

    `recorded`: the output shapes of the block that raised it, had its custom code run as
    when Keras recorded it (an import's `output_shapes`), or None when they are unknown;
    `count`: the block's weights then, or None when some are unknown.
    """

    def __init__(self, message: str, code: str, recorded: list | None = None):
        super().__init__(message)
        self.code = code
        self.recorded = recorded
        self.count: tuple[int, int] | None = None


@dataclass
class CustomContext:
    """What the runtime tells inference about a document's custom code.

    Attributes:
        trusted: digests (`code_digest`) of the sources the user trusted.
        results: shape key -> {"outputs": [shapes], "count": [t, n]} or {"error": text},
            as the worker computed them.
        pending: shape key -> the request inference could not answer yet (class name,
            source, kwargs, input shapes); the runtime computes these.
    """

    trusted: frozenset[str] = frozenset()
    results: dict[str, dict] = field(default_factory=dict)
    pending: dict[str, dict] = field(default_factory=dict)

    def lookup(self, params: Mapping[str, Any], inputs: list) -> dict | None:
        """The computed result for these inputs, or None after noting the request.

        Only trusted code is ever requested: anything else is refused here, so a
        runtime that computes `pending` never runs code the user did not trust.
        """
        if code_digest(params) not in self.trusted:
            raise CustomShapeError(f"custom code not trusted: class {params['class_name']}; "
                                   f"{TRUST_HINT}", "custom_untrusted")
        key = shape_key(params, inputs)
        if key in self.results:
            return self.results[key]
        self.pending[key] = {"class_name": params["class_name"], "source": params["source"],
                             "kwargs": params.get("kwargs") or {},
                             "inputs": [list(s) for s in inputs]}
        return None


_CONTEXTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def context(doc) -> CustomContext:
    """The document's context (a fresh, untrusting one the first time)."""
    found = _CONTEXTS.get(doc)
    if found is None:
        found = _CONTEXTS[doc] = CustomContext()
    return found


def set_context(doc, ctx: CustomContext) -> None:
    """Give `doc` a context (the runtime does, after reading the trust store)."""
    _CONTEXTS[doc] = ctx


def _keras_result(ctx: CustomContext, params: Mapping[str, Any], inputs: list) -> dict:
    """Keras' answer for the node's code on `inputs`, from `ctx`; CustomShapeError when
    the code is not trusted, not computed yet, or refused by Keras."""
    found = ctx.lookup(params, inputs)
    received = ", ".join(fmt(s) for s in inputs)
    if found is None:
        raise CustomShapeError(f"output shape not computed yet (Keras computes it in a "
                               f"worker process). Received: input shapes {received}",
                               PENDING)
    if "error" in found:
        raise CustomShapeError(f"Keras refused {params['class_name']} on input shapes "
                               f"{received}: {found['error']}", "custom_failed")
    return found


def _rules(get_ctx):
    """(shape, count) rules answered by the context `get_ctx()` gives."""

    def shape(params, inputs):
        return [tuple(s) for s in _keras_result(get_ctx(), params, inputs)["outputs"]]

    def count(params, inputs):  # a frozen layer's weights are all non-trainable
        trainable, frozen = _keras_result(get_ctx(), params, inputs)["count"]
        return (trainable, frozen) if params.get("trainable", True) else (0, trainable + frozen)

    return shape, count


# A block definition's nodes have no document of their own: while a document is
# analysed (or built), its context is the active one, and a CustomLayer inside one of
# its blocks answers from it (trust, and the shapes Keras computed).
_ACTIVE: ContextVar[CustomContext | None] = ContextVar("kerascanvas_custom", default=None)


@contextmanager
def active(ctx: CustomContext):
    """Make `ctx` the context of custom code met inside blocks, for the `with` body."""
    token = _ACTIVE.set(ctx)
    try:
        yield ctx
    finally:
        _ACTIVE.reset(token)


def current(doc) -> CustomContext:
    """The active context (a build's nested documents share their model's), else doc's."""
    return _ACTIVE.get() or context(doc)


def cache_token() -> tuple | None:
    """What a cached block trace with custom code inside depends on: the active context's
    identity, trust and answers so far (None outside an analysis)."""
    ctx = _ACTIVE.get()
    return None if ctx is None else (id(ctx), tuple(sorted(ctx.trusted)), len(ctx.results))


def _active_ctx() -> CustomContext:
    ctx = _ACTIVE.get()
    if ctx is None:
        raise ShapeError("a CustomLayer is analysed within its project (its trust and the "
                         "shapes Keras computed)")
    return ctx


_active_shape, _active_count = _rules(_active_ctx)


