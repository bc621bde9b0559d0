"""Scaling out: trials per minute and best score after a fixed time with 1, 2, 4 workers on one study.

One command (``make bench-scaling`` runs it with the defaults):

    .venv/bin/python benchmarks/scaling.py --dataset phoneme --budget 120 --workers 1,2,4 --storage postgresql

For each worker count W a fresh study is created (``automl studies create``) on the chosen
storage (``postgresql``: a throwaway server started by ``scripts/pg_test_server.py``;
``journal``: a journal file; ``sqlite``: a database file), then W ``automl worker``
processes run on it for ``--budget`` seconds each, started together, one thread each
(``OMP_NUM_THREADS=1``..., ``--n-jobs 1``). Recorded per W: finished trials, trials per
minute, the study's best cross-validated score, how busy the workers were (summed trial
time / (W x budget)), and the storage's cost per trial: the SQL statements one trial
issues (counted on the engine during three extra in-process trials; journal: log lines)
and the round-trip time of one small query. Results go to ``<out>/scaling.csv`` and
``<out>/scaling.md``, with the projection to more machines computed from these numbers.

This is a measurement of the machine it runs on: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

from _machine import git_revision, machine_facts, package_versions  # noqa: E402
from _protocol import read_manifest  # noqa: E402

_SINGLE_THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
}
_FINISHED = ("COMPLETE", "PRUNED", "FAIL")


@dataclass(frozen=True)
class Row:
    workers: int
    storage: str
    budget_s: float
    wall_s: float
    finished: int
    complete: int
    trials_per_min: float
    best_score: float | None
    busy_fraction: float
    mean_trial_s: float | None
    startup_s: float | None  # from starting the workers to their first trial (imports, data, study)
    statements_per_trial: float | None
    round_trip_ms: float | None
    artifact_kb_per_trial: float | None


class Storages:
    """Hands out one empty storage URL per worker count."""

    def __init__(self, kind: str, work: Path) -> None:
        self.kind, self.work, self.server = kind, work, None
        if kind == "postgresql":
            spec = importlib.util.spec_from_file_location("pg_test_server", REPO / "scripts" / "pg_test_server.py")
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules["pg_test_server"] = module
            spec.loader.exec_module(module)
            self.server = module.PostgresServer.start()

    def url(self, workers: int) -> str:
        if self.kind == "postgresql":
            return str(self.server.create_database(f"scaling_{workers}"))  # type: ignore[union-attr]
        if self.kind == "journal":
            return f"journal:{self.work / f'scaling-{workers}.journal'}"
        return f"sqlite:///{self.work / f'scaling-{workers}.db'}"

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()


def _automl(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "automl", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def _check(process: subprocess.Popen[str], what: str) -> str:
    out, err = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"{what} failed ({process.returncode}): {err.strip().splitlines()[-1] if err.strip() else out[-500:]}")
    return out


def measure(
    workers: int, url: str, kind: str, data: Path, target: str, budget: float, families: str | None, work: Path, seed: int
) -> Row:
    study, output = f"scaling-{workers}", work / f"runs-{workers}"
    create = [
        "studies",
        "create",
        str(data),
        "--target",
        target,
        "--study",
        study,
        "--storage",
        url,
        "--output",
        str(output),
        "--seed",
        str(seed),
        *(["--families", families] if families else []),
    ]
    _check(_automl(*create), "automl studies create")
    env = {**os.environ, **_SINGLE_THREAD_ENV}
    launched = dt.datetime.now()  # Optuna records trial times as naive local datetimes
    started = time.monotonic()
    processes = [
        _automl(
            "worker",
            "--study",
            study,
            "--storage",
            url,
            "--time-budget",
            str(budget),
            "--n-jobs",
            "1",
            "--seed",
            str(seed + i),
            env=env,
        )
        for i in range(workers)
    ]
    for i, process in enumerate(processes):
        _check(process, f"worker {i}")
    wall = time.monotonic() - started
    trials, best = _read_study(study, url)
    first = min((t["start"] for t in trials if t["start"] is not None), default=None)
    finished = [t for t in trials if t["state"] in _FINISHED]
    durations = [t["seconds"] for t in finished if t["seconds"] is not None]
    statements, round_trip = _storage_cost(study, url, kind, len(trials))
    artifacts = sum(p.stat().st_size for p in (output / study / "artifacts").rglob("*") if p.is_file())
    complete = [t for t in trials if t["state"] == "COMPLETE"]
    return Row(
        workers=workers,
        storage=kind,
        budget_s=budget,
        wall_s=round(wall, 1),
        finished=len(finished),
        complete=len(complete),
        trials_per_min=round(len(finished) / (budget / 60), 2),
        best_score=best,
        busy_fraction=round(sum(durations) / (workers * budget), 3),
        mean_trial_s=round(statistics.mean(durations), 2) if durations else None,
        startup_s=round((first - launched).total_seconds(), 1) if first else None,
        statements_per_trial=statements,
        round_trip_ms=round_trip,
        artifact_kb_per_trial=round(artifacts / 1024 / len(complete), 1) if complete else None,
    )


def _read_study(study_name: str, url: str) -> tuple[list[dict[str, Any]], float | None]:
    import optuna

    from automl.search import open_storage

    study = optuna.load_study(study_name=study_name, storage=open_storage(url))
    trials = [
        {
            "state": t.state.name,
            "start": t.datetime_start,
            "seconds": (t.datetime_complete - t.datetime_start).total_seconds()
            if t.datetime_start and t.datetime_complete
            else None,
        }
        for t in study.trials
    ]
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    return trials, (float(study.best_value) if complete else None)


def _storage_cost(study_name: str, url: str, kind: str, existing: int, extra: int = 3) -> tuple[float | None, float | None]:
    """SQL statements (journal: log lines) per trial over ``extra`` in-process trials, and one query's round trip."""
    import sqlalchemy

    from automl import api
    from automl.search import open_storage

    storage = open_storage(url)
    study_id = storage.get_study_id_from_name(study_name)
    timings = []
    for _ in range(20):
        started = time.perf_counter()
        storage.get_study_user_attrs(study_id)
        timings.append(time.perf_counter() - started)
    round_trip = round(1000 * statistics.median(timings), 3)
    count = [0]
    if kind == "journal":
        path = Path(url.split(":", 1)[1])
        before = len(path.read_bytes().splitlines())
        api.run_worker(study_name, storage, n_trials=existing + extra)
        return round((len(path.read_bytes().splitlines()) - before) / extra, 1), round_trip
    engine = storage.engine  # type: ignore[attr-defined]
    sqlalchemy.event.listen(engine, "before_cursor_execute", lambda *args: count.__setitem__(0, count[0] + 1))
    api.run_worker(study_name, storage, n_trials=existing + extra)
    return round(count[0] / extra, 1), round_trip


