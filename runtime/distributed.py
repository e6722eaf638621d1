"""Data-parallel training with torch DDP, inside a process that torchrun started.

Keras 3.15 has no `keras.distribution` for torch, so each rank runs our usual
engine (`runtime.train`) and this module makes the ranks one run:

- `join(device)` starts the process group from torchrun's environment (`RANK`,
  `WORLD_SIZE`, `LOCAL_RANK`, `MASTER_ADDR`...): gloo on the CPU, nccl on GPUs
  with one rank per GPU (`cuda:LOCAL_RANK`). Outside torchrun it returns None and
  nothing changes.
- `Session.wrap(model)` wraps the Keras model in `DistributedDataParallel`
  (which broadcasts rank 0's weights, then averages the gradients in backward)
  and routes the training forward pass through it; the optimizer still applies
  the gradients, as in the keras.io guide on torch DDP.
- `batch_size` is the *global* batch: each step, every rank trains on its own
  `batch_size / world` samples of the same global batch (`runtime.feed` shards
  it), DDP averages the gradients, so a step, the steps per epoch and the
  learning rate mean what they mean in a one-process run.
- Metrics are global: the metric states (sums and counts) are summed over the
  ranks before Keras turns them into the epoch's logs, for training,
  validation and evaluation alike. Logs are identical on every rank, so early
  stopping or a LR plateau decides the same everywhere.
- BatchNormalization: Keras keeps its moving statistics as Parameters without
  gradients, which DDP does not reduce. Each rank normalises with its own
  batch's statistics (as torch's plain DDP does); at the end of every training
  epoch the moving mean and variance are averaged over the ranks, so every
  rank, and the model rank 0 saves, hold the same statistics.
- Stop and pause: rank 0 hears the window's commands; a launcher passes Ctrl+C
  and SIGTERM on to the ranks of its own machine. Before every batch the ranks
  agree (an all-reduce on a CPU gloo group with a long timeout, so a paused rank 0
  holds the others without a GPU sync): they stop when rank 0 decides to (a stop,
  early stopping, a NaN loss) or when any rank was asked to stop (a launcher on
  another machine), so every rank ends after the same batch, and a rank that was
  not asked takes the stop as its own (rank 0 then keeps the model and says where).
  The validation pass and the final evaluation are cut the same way
  (`rank_sync.PassSync`): before each of their batches the ranks agree, so a stop
  ends the pass after the same batch everywhere, and the metric sums that follow
  stay collective. Each rank
  evaluates its own share of the held-out data, and the shares may differ by a
  batch, so the ranks agree only over the batches every rank has, less the last
  (counted once, when the data is placed): a pass cut there is cut on every rank,
  and a stop that comes later lets the pass end, at most two batches on.

Newer Keras versions start to wrap DDP by themselves under torchrun;
`check_keras()` (in `rank_join`, which starts and ends a rank's session) refuses a
version this module has not been checked against. The hooks `runtime.train` calls (the
settings several ranks refuse, placing the data and the model) are in `rank_hooks`.
The step must be Keras' `train_step` path (a captured whole-step function that
replaces `Model.train_function` would bypass DDP): `rank_sync.RankSync` fails the run
loudly if no step went through `ddp_train_step`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import rank_end
from .keras_env import import_keras
from .launch import is_main, launched, rank
from .rank_hooks import agreed, evaluation_callbacks, place, problems, refuse_unshardable, release
from .rank_join import check_keras, failure, join, leave, stop_asker  # noqa: F401

__all__ = ["Session", "agreed", "check_keras", "evaluation_callbacks", "failure", "is_main",
           "join", "launched", "leave", "place", "problems", "rank", "refuse_unshardable",
           "release", "stop_asker"]

keras = import_keras()


@dataclass
class Session:
    """This rank's place in the run and the groups it talks through."""

    rank: int
    world: int
    local_rank: int
    device: str
    seed: int
    control: Any = None
    ddp: Any = None
    _patched: list[str] = field(default_factory=list)
    _epoch_open: bool = False
    ddp_steps: int = 0  # steps run through `ddp_train_step` (RankSync checks it)
    updated: bool = True  # the batch begun last updated the weights (`PassWatch`)
    # Batches of the validation pass and of the final evaluation that every rank has.
    passes: dict[str, int] = field(default_factory=dict)
    stop_asker: int | None = None  # the lowest rank whose stop request stopped the run
    failure: str | None = None  # where this rank failed, and what it received
    lost: str | None = None  # what this rank received when it lost a peer (`rank_census`)
    agreements: int = 0  # agreements begun (`rank_watch.note`)
    waiting_since: float | None = None  # monotonic time this rank began waiting in one
    watch: Any = None  # rank 0's `rank_watch.Watch`, from training's start to `leave`

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    # ---- settings ---------------------------------------------------------------
    def keep(self, callbacks: list) -> list:
        """The callbacks this rank runs: rank 0 all, the others none that write files."""
        from .callbacks import TensorBoardLogger

        writers = (keras.callbacks.ModelCheckpoint, keras.callbacks.CSVLogger,
                   keras.callbacks.BackupAndRestore, TensorBoardLogger)
        if self.is_main:
            return callbacks
        return [cb for cb in callbacks if not isinstance(cb, writers)]

    # ---- the model ----------------------------------------------------------------
    def wrap(self, model) -> None:
        """Wrap `model` in DDP for training and make its logs global (see the module)."""
        import torch
        from torch.nn.parallel import DistributedDataParallel

        ids = [torch.cuda.current_device()] if self.device == "cuda" else None
        self.ddp = DistributedDataParallel(model, device_ids=ids)
        original = model._get_metrics_result_or_logs

        def global_logs(logs):
            self.sum_metrics(model)
            if self._epoch_open:  # the epoch's training just ended, validation is next
                self._epoch_open = False
                self.average_statistics(model)
            return original(logs)

        from .rank_sync import ddp_train_step

        model.train_step = ddp_train_step(model, self.ddp, self)
        model._get_metrics_result_or_logs = global_logs
        self._patched = ["train_step", "_get_metrics_result_or_logs"]
        # Dropout (torch's own RNG) should differ between ranks; weights were broadcast.
        torch.manual_seed(self.seed + 7919 * self.rank)

    def release(self, model) -> None:
        """Undo `wrap`: evaluate and predict run on this rank's own data again."""
        for name in self._patched:
            model.__dict__.pop(name, None)
        self._patched, self.ddp = [], None

    def sum_metrics(self, model) -> None:
        """Sum every metric's state (totals, counts, confusion counts) over the ranks."""
        _sum_over_ranks([v.value for v in model.metrics_variables])

    def average_statistics(self, model) -> None:
        """Average BatchNormalization's moving mean and variance over the ranks."""
        values = [v.value for layer in model._flatten_layers(include_self=False)
                  if isinstance(layer, keras.layers.BatchNormalization)
                  for v in (layer.moving_mean, layer.moving_variance)]
        _sum_over_ranks(values, 1.0 / self.world)

    # ---- agreement ------------------------------------------------------------------
    def agree(self, flag: bool) -> bool:
        """Rank 0's `flag`, on every rank (a CPU broadcast: no GPU sync)."""
        import torch
        import torch.distributed as dist

        value = torch.tensor([1 if flag else 0], dtype=torch.int32)
        dist.broadcast(value, src=0, group=self.control)
        return bool(value.item())

    def agree_stop(self, decision: bool, request: bool,
                   where: str = "") -> tuple[bool, bool]:
        """(whether every rank stops, whether a rank heard a stop request), the same on
        every rank, in one CPU all-reduce. `decision` counts on rank 0 only (its stop
        flag: early stopping, a NaN loss, a stop it heard); `request` (a stop the user
        asked of this rank: its launcher passed on a Ctrl+C or SIGTERM) counts on every
        rank, since a launcher reaches the ranks of its own machine only. The lowest rank
        that heard one is kept in `stop_asker`. `where` is noted for `rank_watch`, which
        tells a rank that the others wait for."""
        import time

        import torch
        import torch.distributed as dist

        from .rank_watch import note

        value = torch.tensor([int(bool(decision) and self.is_main),
                              self.world - self.rank if request else 0], dtype=torch.int64)
        note(self, where)
        self.waiting_since = time.monotonic()
        try:
            dist.all_reduce(value, op=dist.ReduceOp.MAX, group=self.control)
        finally:
            self.waiting_since = None
        requested = bool(value[1])
        if requested and self.stop_asker is None:
            self.stop_asker = self.world - int(value[1])
        return bool(value[0]) or requested, requested

    def count_passes(self, plan) -> None:
        """Count the batches of the two held-out passes that every rank has (the fewest
        of any rank), in one all-reduce at placement."""
        import torch
        import torch.distributed as dist

        loaders = (plan.fit.get("validation_data"), plan.evaluate.get("x"))
        mine = torch.tensor([len(x) if x is not None else 0 for x in loaders],
                            dtype=torch.int64)
        dist.all_reduce(mine, op=dist.ReduceOp.MIN, group=self.control)
        self.passes = {"validation": int(mine[0]), "evaluation": int(mine[1])}

    def callbacks(self, bridge) -> list:
        """The callback that keeps every rank on the same batch; last in the list.

        The bridge then leaves Keras' stop flag to the batch hooks: set from another
        thread in the middle of a batch, it would end that batch's epoch on this
        rank alone.
        """
        from .rank_sync import RankSync

        bridge.stop_at_once = False
        return [RankSync(self, bridge)]


def _sum_over_ranks(tensors: list, scale: float = 1.0) -> None:
    """Replace each tensor by its sum over the ranks (times `scale`), in one all-reduce
    (in float64, so counts stay exact)."""
    import torch
    import torch.distributed as dist

    if not tensors:
        return
    with torch.no_grad():
        flat = torch.cat([t.detach().reshape(-1).to(torch.float64) for t in tensors])
        dist.all_reduce(flat)
        if scale != 1.0:
            flat *= scale
        with rank_end.held():  # every tensor or none, even if a SIGTERM comes
            for tensor, part in zip(tensors, flat.split([t.numel() for t in tensors]),
                                    strict=True):
                tensor.copy_(part.reshape(tensor.shape).to(tensor.dtype))
