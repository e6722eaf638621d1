"""Keras optimizer updates with fewer temporaries, for the lean step.

Keras' torch optimizers update with `_foreach` ops, but most of them make a new
list of parameter-sized tensors (g*g, sqrt(v), sqrt(v)+eps, m*alpha, the
quotient): five fresh allocations per step for Adam. On the CPU these fresh
buffers cost more than the arithmetic (page faults on every large allocation).
The functions here compute the same update in place, into one scratch list kept
between steps, reading the same Keras slots (`_momentums`, `_velocities`...), so
the optimizer's state stays Keras' own and is saved with the model.

The results equal Keras' up to float rounding (the order of a multiply and a
divide differs): the tests compare against `optimizer.apply`.

`lean_update(optimizer)` gives an update function, or None when the optimizer
or one of its options (gradient accumulation, EMA, loss scaling, clipping,
constraints, AMSGrad and the like) is not covered: the step then calls Keras'
own `optimizer.apply`, which is always correct.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from ..keras_env import import_keras

LossScaleOptimizer = import_keras().optimizers.LossScaleOptimizer

class LeanUpdate:
    """`update(grads)`: one optimizer step on the optimizer's own variables.

    Besides the parameters it updates `optimizer.iterations` and applies the
    weight decay as Keras does (before the update, with the current rate).
    """

    def __init__(self, optimizer, rule: Callable):
        self.optimizer = optimizer
        self.rule = rule
        self.variables = list(optimizer._trainable_variables)
        self.params = [v.value for v in self.variables]
        self.decayed = [v.value for v in self.variables if optimizer.weight_decay and
                        optimizer._use_weight_decay(v)]
        self.scratch: list[torch.Tensor] | None = None
        self.rate: Callable[[], torch.Tensor] | None = None  # replaces Keras' rate lookup
        self.step_tensor: torch.Tensor | None = None  # the fused CPU Adam's step count

    def slots(self, name: str) -> list[torch.Tensor]:
        index = self.optimizer._get_variable_index
        return [getattr(self.optimizer, name)[index(v)].value for v in self.variables]

    def scratch_like(self) -> list[torch.Tensor]:
        if self.scratch is None:
            self.scratch = [torch.empty_like(p) for p in self.params]
        return self.scratch

    def learning_rate(self) -> torch.Tensor:
        """The rate in force (a schedule's at this step), as a tensor on the device."""
        lr = self.rate() if self.rate is not None else \
            self.optimizer._get_current_learning_rate()
        lr = lr.value if hasattr(lr, "value") else lr
        return torch.as_tensor(lr, dtype=self.params[0].dtype, device=self.params[0].device)

    @torch.no_grad()
    def __call__(self, grads: list[torch.Tensor]) -> None:
        opt = self.optimizer
        lr = self.learning_rate()
        if self.decayed:  # as Keras: before the update, scaled by the current rate
            torch._foreach_mul_(self.decayed, 1 - opt.weight_decay * lr)
        self.rule(self, grads, lr)
        opt._iterations.value.add_(1)


def _adam(up: LeanUpdate, grads, lr) -> None:
    opt = up.optimizer
    m, v, params = up.slots("_momentums"), up.slots("_velocities"), up.params
    step = (opt._iterations.value + 1).to(lr.dtype)
    alpha = lr * torch.sqrt(1 - torch.pow(opt.beta_2, step)) / (1 - torch.pow(opt.beta_1, step))
    if params[0].device.type == "cpu":
        return _adam_fused_cpu(up, grads, m, v, int(step), float(alpha))
    torch._foreach_mul_(m, opt.beta_1)
    torch._foreach_add_(m, grads, alpha=1 - opt.beta_1)
    torch._foreach_mul_(v, opt.beta_2)
    torch._foreach_addcmul_(v, grads, grads, value=1 - opt.beta_2)
    denom = up.scratch_like()
    torch._foreach_copy_(denom, v)
    torch._foreach_sqrt_(denom)
    torch._foreach_add_(denom, opt.epsilon)
    torch._foreach_div_(denom, alpha)  # (sqrt(v) + eps) / alpha
    torch._foreach_addcdiv_(params, m, denom, value=-1.0)


def _adam_fused_cpu(up: LeanUpdate, grads, m, v, step: int, alpha: float) -> None:
    """Adam in one pass over each parameter (torch's fused CPU kernel) instead of nine.

    On the CPU a host read of the step costs nothing, so the numbers go in as such.
    Keras updates p -= alpha * m / (sqrt(v) + eps), with alpha computed in float32;
    the kernel updates p -= (lr / c1) * m / (sqrt(v) / sqrt(c2) + e), with its own
    bias corrections c1, c2 in double. Choosing lr = alpha * c1 / sqrt(c2) and
    e = eps / sqrt(c2) makes the two the same update. Weight decay was applied by
    LeanUpdate.
    """
    opt = up.optimizer
    beta_1, beta_2 = float(opt.beta_1), float(opt.beta_2)
    c1, root_c2 = 1 - beta_1 ** step, math.sqrt(1 - beta_2 ** step)
    if up.step_tensor is None:
        up.step_tensor = torch.zeros((), dtype=torch.float32)
    up.step_tensor.fill_(step)
    # The kernel walks a parameter and its gradient as flat memory, so their strides
    # must agree (a convolution's gradient can come back in another layout).
    grads = [g if g.stride() == p.stride() else g.contiguous()
             for g, p in zip(grads, up.params, strict=True)]
    torch._fused_adam_(up.params, grads, m, v, [], [up.step_tensor] * len(up.params),
                       lr=alpha * c1 / root_c2, beta1=beta_1, beta2=beta_2, weight_decay=0.0,
                       eps=float(opt.epsilon) / root_c2, amsgrad=False, maximize=False)


def _sgd(up: LeanUpdate, grads, lr) -> None:
    opt, params = up.optimizer, up.params
    neg_lr = -lr
    if opt.momentum == 0:
        torch._foreach_add_(params, torch._foreach_mul(grads, neg_lr))
        return
    bufs = up.slots("momentums")
    torch._foreach_mul_(bufs, opt.momentum)
    scaled = up.scratch_like()
    torch._foreach_copy_(scaled, grads)
    torch._foreach_mul_(scaled, neg_lr)
    torch._foreach_add_(bufs, scaled)
    if opt.nesterov:
        torch._foreach_add_(params, scaled)
        torch._foreach_add_(params, bufs, alpha=opt.momentum)
    else:
        torch._foreach_add_(params, bufs)


def _rmsprop(up: LeanUpdate, grads, lr) -> None:
    opt, params = up.optimizer, up.params
    rho = opt.rho
    vel = up.slots("_velocities")
    torch._foreach_mul_(vel, rho)
    torch._foreach_addcmul_(vel, grads, grads, value=1 - rho)
    denom = up.scratch_like()
    torch._foreach_copy_(denom, vel)
    torch._foreach_add_(denom, opt.epsilon)
    torch._foreach_sqrt_(denom)
    torch._foreach_div_(denom, lr)  # sqrt(v + eps) / lr
    if opt.momentum > 0:
        mom = up.slots("_momentums")
        torch._foreach_mul_(mom, opt.momentum)
        torch._foreach_addcdiv_(mom, grads, denom)
        torch._foreach_sub_(params, mom)
    else:
        torch._foreach_addcdiv_(params, grads, denom, value=-1.0)


def _rules() -> dict[type, Callable]:
    from keras.src.backend.torch.optimizers import torch_adam, torch_rmsprop, torch_sgd

    # AdamW is Keras' torch Adam with weight decay, which LeanUpdate applies first.
    return {torch_adam.Adam: _adam, torch_sgd.SGD: _sgd, torch_rmsprop.RMSprop: _rmsprop}


def unsupported_reason(optimizer) -> str | None:
    """Why the lean update cannot stand in for `optimizer.apply`, or None."""
    from keras.src.backend.torch.optimizers import torch_adamw

    if isinstance(optimizer, LossScaleOptimizer):
        return unsupported_reason(optimizer.inner_optimizer)
    kind = type(optimizer)
    if kind not in _rules() and kind is not torch_adamw.AdamW:
        return f"no lean update for {kind.__name__}"
    checks = {
        "gradient accumulation": optimizer.gradient_accumulation_steps,
        "EMA": optimizer.use_ema,
        "loss scaling": optimizer.loss_scale_factor,
        "gradient clipping": optimizer.clipnorm or optimizer.clipvalue
        or optimizer.global_clipnorm,
        "AMSGrad": getattr(optimizer, "amsgrad", False),
        "centered RMSprop": getattr(optimizer, "centered", False),
        "variable constraints": any(
            v.constraint is not None for v in optimizer._trainable_variables),
        "mixed variable dtypes or devices": len(
            {(v.value.dtype, v.value.device) for v in optimizer._trainable_variables}) > 1,
    }
    found = [name for name, on in checks.items() if on]
    return ", ".join(found) if found else None


def lean_update(optimizer) -> Callable | None:
    """A `LeanUpdate` for a built Keras optimizer (inside `safe.LossScaled` for a
    LossScaleOptimizer), or None (see `unsupported_reason`)."""
    if not getattr(optimizer, "built", False) or unsupported_reason(optimizer):
        return None
    if isinstance(optimizer, LossScaleOptimizer):
        from .safe import LossScaled

        return LossScaled(optimizer, lean_update(optimizer.inner_optimizer))
    rules = _rules()
    rule = next(rule for kind, rule in rules.items() if isinstance(optimizer, kind))
    return LeanUpdate(optimizer, rule)
