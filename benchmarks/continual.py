"""Continual updates on the time-ordered dev dataset: which update policy pays?

One command (``make bench-continual`` runs it with the defaults):

    .venv/bin/python benchmarks/continual.py --window 5000 --initial-budget 60 --search-budget 20

It runs ``automl simulate`` (test-then-train replay, every policy) on the dataset the
manifest marks ``time_ordered`` (elec2), keeps the report under ``<out>/`` and prints the
Markdown table that ``benchmarks/RESULTS.md`` quotes: per policy the mean metric over
windows, total fit seconds, updates, promotions and harmful promotions, with stateful and
the others compared with stateless (metric change and compute ratio).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent


def _time_ordered(datasets: Path) -> tuple[Path, str]:
    for entry in json.loads((datasets / "manifest.json").read_text()):
        if entry.get("time_ordered"):
            return datasets / entry["file"], entry["target"]
    raise SystemExit(f"no time_ordered dataset in {datasets / 'manifest.json'}")


def table(report: dict[str, object]) -> str:
    """The RESULTS.md table from a simulation's report.json."""
    metric = report["metric"]
    lines = [
        f"| policy | mean {metric} | vs stateless | fit s | compute vs stateless "
        "| updates | promotions | rejections | holds | failed | harmful |",
        "| --- | ---: | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in report["summary"]:  # type: ignore[union-attr]
        mean = row[f"mean {metric}"]
        lines.append(
            f"| {row['policy']} | {mean:.4f} | {row['vs stateless']} | {row['fit seconds']:.1f} "
            f"| {row['compute vs stateless']} | "
            f"{row['updates']} | {row['promotions']} | {row['rejections']} | {row['holds']} | {row['failures']} | "
            f"{row['harmful promotions']} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=int, default=5000)
    parser.add_argument("--initial-budget", type=float, default=60.0)
    parser.add_argument("--search-budget", type=float, default=20.0)
    parser.add_argument("--datasets-dir", type=Path, default=REPO.parent / "shared" / "datasets")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "results" / "continual")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    data, target = _time_ordered(args.datasets_dir)
    started = dt.datetime.now(dt.UTC)
    command = [
        sys.executable,
        "-m",
        "automl",
        "simulate",
        "--data",
        str(data),
        "--target",
        target,
        "--window",
        str(args.window),
        "--initial-budget",
        str(args.initial_budget),
        "--search-budget",
        str(args.search_budget),
        "--seed",
        str(args.seed),
        "--out",
        str(args.out),
    ]
    subprocess.run(command, check=True, cwd=REPO)
    report = json.loads((args.out / "report.json").read_text())
    minutes = (dt.datetime.now(dt.UTC) - started).total_seconds() / 60
    print(
        f"\n{data.name}: {report['rows']} rows, windows of {report['window']}, first champion {report['initial_model']}, "
        f"{minutes:.0f} min\n"
    )
    print(table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
