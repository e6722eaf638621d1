"""The hooks `runtime.train` calls around a data-parallel run (`distributed`), each a no-op
without a session: the settings several processes cannot train with, the data placed as
this rank's shard and the model wrapped in DDP, the evaluation's agreement on a stop, and
the model released after training. `distributed` exports them with its `Session`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .rank_join import refused as _refused

if TYPE_CHECKING:
    from .distributed import Session


def problems(doc, settings, world: int) -> list[str]:
    """Why these settings cannot train on `world` processes (empty when they can).

    Checked by the launcher before torchrun starts, and again by every rank.
    """
    found = []
    batch = int(settings["batch_size"])
    if batch % world:
        found.append(f"training.batch_size is the global batch, shared equally by the {world} "
                     f"processes, so it must be a multiple of {world}. Received: "
                     f"batch_size={batch}")
    if (doc.training or {}).get("finetune"):
        found.append("training.finetune: a two-phase fine-tune runs in one process only (its "
                     "second phase changes which weights train); remove the finetune section "
                     "or train with one process")
    if any(entry.get("name") == "terminate_on_nan" for entry in settings.get("callbacks") or []):
        found.append("training.callbacks: terminate_on_nan stops one rank by itself, which "
                     "would leave the others waiting; with several processes a NaN loss "
                     "already ends the run on every rank (rank 0 watches the loss)")
    return found


def refuse_unshardable(session: Session, doc, settings, save: str | None) -> str | None:
    """Refuse what cannot be shared over the ranks; the path this rank saves to.

    Raises:
        TrainingRefused: the `problems` of these settings.
    """
    found = problems(doc, settings, session.world)
    if found:
        raise _refused("; ".join(found))
    return save if session.is_main else None


def place(session: Session | None, plan, device: str, model) -> None:
    """Put the data on the device (this rank's shard) and wrap the model in DDP."""
    from .feed import on_device

    placed = on_device(plan, device, shard=session)
    if session is None:
        return
    if not placed:
        raise _refused("training.data: several processes need array data that fits on the "
                       "device (the device feed shards it); image folders and data kept on "
                       "the host train with one process")
    session.count_passes(plan)
    session.wrap(model)


def evaluation_callbacks(session: Session | None, guard) -> list:
    """What the final evaluation runs before `guard` (a `bridge.CutOnStop`): with a
    session, the `PassSync` that ends it after the same batch on every rank when rank 0's
    guard is asked to (then `guard.agreed` is set, and the guard reports the cut)."""
    from .rank_sync import PassSync

    if session is None:
        return []
    return [PassSync(session, "evaluation", lambda: guard.requested,
                     lambda: setattr(guard, "agreed", True), guard.bridge.request_stop)]


def agreed(session: Session | None, flag: bool) -> bool:
    """`flag`, or with a session rank 0's `flag` on every rank."""
    return flag if session is None else session.agree(flag)


def release(session: Session | None, model) -> None:
    if session is not None and model is not None:
        session.release(model)
