"""``automl spaces list|show|validate``."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from automl._core import InputError, did_you_mean
from automl.cli._render import console, frame_table
from automl.models import builder_names
from automl.spaces import FamilySpace, default_spaces_dir, load_space, load_spaces


def _param_rows(space: FamilySpace) -> pd.DataFrame:
    rows = []
    for p in space.params:
        domain = list(p.choices) if p.type in ("categorical", "bool") else f"[{p.low}, {p.high}]" + (" log" if p.log else "") + (f" step {p.step}" if p.step else "")
        condition = ", ".join(f"{k} in {list(v)}" for k, v in p.when) + (f"repeat over {p.repeat}" if p.repeat else "")
        rows.append({"param": p.name, "type": p.type, "domain": str(domain), "when": condition, "default": space.defaults.get(p.name, "")})
    return pd.DataFrame(rows)


class SpacesCommand:
    help = "list, show and validate search-space YAML files"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("action", choices=["list", "show", "validate"])
        parser.add_argument("name", nargs="?", help="family name (show) or YAML file (validate)")
        parser.add_argument("--spaces", action="append", default=[], metavar="DIR", help="extra search-space folder")

    def run(self, args: argparse.Namespace) -> int:
        if args.action == "validate":
            if not args.name:
                raise InputError("spaces validate needs a YAML file")
            space = load_space(args.name, builder_names())
            console.print(f"ok: {args.name} defines family '{space.name}' ({len(space.params)} parameters, tasks {', '.join(space.tasks)})")
            return 0
        spaces = load_spaces(args.spaces, builder_names())
        if args.action == "list":
            built_in = default_spaces_dir()
            rows = [
                {"family": s.name, "builder": s.builder, "tasks": ",".join(s.tasks), "params": len(s.params),
                 "from": "built-in" if Path(s.source).parent == built_in else "--spaces", "file": s.source}
                for s in sorted(spaces.values(), key=lambda s: (s.order, s.name))
            ]
            console.print(frame_table(pd.DataFrame(rows), "Search spaces", max_rows=100, wide=("file",)))
            console.print(f"built-in families: {built_in}", soft_wrap=True)
            return 0
        if args.name not in spaces:
            raise InputError(f"unknown family '{args.name}'{did_you_mean(str(args.name), spaces)}")
        space = spaces[args.name]
        console.print(f"[bold]{space.name}[/bold] ({space.source}): {space.description}")
        console.print(f"builder {space.builder}; tasks {', '.join(space.tasks)}; preprocessing scale={space.preprocessing.scale}, categorical={space.preprocessing.categorical}; fixed {dict(space.fixed)}")
        console.print(frame_table(_param_rows(space), "Parameters", max_rows=100, wide=()))
        return 0
