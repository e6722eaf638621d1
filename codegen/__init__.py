"""Graph -> Keras 3 Python source. Pure text: imports neither keras nor torch.

>>> from kerascanvas.graph.document import Document, Edge
>>> doc = Document()
>>> x = doc.add_node("Input", "image", {"shape": [4]})
>>> y = doc.add_node("Dense", "out", {"units": 2})
>>> doc.connect(Edge(x.id, 0, y.id, 0))
>>> doc.outputs = [y.id]
>>> print(generate(doc).split("def build_model():")[1])
<BLANKLINE>
    \"\"\"The model, uncompiled.\"\"\"
    image = keras.Input(shape=(4,), name='image')
    out = layers.Dense(units=2, name='out')(image)
    return keras.Model(inputs=image, outputs=out, name='model')
<BLANKLINE>
"""

from __future__ import annotations

import dataclasses

from kerascanvas.graph.document import Document

from . import custom, functional, generic, generic_helpers, operations, sequential, subclass
from .errors import CodegenError
from .literals import wrap_name_lists
from .plan import make_plan, with_left_out
from .script import to_script

STYLES = {
    "functional": functional.write,
    "sequential": sequential.write,
    "subclass": subclass.write,
}

__all__ = ["STYLES", "CodegenError", "generate"]


def with_generic_helpers(module, plan):
    """`module` with the functions of its KerasLayer families (after the DTYPE_POLICY
    constant of a mixed-precision model)."""
    if not plan.generic_helpers:
        return module
    at = 1 if plan.mixed else 0
    sources = [generic.helper_source(h) for h in plan.generic_helpers]
    return dataclasses.replace(module, blocks=[*module.blocks[:at], *sources,
                                               *module.blocks[at:]])


def generate(doc: Document, style: str = "functional", script: bool = False,
             model_name: str | None = None, analysis=None, distributed: bool = False) -> str:
    """Python source for the document's model.

    Args:
        doc: the document; it must be valid (no error issues).
        style: "functional", "sequential" (single chains only) or "subclass".
        script: when true, a complete training script (`python out.py --epochs 1`)
            instead of a module defining `build_model()`.
        model_name: the Keras name of the model; by default the project's
            (`Document.model_name`), else 'model'.
        analysis: a `graph.validate.Analysis` of `doc` already at hand, to save redoing it.
        distributed: with `script`, a script for torchrun (torch DDP, several processes).

    Returns:
        The source text; the same document always gives the same text.

    Raises:
        CodegenError: the document has errors, or `style` does not apply to it.
    """
    if style not in STYLES:
        raise CodegenError(f"Unknown code style {style!r}; expected one of {', '.join(STYLES)}")
    plan = make_plan(doc, analysis, inline_blocks=style == "subclass")
    with custom.shared_trust(doc), generic_helpers.active(plan.generic_helpers):
        # a nested model's own document trusts as `doc` does
        module = STYLES[style](plan, model_name or doc.model_name or "model")
    module = with_generic_helpers(module, plan)
    if distributed and not script:
        raise CodegenError("A distributed script is a training script: ask for script=True "
                           "(--script) with distributed=True (--distributed)")
    if script:
        module = to_script(module, plan, doc, distributed)
    module = with_left_out(module, plan)
    module = operations.with_namer(module)  # then our own lines wrapped, not a custom class's
    module = dataclasses.replace(module, blocks=[wrap_name_lists(b) for b in module.blocks])
    return custom.embed(module, plan.steps, plan.blocks).render()

