"""Compare automl with reference systems on ../shared/datasets, each run in its own process.

Example (the full suite, as ``make bench`` runs it):
    .venv/bin/python benchmarks/run.py --budget 60 --seeds 0,1,2 --out benchmarks/results --update-results-md

Every (seed, dataset, system) run is ``benchmarks/_one.py`` in a fresh subprocess of
the system's interpreter (the peers' venv for AutoGluon), one run at a time, each
system at its own defaults on the whole machine (no thread limits), with a
wall-clock limit of ``budget*2 + 120`` seconds; the run's temp dir is its working
directory, so nothing is written outside ``--out``. Peak memory is the run's whole
process group (sampled), at least its own ``ru_maxrss``. Results go to
``<out>/results.csv`` and ``<out>/results.md`` (rewritten after every run, so an
interrupted suite keeps what it measured), per-run JSON to ``<out>/runs/`` and logs
to ``<out>/logs/``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import difflib
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
DEFAULT_DATASETS_DIR = REPO.parent / "shared" / "datasets"
RESULTS_MD = BENCH_DIR / "RESULTS.md"

from _machine import git_revision, machine_facts, package_versions, peer_versions  # noqa: E402
from _memory import GroupMemorySampler  # noqa: E402
from _protocol import read_manifest  # noqa: E402
from _report import baseline_sources, read_baseline, render_markdown, results_frame  # noqa: E402
from systems import DEFAULT_SYSTEMS, SYSTEMS  # noqa: E402

# Thread limits a caller's shell may carry: every system runs at its own defaults, on all cores.
_THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


def run_timeout(budget: float) -> float:
    return budget * 2 + 120


def _pick(kind: str, given: str | None, known: list[str], default: list[str] | None = None) -> list[str]:
    if not given:
        return known if default is None else default
    names = [n.strip() for n in given.split(",") if n.strip()]
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise SystemExit(f"run.py: unknown {kind} '{name}'{hint}; choose from {', '.join(known)}")
    return list(dict.fromkeys(names))


def interpreter(system: str) -> str:
    """The Python a system's runs use: its own venv's (peers), else this one."""
    python = SYSTEMS[system].python
    return str(REPO / python) if python else sys.executable


def run_in_subprocess(dataset: str, system: str, budget: float, seed: int, datasets_dir: Path, out: Path) -> dict[str, Any]:
    """Run one (dataset, system, seed) in a fresh process group; kill the whole group if it overruns."""
    stem = f"{dataset}__{system}__s{seed}"
    result = out / "runs" / f"{stem}.json"
    log = out / "logs" / f"{stem}.log"
    result.unlink(missing_ok=True)
    command = [
        interpreter(system),
        str(BENCH_DIR / "_one.py"),
        "--dataset",
        dataset,
        "--system",
        system,
        "--budget",
        repr(budget),
        "--seed",
        str(seed),
        "--datasets-dir",
        str(datasets_dir),
        "--result",
        str(result),
    ]
    env = {k: v for k, v in os.environ.items() if k not in _THREAD_VARIABLES}
    env["PYTHONHASHSEED"] = str(seed)
    timeout = run_timeout(budget)
    timed_out = False
    with tempfile.TemporaryDirectory(prefix="automl-bench-") as workdir, log.open("w") as log_file:
        start = time.monotonic()
        proc = subprocess.Popen(command, cwd=workdir, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
        sampler = GroupMemorySampler(proc.pid).start()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            group_peak_mb = sampler.stop()
            _kill_group(proc.pid)  # the run's own group: stray workers must not outlive it
            proc.wait()
        wall = time.monotonic() - start

    base = {
        "dataset": dataset,
        "system": system,
        "budget": budget,
        "seed": seed,
        "wall_seconds": wall,
        "peak_memory_mb": group_peak_mb,
    }
    if timed_out:
        return {
            **base,
            "fit_seconds": wall,
            "status": "timeout",
            "error": f"killed after {timeout:.0f} s wall-clock (limit budget*2+120); log: {log}",
        }
    if not result.exists():
        return {
            **base,
            "status": "error",
            "error": f"process exited with code {proc.returncode} and no result; {_tail(log)} (log: {log})",
        }
    record: dict[str, Any] = json.loads(result.read_text())
    peak = max(group_peak_mb, float(record.get("peak_memory_mb") or 0.0))
    return {**record, "wall_seconds": wall, "peak_memory_mb": peak}


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _tail(log: Path) -> str:
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1].strip() if lines else "empty log"


def command_line() -> str:
    python = sys.executable
    try:
        relative = os.path.relpath(python)
        python = relative if not relative.startswith("..") else python
    except ValueError:
        pass
    return shlex.join([python, *sys.argv])


def header(args: argparse.Namespace, started: dt.datetime, finished: dt.datetime | None) -> list[str]:
    facts = machine_facts()
    versions = package_versions()
    peers = peer_versions(REPO) if any(SYSTEMS[n].python for n in args.system_names) else {}
    status = f"finished {finished:%Y-%m-%d %H:%M:%S %Z}" if finished else "**in progress**"
    return [
        "# Benchmark results",
        "",
        f"- command: `{command_line()}` (run from the repository root)",
        f"- date: started {started:%Y-%m-%d %H:%M:%S %Z}, {status}",
        f"- code: automl at git {git_revision(REPO)}",
        f"- machine: nproc {facts['nproc']}; CPU {facts['cpu']}; memory {facts['memory']}; {facts['os']}; "
        f"Python {facts['python']}",
        "- packages: " + ", ".join(f"{k} {v}" for k, v in versions.items()),
        *(["- peers' venv (benchmarks/.peers-venv): " + ", ".join(f"{k} {v}" for k, v in peers.items())] if peers else []),
        f"- protocol: budget {args.budget:g} s per run, seeds {','.join(map(str, args.seed_list))} (split and systems); "
        "75/25 split (stratified for classification, time-ordered elec2 unshuffled: first 75 % train); binary ROC AUC "
        "(manifest positive_class), multiclass log loss (clipped 1e-15), regression RMSE; one run at a time, each in "
        "its own process, every system at its own defaults on the whole machine (no thread limits); peak memory = "
        "summed RSS of the run's process group, sampled every 0.2 s (at least the process's ru_maxrss); "
        f"killed after budget*2+120 = {run_timeout(args.budget):g} s",
        "- systems: " + "; ".join(f"`{name}`: {SYSTEMS[name].description}" for name in args.system_names),
        *args.baseline_lines,
    ]


def write_outputs(
    records: list[dict[str, Any]], args: argparse.Namespace, started: dt.datetime, finished: dt.datetime | None
) -> str:
    frame = results_frame(records)
    frame.to_csv(args.out / "results.csv", index=False)
    markdown = render_markdown(frame, args.system_names, header(args, started, finished), args.baseline)
    (args.out / "results.md").write_text(markdown)
    return markdown


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per (dataset, system) fit (default 60)")
    parser.add_argument("--datasets", help="comma-separated dataset names (default: all in the manifest)")
    parser.add_argument(
        "--systems", help=f"comma-separated systems of {','.join(SYSTEMS)} (default: {','.join(DEFAULT_SYSTEMS)})"
    )
    parser.add_argument("--seeds", default="0", help="comma-separated seeds for the split and every system (default 0)")
    parser.add_argument("--seed", type=int, help=argparse.SUPPRESS)  # the single-seed spelling of earlier versions
    parser.add_argument(
        "--baseline-results",
        type=Path,
        nargs="+",
        help="results.csv files (or their folders) of earlier runs, e.g. at 60 s: the report compares each "
        "system's score with them",
    )
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results", help="output folder (default benchmarks/results)")
    parser.add_argument(
        "--datasets-dir",
        type=Path,
        default=DEFAULT_DATASETS_DIR,
        help="folder with manifest.json and the .csv.gz files (default ../shared/datasets)",
    )
    parser.add_argument(
        "--update-results-md", action="store_true", help=f"also rewrite {RESULTS_MD.relative_to(REPO)} with the results"
    )
    parser.add_argument("--results-md", type=Path, default=RESULTS_MD, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.budget <= 0:
        parser.error(f"--budget must be positive, got {args.budget:g}")
    try:
        args.seed_list = [args.seed] if args.seed is not None else [int(s) for s in args.seeds.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--seeds must be comma-separated integers, got '{args.seeds}'")
    if not args.seed_list:
        parser.error("--seeds is empty")
    args.seed_list = list(dict.fromkeys(args.seed_list))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.datasets_dir = args.datasets_dir.resolve()
    try:
        manifest = read_manifest(args.datasets_dir)
        args.baseline = read_baseline(args.baseline_results) if args.baseline_results else None
        args.baseline_lines = baseline_sources(args.baseline_results or [])  # read once, not at every report
    except (FileNotFoundError, ValueError) as exc:
        print(f"run.py: {exc}", file=sys.stderr)
        return 2
    args.dataset_names = _pick("dataset", args.datasets, list(manifest))
    args.system_names = _pick("system", args.systems, list(SYSTEMS), list(DEFAULT_SYSTEMS))
    args.out = args.out.resolve()
    (args.out / "runs").mkdir(parents=True, exist_ok=True)
    (args.out / "logs").mkdir(parents=True, exist_ok=True)

    missing = {name: SYSTEMS[name].missing() for name in args.system_names}
    started = dt.datetime.now().astimezone()
    runs = [(seed, d, s) for seed in args.seed_list for d in args.dataset_names for s in args.system_names]
    records: list[dict[str, Any]] = []
    for i, (seed, dataset, system) in enumerate(runs, 1):
        if missing[system]:
            spec = manifest[dataset]
            record = {
                "dataset": dataset,
                "task": spec.task,
                "system": system,
                "metric": spec.metric,
                "budget": args.budget,
                "seed": seed,
                "status": "skipped",
                "error": missing[system],
            }
            print(f"[{i}/{len(runs)}] seed {seed} {dataset} / {system}: skipped ({missing[system]})", flush=True)
        else:
            print(f"[{i}/{len(runs)}] seed {seed} {dataset} / {system} ...", end="", flush=True)
            record = run_in_subprocess(dataset, system, args.budget, seed, args.datasets_dir, args.out)
            record.setdefault("task", manifest[dataset].task)
            record.setdefault("metric", manifest[dataset].metric)
            print(" " + _progress(record), flush=True)
        records.append(record)
        write_outputs(records, args, started, None)

    markdown = write_outputs(records, args, started, dt.datetime.now().astimezone())
    print(f"wrote {args.out / 'results.csv'} and {args.out / 'results.md'}")
    if args.update_results_md:
        args.results_md.write_text(markdown)
        print(f"wrote {args.results_md}")
    return 0


def _progress(record: dict[str, Any]) -> str:
    if record.get("status") != "ok":
        return f"{record.get('status')}: {record.get('error', '')}"[:300]
    return (
        f"{record['metric']}={record['value']:.4f} fit {record['fit_seconds']:.1f}s "
        f"(budget {record['budget']:g}) predict {record['predict_seconds']:.3f}s "
        f"peak {record['peak_memory_mb']:.0f} MB wall {record['wall_seconds']:.1f}s  {record.get('detail', '')}"
    )


if __name__ == "__main__":
    sys.exit(main())
