"""Merge the outputs of several ``benchmarks/run.py`` invocations into one report.

Example (seeds run in two sittings, then one report over all three):
    .venv/bin/python benchmarks/merge.py /tmp/bench-s0 /tmp/bench-s12 --out benchmarks/results --update-results-md

Why: the whole suite at three seeds runs for hours, longer than one sitting on a shared
machine; a seed run later is as valid as one run in the same invocation *only if* nothing
that decides a score changed in between. So merging is refused unless every source ran
the same budget and systems on the same machine and packages, the code that is measured
(``automl/`` and the benchmark's per-run code) is identical at every source's git
revision, and no (dataset, system, seed) run appears twice. The report's header lists
each source invocation (command, dates, revision), so nobody mistakes it for one run.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent

from _report import RUN_IDENTITY, baseline_sources, read_baseline, render_markdown, report_header, results_frame  # noqa: E402
from run import RESULTS_MD  # noqa: E402

# Everything that decides a run's score, time or memory: the toolkit and the per-run harness.
MEASURED_CODE = ("automl", "benchmarks/_one.py", "benchmarks/_protocol.py", "benchmarks/systems")
# Header lines that must agree between sources (same machine, same packages, same protocol).
SAME_IN_EVERY_SOURCE = ("- machine:", "- packages:", "- peers' venv", "- systems:")


class MergeError(ValueError):
    """The sources cannot be one report; the message names the source and the difference."""


def read_source(folder: Path) -> tuple[pd.DataFrame, list[str]]:
    """A source's ``results.csv`` and its ``results.md`` header (the lines before the first section)."""
    csv, markdown = folder / "results.csv", folder / "results.md"
    for path in (csv, markdown):
        if not path.is_file():
            raise MergeError(f"{path} does not exist: pass the --out folder of a finished run.py")
    header = report_header(markdown)
    if not any(line.startswith("- date:") and "finished" in line for line in header):
        raise MergeError(f"{markdown}: the run did not finish (its header says it is in progress)")
    return pd.read_csv(csv), header


def _line(header: list[str], prefix: str) -> str:
    return next((line for line in header if line.startswith(prefix)), "")


def revision(header: list[str], source: Path) -> str:
    match = re.search(r"automl at git ([0-9a-f]{7,40})( \(\+ uncommitted changes\))?", _line(header, "- code:"))
    if match is None or match.group(2):
        raise MergeError(f"{source}: no clean git revision in its header; only committed code can be merged")
    return match.group(1)


def check_same_code(revisions: list[str]) -> None:
    """Refuse when the measured code differs between the sources' revisions."""
    first = revisions[0]
    for other in revisions[1:]:
        changed = subprocess.run(
            ["git", "diff", "--name-only", first, other, "--", *MEASURED_CODE],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=30,
        )
        if changed.returncode != 0:
            raise MergeError(f"git cannot compare {first} and {other}: {changed.stderr.strip()}")
        if changed.stdout.strip():
            files = ", ".join(changed.stdout.split()[:5])
            raise MergeError(f"the measured code differs between {first} and {other} ({files}); rerun instead of merging")


def merge(folders: list[Path]) -> tuple[pd.DataFrame, list[str]]:
    """The combined results and the combined header; raises MergeError when they are not one protocol."""
    sources = [(folder, *read_source(folder)) for folder in folders]
    _, first_frame, first_header = sources[0]
    for folder, frame, header in sources[1:]:
        for prefix in SAME_IN_EVERY_SOURCE:
            if _line(header, prefix) != _line(first_header, prefix):
                raise MergeError(f"{folder} differs from {folders[0]} in '{prefix}': {_line(header, prefix) or 'missing'}")
        if set(frame["budget"]) != set(first_frame["budget"]):
            raise MergeError(
                f"{folder} ran a budget of {sorted(set(frame['budget']))}, {folders[0]} {sorted(set(first_frame['budget']))}"
            )
    check_same_code([revision(header, folder) for folder, _, header in sources])

    combined = pd.concat([frame for _, frame, _ in sources], ignore_index=True)
    duplicated = combined[combined.duplicated(["dataset", "system", "seed"], keep=False)]
    if len(duplicated):
        row = duplicated.iloc[0]
        raise MergeError(f"{row['dataset']} / {row['system']} seed {row['seed']} is in more than one source")
    return combined, _header(sources, combined)


def _header(sources: list[tuple[Path, pd.DataFrame, list[str]]], combined: pd.DataFrame) -> list[str]:
    first_header = sources[0][2]
    seeds = ",".join(str(s) for s in sorted(set(combined["seed"])))
    lines = ["# Benchmark results", "", f"- merged by `benchmarks/merge.py` from {len(sources)} invocations (seeds {seeds}):"]
    for _, frame, header in sources:
        own = ",".join(str(s) for s in sorted(set(frame["seed"])))
        lines.append(f"  - seeds {own}: " + "; ".join(_line(header, p)[2:] for p in RUN_IDENTITY))
    lines.append(f"- measured code ({', '.join(MEASURED_CODE)}) identical at every source's revision (checked with git diff)")
    for line in first_header:
        if line.startswith(SAME_IN_EVERY_SOURCE):
            lines.append(line)
        elif line.startswith("- protocol:"):
            lines.append(re.sub(r"seeds [0-9,]+ \(", f"seeds {seeds} (", line))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="+", type=Path, help="--out folders of finished run.py invocations")
    parser.add_argument("--out", type=Path, required=True, help="folder for the merged results.csv and results.md")
    parser.add_argument("--update-results-md", action="store_true", help=f"also rewrite {RESULTS_MD.relative_to(REPO)}")
    parser.add_argument(
        "--baseline-results",
        type=Path,
        nargs="+",
        help="results.csv files (or their folders) of earlier runs, e.g. at 60 s: compared with as in run.py",
    )
    args = parser.parse_args(argv)
    if len(args.sources) < 2:
        parser.error("give at least two source folders")
    try:
        combined, header = merge([folder.resolve() for folder in args.sources])
        baseline = read_baseline(args.baseline_results) if args.baseline_results else None
    except ValueError as exc:  # MergeError is one
        print(f"merge.py: {exc}", file=sys.stderr)
        return 2
    frame = results_frame(combined.to_dict("records"))
    systems = list(dict.fromkeys(frame["system"]))
    markdown = render_markdown(frame, systems, header + baseline_sources(args.baseline_results or []), baseline)
    args.out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out / "results.csv", index=False)
    (args.out / "results.md").write_text(markdown)
    print(f"wrote {args.out / 'results.csv'} and {args.out / 'results.md'}")
    if args.update_results_md:
        RESULTS_MD.write_text(markdown)
        print(f"wrote {RESULTS_MD}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
