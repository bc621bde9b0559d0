"""The MLP's training loop: epochs of mini-batches, the deadline, early stopping with rollback.

The loop works on tensors and a network; the estimator (:mod:`automl.models._mlp`) decides
what the data, targets, loss and seeds are, and records the curves it is handed back.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from automl._core import Deadline
from automl.models._mlp_network import PREDICT_CHUNK
from automl.models._mlp_optim import KINDS, Optimizer

# A clock read per batch costs nothing next to a forward/backward pass; every 50 batches let a
# wide network on a busy machine run ~10 s past the deadline.
DEADLINE_EVERY_N_BATCHES = 1
OPTIMIZERS = KINDS

# Called after every epoch with (training loss, monitored loss).
EpochRecorder = Callable[[float, float], None]


@contextlib.contextmanager
def torch_session(n_jobs: int, seed: int | None) -> Iterator[None]:
    """Set torch's thread count and seed, restoring the caller's global torch state on exit.

    Dropout draws from torch's global generator, so seeding it is unavoidable; forking
    the RNG keeps that change (and the thread count) local to one call.
    """
    previous = torch.get_num_threads()
    torch.set_num_threads((os.cpu_count() or 1) if n_jobs == -1 else n_jobs)
    try:
        if seed is None:  # prediction: nothing random, and no need to touch (CUDA) RNG state
            yield
        else:
            with torch.random.fork_rng():
                torch.manual_seed(seed)
                yield
    finally:
        torch.set_num_threads(previous)


@dataclass(frozen=True)
class LoopSettings:
    """How to train: the optimizer, batches, and early stopping (``patience=None``: none)."""

    optimizer: str
    learning_rate: float
    weight_decay: float
    batch_size: int
    batch_norm: bool
    patience: int | None


def make_optimizer(module: nn.Module, settings: LoopSettings) -> Optimizer:
    return Optimizer(module.parameters(), settings.optimizer, settings.learning_rate, settings.weight_decay)


def mean_loss(module: nn.Module, X: torch.Tensor, t: torch.Tensor, loss_fn: nn.Module, deadline: Deadline | None = None) -> float:
    """Loss over all rows in eval mode (no dropout, BatchNorm running statistics)."""
    module.eval()
    total = 0.0
    with torch.no_grad():
        for start in range(0, len(X), PREDICT_CHUNK):
            if deadline is not None:
                deadline.check("MLP validation")
            rows = slice(start, start + PREDICT_CHUNK)
            total += float(loss_fn(module(X[rows]), t[rows])) * len(X[rows])
    return total / max(len(X), 1)


def run_epochs(
    module: nn.Module,
    train: tuple[torch.Tensor, torch.Tensor],
    monitor: tuple[torch.Tensor, torch.Tensor],
    loss_fn: nn.Module,
    settings: LoopSettings,
    *,
    epochs: int,
    rng: np.random.Generator,
    deadline: Deadline,
    record: EpochRecorder,
) -> int | None:
    """Train ``module`` for up to ``epochs`` epochs; return the best epoch (1-based) or ``None``.

    After each epoch ``record(train_loss, monitored_loss)`` is called; anything it raises
    (e.g. ``optuna.TrialPruned``) propagates. With ``settings.patience``, training stops
    that many epochs after the best monitored loss and the best weights are restored
    (NaN never improves, so a diverged run stops and rolls back); without, the last
    weights stay and ``None`` is returned.

    Raises:
        DeadlineExceeded: checked every epoch, every batch and during the monitored loss.
    """
    optimizer = make_optimizer(module, settings)
    best_loss, best_epoch, best_state, waited = math.inf, None, None, 0
    for epoch in range(1, epochs + 1):
        deadline.check("MLP training")
        train_loss = _one_epoch(module, train, loss_fn, optimizer, settings, rng, deadline)
        monitored = mean_loss(module, *monitor, loss_fn, deadline)
        record(train_loss, monitored)
        if settings.patience is None:
            continue
        if monitored < best_loss:
            best_loss, best_epoch, waited = monitored, epoch, 0
            best_state = {k: v.detach().clone() for k, v in module.state_dict().items()}
        else:
            waited += 1
            if waited >= settings.patience:
                break
    if best_state is not None:
        module.load_state_dict(best_state)
    module.eval()
    return best_epoch


def _one_epoch(
    module: nn.Module,
    train: tuple[torch.Tensor, torch.Tensor],
    loss_fn: nn.Module,
    optimizer: Optimizer,
    settings: LoopSettings,
    rng: np.random.Generator,
    deadline: Deadline,
) -> float:
    X, t = train
    module.train()
    order = torch.from_numpy(rng.permutation(len(X))).to(X.device)
    total, seen = 0.0, 0
    for i, start in enumerate(range(0, len(X), settings.batch_size)):
        if i and i % DEADLINE_EVERY_N_BATCHES == 0:
            deadline.check("MLP training")
        idx = order[start : start + settings.batch_size]
        if settings.batch_norm and len(idx) < 2:
            continue  # BatchNorm cannot normalise a single row in training mode
        optimizer.zero_grad()
        loss = loss_fn(module(X[idx]), t[idx])
        loss.backward()
        optimizer.step()
        total, seen = total + loss.item() * len(idx), seen + len(idx)
    return total / seen if seen else math.nan
