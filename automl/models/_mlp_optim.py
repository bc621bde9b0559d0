"""Adam, AdamW and SGD with momentum for the MLP, as plain in-place tensor operations.

Why not ``torch.optim``: building any of its optimizers imports ``torch._dynamo`` (torch's
compiler stack, with sympy), which costs ~75 MB of resident memory and ~0.7 s in every
process that trains an MLP: a tenth of a small search's peak memory and time, for a model
family that never compiles anything. The updates below are the operations, in the order,
of torch's single-tensor implementations (the ones torch itself runs for CPU tensors), so a
CPU training run gives bit-identical weights (``tests/models/test_mlp_optim.py`` compares
them with ``torch.optim`` on every optimizer).
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

# torch.optim's defaults for Adam/AdamW, and the momentum the MLP has always used with SGD.
BETA1, BETA2, EPS = 0.9, 0.999, 1e-8
SGD_MOMENTUM = 0.9
KINDS = ("adam", "adamw", "sgd")


class Optimizer:
    """``step()`` updates the parameters from their gradients; ``zero_grad()`` drops the gradients.

    ``adam`` adds ``weight_decay * param`` to the gradient (L2), ``adamw`` shrinks the
    parameter by ``lr * weight_decay`` before the update (decoupled), ``sgd`` uses momentum 0.9.
    Parameters without a gradient are skipped and keep no state, as in torch.
    """

    def __init__(self, params: Iterable[torch.Tensor], kind: str, lr: float, weight_decay: float) -> None:
        if kind not in KINDS:
            raise ValueError(f"optimizer must be one of {list(KINDS)}, got {kind!r}")
        self.params = [p for p in params if p.requires_grad]
        self.kind, self.lr, self.weight_decay = kind, float(lr), float(weight_decay)
        self.steps: dict[int, int] = {}
        self.buffers: dict[int, tuple[torch.Tensor, ...]] = {}

    def zero_grad(self) -> None:
        for param in self.params:
            param.grad = None

    @torch.no_grad()
    def step(self) -> None:
        for i, param in enumerate(self.params):
            if param.grad is not None:
                if self.kind == "sgd":
                    self._sgd(i, param, param.grad)
                else:
                    self._adam(i, param, param.grad)

    def _sgd(self, i: int, param: torch.Tensor, grad: torch.Tensor) -> None:
        if self.weight_decay != 0:
            grad = grad.add(param, alpha=self.weight_decay)
        if i in self.buffers:
            (buffer,) = self.buffers[i]
            buffer.mul_(SGD_MOMENTUM).add_(grad, alpha=1)
        else:
            buffer = grad.detach().clone()
            self.buffers[i] = (buffer,)
        param.add_(buffer, alpha=-self.lr)

    def _adam(self, i: int, param: torch.Tensor, grad: torch.Tensor) -> None:
        if i not in self.buffers:
            self.buffers[i] = (
                torch.zeros_like(param, memory_format=torch.preserve_format),
                torch.zeros_like(param, memory_format=torch.preserve_format),
            )
        exp_avg, exp_avg_sq = self.buffers[i]
        step = self.steps[i] = self.steps.get(i, 0) + 1
        if self.weight_decay != 0:
            if self.kind == "adamw":
                param.mul_(1 - self.lr * self.weight_decay)
            else:
                grad = grad.add(param, alpha=self.weight_decay)
        exp_avg.lerp_(grad, 1 - BETA1)
        exp_avg_sq.mul_(BETA2).addcmul_(grad, grad, value=1 - BETA2)
        step_size = self.lr / (1 - BETA1**step)
        denom = (exp_avg_sq.sqrt() / (1 - BETA2**step) ** 0.5).add_(EPS)
        param.addcdiv_(exp_avg, denom, value=-step_size)
