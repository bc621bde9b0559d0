"""``automl studies create|list|delete`` (also spelled ``automl study``): the studies of a storage.

``create`` records with a new study everything workers need (``automl worker``), without
running trials; ``list`` shows what a storage holds; ``delete`` removes a study with its files.
"""

from __future__ import annotations

import argparse
import shlex

import optuna

from automl import api
from automl.cli._render import console, frame_table
from automl.cli._search import add_study_arguments, study_options
from automl.search import DEFAULT_STORAGE, StudyFiles, delete_study, describe_storage, find_study_files, study_table

EXIT_NOT_CONFIRMED = 1


class StudiesCommand:
    help = "the studies of a storage: create one for workers, list them, delete one with its artifact folder"
    aliases = ("study",)

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="studies_action", metavar="ACTION", required=True, parser_class=type(parser))
        help_text = "create a study and record what workers need, without running trials"
        create = actions.add_parser("create", help=help_text, description=help_text)
        add_study_arguments(create)
        create.add_argument("--n-trials", type=int, help="the study's target number of finished trials (the workers' default)")
        help_text = "every study of the storage: trials, best score, artifact folder"
        listing = actions.add_parser("list", help=help_text, description=help_text)
        help_text = "delete a study together with its artifact folder (asks first unless --yes)"
        delete = actions.add_parser("delete", help=help_text, description=help_text)
        delete.add_argument("name", help="study to delete")
        delete.add_argument("--yes", action="store_true", help="delete without asking")
        for sub in (listing, delete):
            sub.add_argument("--storage", default=DEFAULT_STORAGE, help=f"Optuna storage URL (default {DEFAULT_STORAGE})")

    def run(self, args: argparse.Namespace) -> int:
        action = {"create": _create, "list": _list, "delete": _delete}[args.studies_action]
        return action(args)


def _create(args: argparse.Namespace) -> int:
    study = api.create_study(args.data, args.target, **study_options(args))
    attrs = study.user_attrs
    storage = shlex.quote(describe_storage(args.storage))
    queued = len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.WAITING,)))
    console.print(
        f"study {study.study_name} in {describe_storage(args.storage)}: {attrs['task']}, {attrs['metric']}, "
        f"{attrs['resampling']}, families {', '.join(attrs['families'])}; "
        f"{len(study.trials) - queued} trials so far, {queued} queued",
        soft_wrap=True,
    )
    console.print(f"artifact folder (every worker must reach it at this path): {attrs['artifact_dir']}", soft_wrap=True)
    target = "" if args.n_trials else " --n-trials N"
    console.print(
        f"start workers: automl worker --study {shlex.quote(study.study_name)} --storage {storage}{target}", soft_wrap=True
    )
    console.print(f"then:          automl finalize --study {shlex.quote(study.study_name)} --storage {storage}", soft_wrap=True)
    return 0


def _list(args: argparse.Namespace) -> int:
    table = study_table(args.storage)
    # The storage URL is not echoed: a PostgreSQL URL may carry a password.
    if table.empty:
        console.print("no studies in this storage")
    else:
        console.print(frame_table(table, "Studies", max_rows=len(table), wide=("artifact_dir",)))
    return 0


def _delete(args: argparse.Namespace) -> int:
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
