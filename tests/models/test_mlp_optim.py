"""The MLP's own optimizers: the same weights as torch.optim, without importing torch's compiler."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import torch
from torch import nn

from automl.models._mlp_optim import KINDS, Optimizer


def _net() -> nn.Module:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 1))
    net.add_module("unused", nn.Linear(2, 2))  # no gradient ever: no state, no update (as torch)
    return net


def _train(net: nn.Module, optimizer: torch.optim.Optimizer | Optimizer) -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(1)
    X, y = torch.randn(64, 6, generator=generator), torch.randn(64, 1, generator=generator)
    for step in range(40):
        rows = slice(16 * (step % 4), 16 * (step % 4 + 1))
        optimizer.zero_grad()
        nn.functional.mse_loss(net[2](net[1](net[0](X[rows]))), y[rows]).backward()
        optimizer.step()
    return [p.detach().clone() for p in net.parameters()]


def _torch_optimizer(kind: str, net: nn.Module, lr: float, weight_decay: float) -> torch.optim.Optimizer:
    if kind == "sgd":
        return torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    cls = torch.optim.AdamW if kind == "adamw" else torch.optim.Adam
    return cls(net.parameters(), lr=lr, weight_decay=weight_decay)


@pytest.mark.parametrize("weight_decay", [0.0, 0.05])
@pytest.mark.parametrize("kind", KINDS)
def test_weights_are_bit_identical_to_torch_optim(kind: str, weight_decay: float) -> None:
    lr = 0.01
    theirs = _net()
    expected = _train(theirs, _torch_optimizer(kind, theirs, lr, weight_decay))
    ours = _net()
    got = _train(ours, Optimizer(ours.parameters(), kind, lr, weight_decay))

    initial = [p.detach() for p in _net().parameters()]
    assert not torch.equal(got[0], initial[0])  # trained
    assert torch.equal(got[-1], initial[-1])  # the unused layer is untouched
    for mine, reference in zip(got, expected, strict=True):
        assert torch.equal(mine, reference)


def test_unknown_optimizer_is_refused() -> None:
    with pytest.raises(ValueError, match="optimizer must be one of"):
        Optimizer(_net().parameters(), "rmsprop", 0.1, 0.0)


def test_training_an_mlp_does_not_import_torch_compiler() -> None:
    """torch.optim imports torch._dynamo (~75 MB resident, ~0.7 s): the MLP must not pay that."""
    code = textwrap.dedent(
        """
        import sys
        import numpy as np
        from automl.models._mlp import MLPClassifier
        rng = np.random.default_rng(0)
        X, y = rng.normal(size=(120, 4)), rng.integers(0, 2, 120)
        for optimizer in ("adam", "adamw", "sgd"):
            MLPClassifier(optimizer=optimizer, max_epochs=3, random_state=0).fit(X, y).predict_proba(X)
        print(sorted(m for m in sys.modules if m.startswith(("torch._dynamo", "torch._inductor", "sympy"))))
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    assert done.stdout.strip() == "[]", done.stdout
