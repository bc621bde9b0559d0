"""``automl spaces list|show|validate``."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from automl._core import InputError, did_you_mean
from automl.cli._render import console, frame_table
from automl.models import builder_names
from automl.spaces import FamilySpace, default_spaces_dir, load_space, load_spaces, load_spaces_with_overrides


def _param_rows(space: FamilySpace) -> pd.DataFrame:
    rows = []
    for p in space.params:
        domain = (
            list(p.choices)
            if p.type in ("categorical", "bool")
            else f"[{p.low}, {p.high}]" + (" log" if p.log else "") + (f" step {p.step}" if p.step else "")
        )
        condition = ", ".join(f"{k} in {list(v)}" for k, v in p.when) + (f"repeat over {p.repeat}" if p.repeat else "")
        rows.append(
            {"param": p.name, "type": p.type, "domain": str(domain), "when": condition, "default": space.defaults.get(p.name, "")}
        )
    return pd.DataFrame(rows)


class SpacesCommand:
    help = "list, show and validate search-space YAML files"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("action", choices=["list", "show", "validate"])
        parser.add_argument("name", nargs="?", help="family name (show) or YAML file (validate)")
        parser.add_argument("--spaces", action="append", default=[], metavar="DIR", help="extra search-space folder (repeatable)")

    def run(self, args: argparse.Namespace) -> int:
        if args.action == "validate":
            return self._validate(args)
        spaces, overrides = load_spaces_with_overrides(args.spaces, builder_names())
        if args.action == "list":
            built_in = default_spaces_dir()
            replaced = {o.family: o.replaced for o in overrides}
            rows = [
                {
                    "family": s.name,
                    "builder": s.builder,
                    "tasks": ",".join(s.tasks),
                    "params": len(s.params),
                    "from": "built-in" if Path(s.source).parent == built_in else "--spaces",
                    "overrides": replaced.get(s.name, ""),
                    "file": s.source,
                }
                for s in sorted(spaces.values(), key=lambda s: (s.order, s.name))
            ]
            console.print(frame_table(pd.DataFrame(rows), "Search spaces", max_rows=100, wide=("file",)))
            console.print(f"built-in families: {built_in}", soft_wrap=True)
            for override in overrides:
                console.print(f"note: {override.describe()}", soft_wrap=True)
            return 0
        if args.name not in spaces:
            raise InputError(f"unknown family '{args.name}'{did_you_mean(str(args.name), spaces)}")
        space = spaces[args.name]
        console.print(f"[bold]{space.name}[/bold] ({space.source}): {space.description}")
        console.print(
            f"builder {space.builder}; tasks {', '.join(space.tasks)}; "
            f"preprocessing scale={space.preprocessing.scale}, categorical={space.preprocessing.categorical}; "
            f"fixed {dict(space.fixed)}"
        )
        console.print(frame_table(_param_rows(space), "Parameters", max_rows=100, wide=()))
        return 0

    def _validate(self, args: argparse.Namespace) -> int:
        """Validate one file (``name``) and/or every file of the ``--spaces`` folders; say what each overrides."""
        if not args.name and not args.spaces:
            raise InputError("spaces validate needs a YAML file or --spaces DIR")
        builders = builder_names()
        spaces, overrides = load_spaces_with_overrides(args.spaces, builders)  # validates every folder file
        checked = [
            Path(p) for folder in args.spaces for p in sorted(Path(folder).glob("*.yaml")) + sorted(Path(folder).glob("*.yml"))
        ]
        checked += [Path(args.name)] if args.name else []
        builtin = {s.name: s.source for s in load_spaces((), builders).values()}
        for path in checked:
            space = load_space(path, builders)
            console.print(
                f"ok: {path} defines family '{space.name}' ({len(space.params)} parameters, tasks {', '.join(space.tasks)})",
                soft_wrap=True,
            )
            if (
                path == Path(str(args.name))
                and space.name in spaces
                and Path(spaces[space.name].source).resolve() != path.resolve()
            ):
                kind = "the built-in family" if spaces[space.name].source == builtin.get(space.name) else "the family"
                console.print(
                    f"note: family '{space.name}' from {path} would override {kind} from {spaces[space.name].source}",
                    soft_wrap=True,
                )
        for override in overrides:
            console.print(f"note: {override.describe()}", soft_wrap=True)
        return 0
