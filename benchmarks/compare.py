"""Markdown tables comparing automl variants from one or more ``results.csv`` files.

Usage: python benchmarks/compare.py results/results.csv results_variants/results.csv
It prints three tables (ensemble vs best single trial, MLP only vs all families,
pruning on vs off), pairing rows of the same dataset; the detail column of the automl
systems carries the trial counts and the best single trial's OOF score.
"""

from __future__ import annotations

import re
import sys

import pandas as pd

_TRIALS = re.compile(r"(\d+) trials \((\d+) complete, (\d+) pruned(?:, (\d+) stopped by the budget)?\)")
_LOWER_IS_BETTER = {"log_loss", "rmse"}


def _runs(paths: list[str]) -> pd.DataFrame:
    frame = pd.concat([pd.read_csv(p) for p in paths], ignore_index=True)
    return frame.drop_duplicates(["dataset", "system"], keep="last").set_index(["dataset", "system"])


def _trials(detail: object) -> str:
    match = _TRIALS.search(str(detail))
    if not match:
        return "?"
    stopped = f", {match[4]} stopped" if match[4] is not None else ""
    return f"{match[2]} complete, {match[3]} pruned{stopped}"


def _better(metric: str, a: float, b: float) -> str:
    if a == b:
        return "tie"
    return "first" if (a < b) == (metric in _LOWER_IS_BETTER) else "second"


def pair_table(runs: pd.DataFrame, first: str, second: str, with_trials: bool = False) -> str:
    header = f"| dataset | metric | {first} | {second} | better on test |"
    if with_trials:
        header = f"| dataset | metric | {first} | {second} | trials {first} | trials {second} | better on test |"
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for dataset in sorted({d for d, _ in runs.index}):
        if (dataset, first) not in runs.index or (dataset, second) not in runs.index:
            continue
        a, b = runs.loc[(dataset, first)], runs.loc[(dataset, second)]
        if a["status"] != "ok" or b["status"] != "ok":
            lines.append(f"| {dataset} | {a['metric']} | {a['status']} | {b['status']} | | |")
            continue
        winner = {"first": first, "second": second, "tie": "tie"}[_better(a["metric"], a["value"], b["value"])]
        cells = [dataset, a["metric"], f"{a['value']:.4f}", f"{b['value']:.4f}"]
        if with_trials:
            cells += [_trials(a["detail"]), _trials(b["detail"])]
        lines.append("| " + " | ".join([*cells, winner]) + " |")
    return "\n".join(lines)


def main(paths: list[str]) -> None:
    runs = _runs(paths)
    print("### Ensemble (default: greedy selection) vs the best single trial, test split\n")
    print(pair_table(runs, "automl", "automl_single", with_trials=True), "\n")
    print("### MLP family only vs all families, test split (zero-rule for reference)\n")
    print(pair_table(runs, "automl_mlp", "zero_rule"), "\n")
    print(pair_table(runs, "automl", "automl_mlp", with_trials=True), "\n")
    print("### Median pruning vs no pruning: trials finished in the same budget and test score\n")
    print(pair_table(runs, "automl", "automl_pruned", with_trials=True), "\n")
    print(pair_table(runs, "automl_mlp", "automl_mlp_pruned", with_trials=True))


if __name__ == "__main__":
    main(sys.argv[1:])
