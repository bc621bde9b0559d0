"""Run one (dataset, system) pair and write its result as JSON. Started by ``run.py``.

Usage: python benchmarks/_one.py --dataset NAME --system NAME --budget S --seed N
                                 --datasets-dir DIR --result FILE

The JSON is written (atomically) on success and on a Python error; if this
process dies or is killed for overrunning, ``run.py`` records that instead.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import sys
import time
import traceback
import warnings
from pathlib import Path
from typing import Any

from _protocol import load_split, read_manifest, score


def _peak_memory_mb() -> float:
    """The larger of this process's peak RSS and its largest finished child's (Linux: KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024.0


def _write_json(path: Path, record: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=2, default=str))
    os.replace(tmp, path)


def run_one(record: dict[str, Any], datasets_dir: Path) -> None:
    """Fill ``record`` (dataset, system, budget, seed given) as the run goes, so a failure keeps what was measured."""
    from systems import SYSTEMS, FitContext

    spec = read_manifest(datasets_dir)[record["dataset"]]
    system = SYSTEMS[record["system"]]
    budget, seed = record["budget"], record["seed"]
    record.update(task=spec.task, metric=spec.metric)
    split = load_split(spec, seed)
    record.update(n_train=len(split.X_train), n_test=len(split.X_test))
    ctx = FitContext(task=spec.task, metric=spec.metric, budget=budget, seed=seed)
    start = time.perf_counter()
    fitted = system.fit(split.X_train, split.y_train, ctx)
    record["fit_seconds"] = time.perf_counter() - start
    value, predict_seconds = score(spec, fitted.model, split.X_test, split.y_test)
    record.update(
        value=value,
        predict_seconds=predict_seconds,
        predict_ms_per_1k=1e6 * predict_seconds / max(len(split.X_test), 1),
        detail=fitted.detail,
        status="ok",
        error="",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--system", required=True)
    parser.add_argument("--budget", type=float, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--datasets-dir", type=Path, required=True)
    parser.add_argument("--result", type=Path, required=True)
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    warnings.simplefilter("ignore", category=FutureWarning)
    try:  # not installed in the peers' venv
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
    except ImportError:
        pass
    record: dict[str, Any] = {"dataset": args.dataset, "system": args.system, "budget": args.budget, "seed": args.seed}
    try:
        run_one(record, args.datasets_dir)
        code = 0
    except Exception as exc:
        traceback.print_exc()
        record.update(status="error", error=f"{type(exc).__name__}: {exc}")
        code = 1
    record["peak_memory_mb"] = _peak_memory_mb()
    _write_json(args.result, record)
    return code


if __name__ == "__main__":
    sys.exit(main())
