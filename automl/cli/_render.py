"""Rich rendering of leaderboards, summaries and the search progress bar."""

from __future__ import annotations

import math
import sys
from typing import Any

import optuna
import pandas as pd
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn
from rich.table import Table
from rich.text import Text

from automl._core import Deadline
from automl.search import ranked, score

# Piped output (CI logs, files) gets a wide console instead of rich's 80 columns.
console = Console(width=None if sys.stdout.isatty() else 160)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.5g}"
    if isinstance(value, dict):
        text = ", ".join(f"{k}={_fmt(v)}" for k, v in value.items())
        return text if len(text) <= 90 else text[:87] + "..."
    return str(value)


def frame_table(frame: pd.DataFrame, title: str, max_rows: int = 10, wide: tuple[str, ...] = ("params",)) -> Table:
    table = Table(title=title, title_justify="left", show_lines=False)
    for column in frame.columns:
        table.add_column(str(column), overflow="fold", max_width=90 if column in wide else None, no_wrap=column not in wide)
    for _, row in frame.head(max_rows).iterrows():
        table.add_row(*(_fmt(v) for v in row.tolist()))
    return table


def print_leaderboard(frame: pd.DataFrame, max_rows: int = 10) -> None:
    shown = f" (top {max_rows} of {len(frame)})" if len(frame) > max_rows else ""
    scored = f", scored by {frame.attrs['resampling']}" if frame.attrs.get("resampling") else ""
    console.print(frame_table(frame, f"Leaderboard{shown}{scored}", max_rows))


class _TimeLeftColumn(ProgressColumn):
    def __init__(self, deadline: Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def render(self, task: Task) -> Text:
        if not self.deadline.is_limited:
            return Text("no time limit")
        return Text(f"{max(self.deadline.remaining(), 0):.0f}s left")


class RichReporter:
    """Progress bar: trials finished, best score so far, time left."""

    def __init__(self) -> None:
        self.progress: Progress | None = None
        self.task_id: Any = None

    def start(self, study: optuna.Study, n_trials: int | None, deadline: Deadline) -> None:
        self.progress = Progress(
            TextColumn("[bold]search"),
            BarColumn(),
            MofNCompleteColumn() if n_trials else TextColumn("{task.completed} trials"),
            TextColumn("best {task.fields[best]}"),
            _TimeLeftColumn(deadline),
            console=console,
            transient=False,
        )
        self.progress.start()
        self.task_id = self.progress.add_task("search", total=n_trials, best="-")

    def trial_finished(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        if self.progress is None:
            return
        top = ranked(study)
        best = f"{score(top[0]):.5g}" if top else "-"
        self.progress.update(self.task_id, advance=1, best=best)

    def finish(self) -> None:
        if self.progress is not None:
            self.progress.stop()
