"""Explain a shape rule's refusal: a code, the port at fault, and the fixes that would work.

Fixes are offered only when they are known to help: for a rank problem the shape
rule is run again on the input as it would be after the fix (flattened, or pooled
to a vector), and the fix is offered if the rule then accepts it. `graph.fixes`
applies them:

    insert_flatten, insert_gap2d      before the port at fault
    insert_projection                 merge inputs whose channels differ
    insert_cropping, insert_padding   merge inputs whose spatial sizes differ
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ShapeError
from .shapes import num_elements
from .spec import LayerSpec, Shape

SPATIAL_FIXES = ("insert_cropping", "insert_padding")


@dataclass(frozen=True)
class Diagnosis:
    """What a shape refusal means: the full message, a code, the port and fixes."""

    message: str
    code: str
    port: int | None
    fixes: tuple[str, ...] = ()


def diagnose_shape_error(name: str, spec: LayerSpec, params: dict, inputs: list[Shape],
                         exc: ShapeError) -> Diagnosis:
    """Explain `exc`, raised by `spec`'s shape rule on `inputs` for the node `name`."""
    port = exc.port if isinstance(exc.port, int) and 0 <= exc.port < max(len(inputs), 1) \
        else None
    where = f"{name!r} ({spec.kind})"
    if port is not None and (len(inputs) > 1 or spec.input_names):
        where += f", input port {spec.port_name(port)}"
    message = f"{where}: {exc}"
    if spec.is_merge and len(inputs) > 1:
        code, extra, fixes = _merge_problem(spec, params, inputs)
        return Diagnosis(message + extra, code, port, fixes)
    probe_port = port if port is not None else 0
    fixes = _rank_fixes(spec, params, inputs, probe_port) if inputs else ()
    code = "rank_mismatch" if fixes or "rank" in str(exc) else "shape_mismatch"
    if fixes and port is None:
        port = probe_port
    return Diagnosis(message, code, port, fixes)


# ---- rank problems --------------------------------------------------------
def _rank_candidates(shape: Shape) -> list[tuple[str, Shape]]:
    """The input as it would be after each rank-changing fix that applies to it."""
    if len(shape) < 3:
        return []
    out = [("insert_flatten", (shape[0], num_elements(shape[1:])))]
    if len(shape) == 4:
        out.append(("insert_gap2d", (shape[0], shape[-1])))
    return out


def _rank_fixes(spec: LayerSpec, params: dict, inputs: list[Shape], port: int) -> tuple:
    if port >= len(inputs):
        return ()
    fixes = []
    for fix, candidate in _rank_candidates(inputs[port]):
        trial = list(inputs)
        trial[port] = candidate
        if _accepts(spec, params, trial):
            fixes.append(fix)
    return tuple(fixes)


def _accepts(spec: LayerSpec, params: dict, inputs: list[Shape]) -> bool:
    try:
        spec.output_shapes(params, inputs)
    except Exception:  # noqa: BLE001 - any refusal means the fix does not help
        return False
    return True


# ---- merges ---------------------------------------------------------------
def _merge_problem(spec: LayerSpec, params: dict, inputs: list[Shape]):
    """(code, text added to the message, fixes) for a merge whose inputs do not fit."""
    ranks = {len(s) for s in inputs}
    if len(ranks) > 1:
        listed = ", ".join(f"{spec.port_name(i)} has rank {len(s)}" for i, s in enumerate(inputs))
        return "rank_mismatch", f". Expected inputs of one rank; {listed}", ()
    rank = ranks.pop()
    concat = spec.kind == "Concatenate"
    skip = _axis(params.get("axis", -1), rank) if concat else None
    axes = [a for a in range(1, rank) if a != skip and _differs(inputs, a, concat)]
    if not axes:
        return "shape_mismatch", "", ()
    text = "; ".join(_describe_axis(spec, inputs, a) for a in axes)
    spatial = rank == 4 and all(0 < a < rank - 1 for a in axes)
    if concat:
        joined = f"Concatenate joins on axis {skip}; every other axis must match"
        return "concat_mismatch", f". {joined}, but {text}", SPATIAL_FIXES if spatial else ()
    if rank - 1 in axes:  # a strided 1x1 projection also fixes the spatial size
        return "channel_mismatch", f". Expected equal shapes, but {text}", \
            ("insert_projection",)
    return "shape_mismatch", f". Expected equal shapes, but {text}", \
        SPATIAL_FIXES if spatial else ()


def _axis(axis, rank: int) -> int | None:
    if isinstance(axis, int) and -rank <= axis < rank:
        return axis % rank
    return None


def _differs(inputs: list[Shape], axis: int, concat: bool) -> bool:
    """Whether known sizes along `axis` disagree (1 broadcasts in elementwise merges)."""
    sizes = {s[axis] for s in inputs if s[axis] is not None and (concat or s[axis] != 1)}
    return len(sizes) > 1


def _describe_axis(spec: LayerSpec, inputs: list[Shape], axis: int) -> str:
    sizes = ", ".join(f"{spec.port_name(i)} has {s[axis]}" for i, s in enumerate(inputs))
    return f"axis {axis} differs ({sizes})"
