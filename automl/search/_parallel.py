"""How a search uses the cores it is given: several trials at once, or threads inside each model.

``n_jobs`` is the number of cores (``-1``: every core this process may run on). They are
spent one of two ways, never both, so the machine is not oversubscribed (spinning
OpenMP threads of concurrent fits slow each other down badly):
- tables up to ``MODEL_THREADS_MIN_CELLS``: ``n_jobs`` trials at once, each model
  single-threaded. Measured on the 2-core machine with other jobs running: an OpenMP model
  (HistGradientBoosting, XGBoost) given 2 threads while the cores are shared fitted 10-25x
  *slower* than with one (its threads spin waiting for each other), on 2,000 and 20,000
  rows alike; single-threaded trials side by side never degrade like that;
- huge tables: one trial at a time whose model uses ``n_jobs`` threads, so that only one
  fit's copy of the data and its trees are in memory at a time.
A search bounded by a trial count alone (no time budget) runs one trial at a time: trials
that run together draw their hyperparameters in whichever order the threads get there, and
the same seed must give the same trials (with a time budget the number of trials already
depends on the machine's speed); its models get the threads only on huge tables, for the
reason above. Each model's threads are limited per fit (``TabularModel`` wraps its fit and predict in
``threadpoolctl`` limits; XGBoost and forests take ``n_jobs``), not once for the process.
"""

from __future__ import annotations

import ctypes
import functools
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# From this many table cells (rows x columns) on, a trial's model gets the threads.
MODEL_THREADS_MIN_CELLS = 2_000_000


@dataclass(frozen=True)
class Parallelism:
    """``trials`` run at once, each model with ``model_threads`` threads."""

    trials: int
    model_threads: int

    def describe(self) -> str:
        if self.trials > 1:
            return f"{self.trials} trials at a time, one thread each"
        return f"one trial at a time, {self.model_threads} thread{'s' if self.model_threads > 1 else ''} per model"


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity; a container's limit shows there)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def plan_parallelism(n_jobs: int, n_rows: int, n_columns: int, *, reproducible: bool = False) -> Parallelism:
    """Split ``n_jobs`` cores (``-1``: all) between concurrent trials and model threads by table size;
    ``reproducible`` keeps one trial at a time.

    Example:
        >>> plan_parallelism(2, 1_000, 10)
        Parallelism(trials=2, model_threads=1)
        >>> plan_parallelism(2, 500_000, 10)
        Parallelism(trials=1, model_threads=2)
    """
    cores = usable_cores() if n_jobs == -1 else max(1, n_jobs)
    if cores == 1:
        return Parallelism(1, 1)
    if n_rows * max(n_columns, 1) >= MODEL_THREADS_MIN_CELLS:
        return Parallelism(1, cores)
    return Parallelism(1, 1) if reproducible else Parallelism(cores, 1)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none (macOS, Windows, musl)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the C library this process already runs on
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def release_free_memory(*_: Any) -> None:
    """Hand the heap's free pages back to the operating system (a trial callback: arguments ignored).

    Why: glibc gives every thread that allocates its own heap (arena) and keeps freed pages
    in it, so with trials side by side the resident memory grew with the largest trial each
    thread had ever run, not with what is alive: a 60 s search on a 4,000-row table peaked
    ~100-180 MB higher with two trial threads than the live models needed. ``malloc_trim(0)``
    returns the free pages of every heap; it frees nothing that is in use, and is a no-op
    where the C library is not glibc.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
