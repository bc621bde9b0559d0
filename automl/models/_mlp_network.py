"""The MLP's network: architecture record, layers, chunked forward passes, weights as bytes.

Nothing here knows about estimators or training; :mod:`automl.models._mlp` builds a
network from the estimator's parameters and :mod:`automl.models._mlp_training` trains it.
"""

from __future__ import annotations

import dataclasses
import io
import itertools
from typing import Any

import numpy as np
import torch
from torch import nn

from automl._core import InputError

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
    "silu": nn.SiLU,
    "leaky_relu": nn.LeakyReLU,
}
PREDICT_CHUNK = 8192  # rows per forward pass outside training, bounds memory


@dataclasses.dataclass(frozen=True)
class Architecture:
    """Everything needed to rebuild the network before loading saved weights."""

    n_inputs: int
    n_outputs: int
    hidden_sizes: tuple[int, ...]
    activation: str
    dropout: float
    batch_norm: bool
    residual: bool

    def to_dict(self) -> dict[str, Any]:
        """Plain values only, so a saved model holds no class of this module."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Architecture:
        return cls(**{**data, "hidden_sizes": tuple(data["hidden_sizes"])})


class _Block(nn.Module):
    """Linear -> [BatchNorm] -> activation -> dropout, with an optional skip connection.

    The skip is the identity when the widths match and a bias-free linear projection
    otherwise (ResNet's "option B"), so ``residual=True`` applies to every hidden layer
    whatever ``hidden_sizes`` is, instead of silently skipping the layers that change width.
    """

    def __init__(self, n_in: int, n_out: int, arch: Architecture) -> None:
        super().__init__()
        self.linear = nn.Linear(n_in, n_out)
        self.norm = nn.BatchNorm1d(n_out) if arch.batch_norm else nn.Identity()
        self.act = ACTIVATIONS[arch.activation]()
        self.drop = nn.Dropout(arch.dropout)
        self.skip: nn.Module | None = None
        if arch.residual:
            self.skip = nn.Identity() if n_in == n_out else nn.Linear(n_in, n_out, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.drop(self.act(self.norm(self.linear(x))))
        return out if self.skip is None else out + self.skip(x)


def n_parameters(arch: Architecture) -> int:
    """Trainable parameters of the network :func:`build_network` would build (no tensor allocated)."""
    widths = [arch.n_inputs, *arch.hidden_sizes]
    total = 0
    for n_in, n_out in itertools.pairwise(widths):
        total += n_in * n_out + n_out + (2 * n_out if arch.batch_norm else 0)
        total += n_in * n_out if arch.residual and n_in != n_out else 0
    return total + widths[-1] * arch.n_outputs + arch.n_outputs


def build_network(arch: Architecture) -> nn.Sequential:
    """A freshly initialised network (draws from torch's global generator: seed it first)."""
    widths = [arch.n_inputs, *arch.hidden_sizes]
    blocks: list[nn.Module] = [_Block(i, o, arch) for i, o in itertools.pairwise(widths)]
    return nn.Sequential(*blocks, nn.Linear(widths[-1], arch.n_outputs))


def device_of(module: nn.Module) -> torch.device:
    return next(module.parameters()).device


def forward_in_chunks(module: nn.Module, X: np.ndarray) -> np.ndarray:
    """Network outputs for the float32 matrix ``X`` in eval mode, as a float64 array."""
    outputs = []
    with torch.no_grad():
        module.eval()
        device = device_of(module)
        for start in range(0, len(X), PREDICT_CHUNK):
            rows = torch.tensor(X[start : start + PREDICT_CHUNK], device=device)
            outputs.append(module(rows).cpu().numpy())
    return np.concatenate(outputs).astype(np.float64)


def weights_to_bytes(module: nn.Module) -> bytes:
    """The weights in ``torch.save`` format (tensors only, on the CPU)."""
    buffer = io.BytesIO()
    torch.save({k: v.detach().cpu() for k, v in module.state_dict().items()}, buffer)
    return buffer.getvalue()


def network_from_bytes(arch: Architecture, weights: bytes) -> nn.Sequential:
    """Rebuild the network and load ``weights`` with ``weights_only=True`` (no unpickling of code)."""
    with torch.random.fork_rng(devices=[]):  # building CPU layers draws initial weights
        module = build_network(arch)
    try:
        module.load_state_dict(torch.load(io.BytesIO(weights), weights_only=True))
    except Exception as exc:  # torch's reader raises many types on damaged bytes (never runs code: weights_only)
        reason = (str(exc).strip().splitlines() or [""])[0][:120]
        raise InputError(f"the stored MLP weights are damaged ({type(exc).__name__}: {reason})") from None
    return module.eval()
