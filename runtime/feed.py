"""Array data kept on the training device and batched there.

Given NumPy arrays, Keras' `fit` on torch makes every batch on the host: a
sampler yields the batch's indices one Python int at a time, NumPy gathers the
rows, and the batch is copied to the device. On CUDA that copy comes from
pageable memory, so it waits for the GPU's queued work before each batch and
the host cannot run ahead.

`on_device(plan, device)` moves the arrays to the device once (when they fit:
at most `MEMORY_SHARE` of the free GPU memory) and gives `fit` and `evaluate`
`torch.utils.data.DataLoader`s whose batches are gathered on the device from
one permutation per epoch, drawn as Keras' loader draws it. On the CPU the
tensors share the arrays' memory.
What the model sees is what Keras' own path gives it: float arrays in
`floatx`, other dtypes unchanged, the same batch sizes with the last batch
partial, a fresh shuffle each epoch (or none), and `class_weight` turned into
per-sample weights as Keras does (`class_weight_to_sample_weights`). Data
that does not fit, or that torch cannot hold (strings), keeps Keras' own path.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from .keras_env import import_keras

MEMORY_SHARE = 0.5  # of the free GPU memory, at most, for the training data


class DeviceArrays:
    """A map-style dataset of tensors on one device, gathered a whole batch at a time.

    `structure` is the nest Keras unpacks: `(x, y)` or `(x, y, sample_weight)`,
    where `x` and `y` are a tensor or a list of tensors.
    """

    def __init__(self, structure: tuple, length: int):
        self.structure = structure
        self.length = length

    def __len__(self) -> int:
        return self.length

    def __getitems__(self, index):
        import torch

        def take(t):
            if isinstance(index, slice):
                return t[index]
            return torch.index_select(t, 0, index)

        return tuple(_map(take, part) for part in self.structure)


def _map(fn, nest):
    if nest is None:
        return None
    if isinstance(nest, list | tuple):
        return [fn(t) for t in nest]
    return fn(nest)


class Batches:
    """Index batches for `DeviceArrays`: slices in order, or a fresh permutation each epoch
    when shuffling, drawn as Keras' own loader draws it (so a seed repeats Keras' order)."""

    def __init__(self, length: int, batch_size: int, shuffle: bool, device):
        self.length, self.batch_size = length, int(batch_size)
        self.shuffle, self.device = shuffle, device

    def __len__(self) -> int:
        return math.ceil(self.length / self.batch_size)

    def __iter__(self):
        import torch

        if not self.shuffle:
            for start in range(0, self.length, self.batch_size):
                yield slice(start, min(start + self.batch_size, self.length))
            return
        # As Keras' own loader shuffles (torch's RandomSampler): a seed drawn from torch's
        # global generator, then the permutation from a CPU generator of its own, so a
        # seeded run sees the batches (and Dropout masks) that Keras' `fit` gives it.
        seed = int(torch.empty((), dtype=torch.int64).random_().item())
        order = torch.randperm(self.length, generator=torch.Generator().manual_seed(seed))
        yield from order.to(self.device).split(self.batch_size)


class ShardedBatches(Batches):
    """This rank's part of every global batch, for data-parallel training.

    The epoch's order (a permutation from a generator seeded alike on every
    rank, or the plain order) is cut into global batches of `batch_size`, as
    one process would; each global batch is split into `world` equal parts and
    rank `rank` takes part `rank`. A last, partial global batch is filled up to
    a multiple of `world` with samples from the start of the epoch's order (as
    torch's DistributedSampler pads), so every rank runs the same number of
    equal batches and DDP's averaged gradient is the global batch's.
    """

    def __init__(self, length: int, batch_size: int, shuffle: bool, device, shard):
        super().__init__(length, batch_size, shuffle, device)
        import torch

        self.rank, self.world = shard.rank, shard.world
        self.generator = torch.Generator().manual_seed(int(shard.seed))

    def __iter__(self):
        import torch

        order = torch.randperm(self.length, generator=self.generator) if self.shuffle \
            else torch.arange(self.length)
        for start in range(0, self.length, self.batch_size):
            batch = order[start:start + self.batch_size]
            short = -len(batch) % self.world
            if short:
                batch = torch.cat([batch, order[:short]])
            yield batch.view(self.world, -1)[self.rank].to(self.device)


def _first(batch):
    return batch


def loader(x, y, sample_weight, batch_size: int, shuffle: bool, device, shard=None):
    """A DataLoader over tensors already on `device` (see `DeviceArrays`).

    With `shard` (a `distributed.Session`), the batches are this rank's parts of
    the global batches of `batch_size` (see `ShardedBatches`).
    """
    import torch

    length = int(next(iter(_flat(x))).shape[0])
    parts = (x, y) if sample_weight is None else (x, y, sample_weight)
    batches = Batches(length, batch_size, shuffle, device) if shard is None else \
        ShardedBatches(length, batch_size, shuffle, device, shard)
    return torch.utils.data.DataLoader(DeviceArrays(parts, length), batch_sampler=batches,
                                       collate_fn=_first)


def held_out(x, y, batch_size: int, device, shard=None):
    """A DataLoader to evaluate on: all of `x, y`, or with `shard` this rank's contiguous
    share of it in batches of the rank's share of `batch_size` (metric states are then
    summed over the ranks, so the shares need not be equal and nothing is repeated)."""
    if shard is not None:
        length = int(next(iter(_flat(x))).shape[0])
        start, stop = (length * shard.rank) // shard.world, \
            (length * (shard.rank + 1)) // shard.world
        x, y = _map(lambda t: t[start:stop], x), _map(lambda t: t[start:stop], y)
        batch_size = max(batch_size // shard.world, 1)
    return loader(x, y, None, batch_size, False, device)


def _flat(nest) -> list:
    if nest is None:
        return []
    return list(nest) if isinstance(nest, list | tuple) else [nest]


def _nbytes(nest) -> int:
    return sum(int(getattr(a, "nbytes", 0)) for a in _flat(nest))


def to_tensor(array, device):
    """`array` as a torch tensor on `device`: floats in floatx, as Keras' adapter casts.

    Raises:
        TypeError: torch cannot hold the array (strings, objects).
    """
    import numpy as np
    import torch

    keras = import_keras()
    array = np.asarray(array)
    if array.dtype.kind in "OUSV":
        raise TypeError(f"torch cannot hold an array of dtype {array.dtype}")
    if array.dtype.kind == "f" and array.dtype != np.dtype(keras.backend.floatx()):
        array = array.astype(keras.backend.floatx())
    wider = _KERAS_UNSIGNED.get(array.dtype.name)
    if wider is not None:  # torch cannot gather these; Keras' batches widen them
        array = array.astype(wider)
    return torch.from_numpy(np.ascontiguousarray(array)).to(device)


# The unsigned dtypes Keras' torch backend holds in a wider signed one (`to_torch_dtype`).
_KERAS_UNSIGNED = {"uint16": "int32", "uint32": "int64"}


def class_sample_weights(y, class_weight: Mapping[int, float]):
    """Per-sample weights from `class_weight`, derived from the labels as Keras does:
    one-hot rows by their argmax, a trailing axis of 1 squeezed, values rounded to
    class ids, and weight 1 for a class the mapping leaves out."""
    import numpy as np

    keras = import_keras()
    labels = np.asarray(y)
    if labels.ndim > 1:
        labels = labels.argmax(-1) if labels.shape[-1] != 1 else labels.squeeze(-1)
    ids = np.round(labels).astype("int32")
    table = {int(k): float(v) for k, v in class_weight.items()}
    return np.array([table.get(int(i), 1.0) for i in ids], dtype=keras.backend.floatx())


def fits_on(device: str, nbytes: int) -> bool:
    """Whether `nbytes` of data may live on `device` (always, for the CPU)."""
    if device != "cuda":
        return True
    import torch

    free, _total = torch.cuda.mem_get_info()
    return nbytes <= MEMORY_SHARE * free


def on_device(plan, device: str, shard=None) -> bool:
    """Turn a FitPlan of arrays into DataLoaders over device tensors; True if it did.

    `plan.fit` and `plan.evaluate` are changed in place. Anything but arrays (an
    image folder) and data that does not fit are left to Keras' own path. With
    `shard` (a `distributed.Session`), training batches are this rank's parts of
    each global batch and evaluation covers this rank's share of the held-out data.
    """
    import torch

    fit = plan.fit
    x, y = fit.get("x"), fit.get("y")
    if y is None or isinstance(x, torch.utils.data.DataLoader):
        return False
    if fit.get("class_weight") is not None and isinstance(y, list | tuple):
        return False  # Keras' own path refuses this with its message
    val = fit.get("validation_data")
    held = (plan.evaluate["x"], plan.evaluate["y"])
    arrays = [x, y] + (list(val) if val else [])
    if not fits_on(device, sum(_nbytes(a) for a in arrays)):
        return False
    place = torch.device(device)
    try:
        tx, ty = _map(lambda a: to_tensor(a, place), x), _map(lambda a: to_tensor(a, place), y)
        weights = fit.get("class_weight")
        sw = None if weights is None else to_tensor(class_sample_weights(y, weights), place)
        val_t = None if not val else tuple(_map(lambda a: to_tensor(a, place), part)
                                           for part in val)
    except TypeError:
        return False
    batch = int(fit["batch_size"])
    train = loader(tx, ty, sw, batch, bool(fit.get("shuffle", True)), place, shard)
    validation = None if val_t is None else held_out(*val_t, batch, place, shard)
    plan.fit = {k: v for k, v in fit.items()
                if k not in ("x", "y", "batch_size", "shuffle", "class_weight",
                             "validation_data")}
    # `shuffle=False` only tells Keras not to expect to shuffle: the loader does.
    plan.fit.update(x=train, validation_data=validation, shuffle=False)
    if val and _same(held, val):
        plan.evaluate = {"x": validation}
    else:
        plan.evaluate = {"x": held_out(tx, ty, batch, place, shard)}
    return True


def _same(held: Sequence[Any], val: Sequence[Any]) -> bool:
    return all(a is b for a, b in zip(_flat(held[0]) + _flat(held[1]),
                                      _flat(val[0]) + _flat(val[1]), strict=False))