def render(rows: list[Row], header: list[str]) -> str:
    lines = [
        *header,
        "",
        "| workers | finished trials | trials/min | best CV score | busy "
        "| mean trial s | start-up s | statements/trial | round trip ms | OOF KB/trial |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r.workers} | {r.finished} | {r.trials_per_min} "
            f"| {r.best_score if r.best_score is None else f'{r.best_score:.5f}'} "
            f"| {r.busy_fraction:.0%} | {r.mean_trial_s} | {r.startup_s} "
            f"| {r.statements_per_trial} | {r.round_trip_ms} | {r.artifact_kb_per_trial} |"
        )
    base = rows[0]
    lines += [
        "",
        "Speed-up in trials/min over one worker: "
        + ", ".join(f"{r.workers} workers x{r.trials_per_min / base.trials_per_min:.2f}" for r in rows if base.trials_per_min),
    ]
    lines += ["", _projection(rows)]
    return "\n".join(lines) + "\n"


def _projection(rows: list[Row]) -> str:
    """What the measured numbers say about N machines (stated as arithmetic on them, nothing assumed)."""
    one = rows[0]
    if not one.trials_per_min or not one.statements_per_trial or not one.round_trip_ms or not one.mean_trial_s:
        return "Projection: not enough measurements."
    rate = one.trials_per_min  # per worker with a core of its own
    db_ms = one.statements_per_trial * one.round_trip_ms
    statements_per_s_100 = 100 * rate * one.statements_per_trial / 60
    kb_per_s_100 = 100 * rate * (one.artifact_kb_per_trial or 0) / 60
    return (
        f"Projection: a worker with a core of its own finishes {rate:.1f} trials/min. Each trial costs the storage "
        f"{one.statements_per_trial:.0f} statements, {db_ms:.0f} ms of round trips at {one.round_trip_ms} ms each "
        f"({db_ms / 1000 / one.mean_trial_s:.1%} of a {one.mean_trial_s} s trial), and writes {one.artifact_kb_per_trial} KB of "
        f"out-of-fold predictions to the shared folder. N machines with C cores each give about N x C x {rate:.1f} trials/min "
        f"while the database and the shared folder keep up: 100 workers send {statements_per_s_100:.0f} statements/s "
        f"(compare with what the server sustains, e.g. `pgbench -S`) and write {kb_per_s_100:.0f} KB/s. "
        "A round trip on a network is longer than on loopback; it costs each trial statements x round trip, which matters "
        "only when trials are short. Workers beyond the number of cores share them: they add trials/min only while "
        "a trial leaves its core partly idle (database round trips, artifact writes, the sampler), which the mean "
        "trial time shows (it grows less than workers / cores when they do). "
        "Busy below 100 % is start-up (imports, reading the data) and waiting at the end of the budget."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="phoneme", help="a dev-suite dataset (../shared/datasets/manifest.json)")
    parser.add_argument("--datasets-dir", type=Path, default=REPO.parent / "shared" / "datasets")
    parser.add_argument("--budget", type=float, default=120.0, help="seconds each worker works (default 120)")
    parser.add_argument("--workers", default="1,2,4", help="worker counts to measure (default 1,2,4)")
    parser.add_argument("--storage", choices=["postgresql", "journal", "sqlite"], default="postgresql")
    parser.add_argument("--families", help="comma-separated families (default: all that fit the task)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results" / "scaling")
    args = parser.parse_args(argv)
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # the in-process trials that count statements
    spec = read_manifest(args.datasets_dir).get(args.dataset)
    if spec is None:
        raise SystemExit(f"dataset '{args.dataset}' not in {args.datasets_dir}/manifest.json")
    args.out.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="automl-scaling-") as tmp:
        storages = Storages(args.storage, Path(tmp))
        try:
            for workers in (int(w) for w in args.workers.split(",")):
                row = measure(
                    workers,
                    storages.url(workers),
                    args.storage,
                    spec.path,
                    spec.target,
                    args.budget,
                    args.families,
                    Path(tmp),
                    args.seed,
                )
                rows.append(row)
                print(json.dumps(asdict(row)), flush=True)
        finally:
            storages.close()
    facts = machine_facts()
    header = [
        f"# Scaling out: {args.dataset}, {args.storage} storage, {args.budget:.0f} s per worker",
        "",
        f"Machine: {facts['nproc']} cores ({facts['cpu']}), {facts['memory']}; automl {git_revision(REPO)}; "
        f"optuna {package_versions()['optuna']}. One thread per worker.",
    ]
    (args.out / "scaling.csv").write_text(
        "\n".join([",".join(asdict(rows[0]))] + [",".join(str(v) for v in asdict(r).values()) for r in rows]) + "\n"
    )
    (args.out / "scaling.md").write_text(render(rows, header))
    print(f"results: {args.out / 'scaling.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
