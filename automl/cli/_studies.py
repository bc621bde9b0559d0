"""``automl studies list|delete``: what a storage holds, and removing a study with its files."""

from __future__ import annotations

import argparse

from automl._core import InputError
from automl.cli._render import console, frame_table
from automl.search import DEFAULT_STORAGE, StudyFiles, delete_study, find_study_files, study_table

EXIT_NOT_CONFIRMED = 1


class StudiesCommand:
    help = "list the studies of a storage, or delete one together with its artifact folder"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("action", choices=["list", "delete"])
        parser.add_argument("name", nargs="?", help="study to delete")
        parser.add_argument("--storage", default=DEFAULT_STORAGE, help=f"Optuna storage URL (default {DEFAULT_STORAGE})")
        parser.add_argument("--yes", action="store_true", help="delete without asking")

    def run(self, args: argparse.Namespace) -> int:
        if args.action == "list":
            table = study_table(args.storage)
            # The storage URL is not echoed: a PostgreSQL URL may carry a password.
            if table.empty:
                console.print("no studies in this storage")
            else:
                console.print(frame_table(table, "Studies", max_rows=len(table), wide=("artifact_dir",)))
            return 0
        if not args.name:
            raise InputError("studies delete needs the name of the study")
        files = find_study_files(args.name, args.storage)
        if not args.yes and not _confirmed(files):
            console.print(f"study '{files.name}' not deleted (pass --yes to delete without the question)")
            return EXIT_NOT_CONFIRMED
        removed = delete_study(files, args.storage)
        folder = f" and its folder {files.artifact_dir}" if removed else _no_folder(files)
        console.print(f"deleted study '{files.name}' ({files.n_trials} trials){folder}", soft_wrap=True)
        return 0


def _confirmed(files: StudyFiles) -> bool:
    """Ask on the terminal; end of input (a pipe, no terminal) counts as no."""
    what = f"study '{files.name}' ({files.n_trials} trials)"
    if files.artifact_dir is not None and files.artifact_dir.is_dir():
        what += f" and the folder {files.artifact_dir}"
    try:
        answer = console.input(f"delete {what}? [y/N] ", markup=False)
    except (EOFError, OSError):  # no terminal to ask on
        return False
    return answer.strip().lower() in ("y", "yes")


def _no_folder(files: StudyFiles) -> str:
    if files.artifact_dir is None:
        return " (it recorded no artifact folder)"
    return f" (its folder {files.artifact_dir} was already gone)"
