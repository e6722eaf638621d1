"""Custom code in a study: the trust it runs under, and the shapes its trials ask for.

A study runs the custom code (custom layers, the training code's losses and metrics)
that its caller trusts, never what the project file says is trusted: `trust` sets
exactly that trust on the driver's document and refuses, before any trial, code
outside it. Each trial's values may give a custom layer shapes nobody computed yet;
`TrialShapes` has Keras compute them in one worker process that the trial threads
share, started when first needed (never in the driver's process, which may be the
window's).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from kerascanvas.graph.document import Document
from kerascanvas.graph.layers import custom

from ..custom_code import carry_context
from .study import StudyError


def trust(doc: Document, trusted_code: Iterable[str]) -> None:
    """Trust exactly `trusted_code` (code digests) in `doc`, keeping the shapes the caller
    computed.

    Raises:
        StudyError: custom code of `doc` outside `trusted_code`, each piece named.
    """
    from kerascanvas.graph import training_code

    if not custom.has_code(doc):
        return
    trusted = frozenset(trusted_code)
    untrusted = [f"{n.name!r} ({n.params.get('class_name')})"
                 for n in custom.custom_nodes(doc)
                 if str(n.params.get("source") or "").strip()
                 and custom.code_digest(n.params) not in trusted]
    if training_code.digest(doc.training) not in {None, *trusted}:
        untrusted.append("the training code (custom losses and metrics)")
    if untrusted:
        raise StudyError(
            f"custom code not trusted: {', '.join(untrusted)}; no trial started, nothing "
            f"ran. {custom.TRUST_HINT[0].upper()}{custom.TRUST_HINT[1:]}")
    known = custom.context(doc).results
    custom.set_context(doc, custom.CustomContext(trusted=trusted, results=known))


class TrialShapes:
    """The custom-layer shape worker of a study's trials (see the module doc)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._worker = None

    def carry(self, doc: Document, trial_doc: Document) -> None:
        """Give `trial_doc` the trust of `doc` and the shapes its values ask for.

        Raises:
            WorkerError: Keras could not compute them (the worker is replaced next time).
        """
        from ..custom_worker import WorkerError, WorkerSolver

        if not custom.has_code(trial_doc):
            return
        with self._lock:  # one context for every trial thread, one worker
            def solve(requests):
                if self._worker is None:
                    self._worker = WorkerSolver()
                return self._worker(requests)
            try:
                carry_context(doc, trial_doc, solve)
            except WorkerError:
                self._worker = None
                raise

    def close(self) -> None:
        if self._worker is not None:
            self._worker.close()
