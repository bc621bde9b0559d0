"""The ``--model PATH | --study NAME [--storage URL]`` choice shared by commands that use a saved model."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from automl import api
from automl.models import ModelCard
from automl.search import DEFAULT_STORAGE


def add_model_source(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", type=Path, help="saved model folder")
    source.add_argument("--study", help="use this study's best model")
    parser.add_argument("--storage", default=DEFAULT_STORAGE, help="study storage (with --study)")
    parser.add_argument(
        "--trust",
        action="append",
        default=[],
        metavar="TYPE",
        help="also load this exact type (module.Class) if the model contains it: a risk you accept "
        "(repeatable; the refusal message names the types)",
    )


def load_model_source(args: argparse.Namespace) -> tuple[Any, ModelCard, str]:
    """The model, its card, and a short description of where it came from."""
    if args.model:
        model, card = api.load_saved_model(args.model, args.trust)
        return model, card, f"{card.family} ({args.model})"
    model, card = api.load_best_model_and_card(args.study, args.storage, trust=args.trust)
    return model, card, f"{card.family} (study {args.study})"
