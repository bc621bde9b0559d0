"""Commands that read an existing study or model: leaderboard, predict, dashboard."""

from __future__ import annotations

import argparse
import ipaddress
from pathlib import Path

import numpy as np
import pandas as pd

from automl import api
from automl._core import InputError, atomic_write_bytes
from automl.cli._limits import add_limit_arguments, limits_from_args
from automl.cli._model_source import add_model_source, load_model_source
from automl.cli._render import console, frame_table, print_leaderboard
from automl.data import read_table
from automl.search import DEFAULT_STORAGE, family_summary, leaderboard


class LeaderboardCommand:
    help = "print a study's leaderboard and per-family summary"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--study", required=True)
        parser.add_argument("--storage", default=DEFAULT_STORAGE)
        parser.add_argument("--top", type=int, default=20, help="rows to show (default 20)")
        parser.add_argument("--csv", type=Path, help="also write the full leaderboard to this CSV file")

    def run(self, args: argparse.Namespace) -> int:
        study = api.load_study(args.study, args.storage)
        board = leaderboard(study)
        print_leaderboard(board, args.top)
        console.print(frame_table(family_summary(study), "Families (effort and best score)"))
        if args.csv:
            atomic_write_bytes(args.csv, board.to_csv(index=False).encode())
            console.print(f"leaderboard written to {args.csv}")
        return 0


class PredictCommand:
    help = "predict a table with a saved model (a model folder, or a study's best model)"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        add_model_source(parser)
        parser.add_argument("data", help="CSV or Parquet file with the feature columns")
        parser.add_argument("--out", type=Path, required=True, help="CSV file to write")
        add_limit_arguments(parser)

    def run(self, args: argparse.Namespace) -> int:
        model, card, _ = load_model_source(args)
        frame = read_table(args.data, limits_from_args(args))
        if frame.empty:
            raise InputError(f"'{args.data}' has no rows to predict")
        features = frame.drop(columns=[card.target]) if card.target in frame.columns else frame
        out = pd.DataFrame({"prediction": model.predict(features)})
        if card.task != "regression":
            proba = np.asarray(model.predict_proba(features))
            for i, label in enumerate(model.classes_):
                out[f"proba_{label}"] = proba[:, i]
        atomic_write_bytes(args.out, out.to_csv(index=False).encode())
        console.print(f"wrote {len(out)} predictions to {args.out}")
        return 0


class DashboardCommand:
    help = "serve optuna-dashboard on a study storage (this machine only, unless --host says otherwise)"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--storage",
            default=DEFAULT_STORAGE,
            help=f"sqlite:///FILE, postgresql://USER@HOST/DB or journal:FILE (default {DEFAULT_STORAGE})",
        )
        parser.add_argument("--host", default=LOOPBACK, help=f"address to listen on (default {LOOPBACK}: this machine only)")
        parser.add_argument("--port", type=int, default=8080)
        parser.add_argument("--artifacts", type=Path, help="a study's artifacts folder (shows out-of-fold files)")

    def run(self, args: argparse.Namespace) -> int:
        import optuna
        from optuna_dashboard import run_server

        storage = api.open_storage(args.storage)
        store = optuna.artifacts.FileSystemArtifactStore(args.artifacts) if args.artifacts else None
        url = f"http://{args.host}:{args.port}/dashboard"
        if _is_loopback(args.host):
            console.print(f"dashboard on {url}  (listening on {args.host}: reachable from this machine only; Ctrl+C stops it)")
        else:
            console.print(f"dashboard on {url}  (Ctrl+C stops it)")
            console.print(
                f"warning: listening on {args.host}: anyone who can reach port {args.port} of this machine can read "
                "and edit these studies (the dashboard has no login); use an SSH tunnel to 127.0.0.1 instead",
                style="bold red",
            )
        run_server(storage, host=args.host, port=args.port, artifact_store=store)
        return 0


LOOPBACK = "127.0.0.1"


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"
