"""``automl registry list|show|history|lineage|promote|rollback|alias|check``."""

from __future__ import annotations

import argparse
import json
from typing import Any

import pandas as pd

from automl._core import InputError
from automl.cli._render import console, frame_table
from automl.registry import DEFAULT_REGISTRY, Event, ModelVersion, Registry, parse_ref, parse_time, publish_history

#: Exit code of ``registry check`` when it finds problems (1 is an unexpected error, 2 bad input).
EXIT_PROBLEMS = 3


def add_registry_options(parser: argparse.ArgumentParser) -> None:
    """``--registry URL`` and ``--registry-artifacts DIR``, shared by every command that uses the registry."""
    parser.add_argument("--registry", default=DEFAULT_REGISTRY, help=f"registry database URL (default {DEFAULT_REGISTRY})")
    parser.add_argument(
        "--registry-artifacts",
        metavar="DIR",
        help="artifact folder (default: automl_registry/ beside the SQLite file; recorded in the registry)",
    )


def open_registry(args: argparse.Namespace) -> Registry:
    return Registry(args.registry, args.registry_artifacts)


def version_rows(versions: list[ModelVersion]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "version": v.version,
                "aliases": ",".join(v.aliases),
                "mode": v.lineage.mode,
                "parent": v.lineage.parent_version or "",
                "family": v.card.family,
                f"cv {v.card.metric}": v.card.cv_score,
                "study": v.lineage.study_name or "",
                "trials": ",".join(map(str, v.lineage.trial_numbers)),
                "fit s": v.lineage.fit_seconds,
                "rows": v.lineage.rows_seen,
                "created (UTC)": v.created_at[:19],
                "by": v.created_by,
            }
            for v in versions
        ]
    )


def event_rows(events: list[Event]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "seq": e.seq,
                "time (UTC)": e.at[:19],
                "event": e.kind,
                "version": e.version if e.version is not None else "",
                "alias": f"{e.alias}: {_v(e.from_version)} -> {_v(e.to_version)}" if e.alias else "",
                "by": e.user,
                "reason": e.reason,
            }
            for e in events
        ]
    )


def _v(version: int | None) -> str:
    return "-" if version is None else str(version)


class RegistryCommand:
    help = "registered models: versions, aliases (champion/challenger), history and lineage"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True, parser_class=type(parser))
        self._add(actions, "list", "registered names with their champion and challenger")
        show = self._add(actions, "show", "one version (or a name's versions): card, lineage, aliases")
        show.add_argument("ref", help="NAME, NAME@champion, NAME@3 or NAME@latest")
        history = self._add(actions, "history", "a name's events; --alias/--at answer 'who held it when, and why'")
        history.add_argument("name")
        history.add_argument("--alias", help="only events moving this alias (e.g. champion)")
        history.add_argument(
            "--at", metavar="TIME", help="with --alias: who held it at this date/time (UTC), and why that changed"
        )
        history.add_argument("--since", metavar="TIME")
        history.add_argument("--until", metavar="TIME")
        lineage = self._add(actions, "lineage", "a version and its ancestors")
        lineage.add_argument("ref")
        promote = self._add(
            actions, "promote", "make a version the champion (without the gate: use 'automl challenge' for a decision)"
        )
        promote.add_argument("ref")
        promote.add_argument("--reason", default="", help="why (recorded in the history)")
        promote.add_argument("--expect-champion", type=int, metavar="N", help="refuse if the champion is no longer version N")
        rollback = self._add(actions, "rollback", "give champion back to the previous champion (or --to N)")
        rollback.add_argument("name")
        rollback.add_argument("--to", type=int, metavar="N")
        rollback.add_argument("--reason", default="")
        alias = self._add(actions, "alias", "point an alias at a version (or --remove it)")
        alias.add_argument("name")
        alias.add_argument("alias")
        alias.add_argument("ref", nargs="?", help="version number or reference (omit with --remove)")
        alias.add_argument("--remove", action="store_true")
        alias.add_argument("--reason", default="")
        check = self._add(actions, "check", f"verify history, aliases and artifact digests (exit {EXIT_PROBLEMS} on problems)")
        check.add_argument("name", nargs="?", help="default: every name")

    @staticmethod
    def _add(actions: Any, name: str, help_text: str) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = actions.add_parser(name, help=help_text, description=help_text)
        add_registry_options(sub)
        if name in ("list", "show", "history", "lineage"):
            sub.add_argument("--json", action="store_true", help="print JSON instead of tables")
        return sub

    def run(self, args: argparse.Namespace) -> int:
        with open_registry(args) as registry:
            return int(getattr(self, f"_{args.action}")(registry, args))

    def _list(self, registry: Registry, args: argparse.Namespace) -> int:
        rows = []
        for name in registry.names():
            versions = registry.versions(name)
            holders = registry.aliases(name)
            rows.append(
                {
                    "name": name,
                    "versions": len(versions),
                    "champion": holders.get("champion", ""),
                    "challenger": holders.get("challenger", ""),
                    "latest (UTC)": versions[-1].created_at[:19] if versions else "",
                }
            )
        if args.json:
            console.print_json(json.dumps(rows))
        elif rows:
            console.print(frame_table(pd.DataFrame(rows), f"Registered models in {registry.display_url}", max_rows=1000, wide=()))
        else:
            console.print(f"no registered models in {registry.display_url}")
        return 0

    def _show(self, registry: Registry, args: argparse.Namespace) -> int:
        if "@" not in args.ref:
            return _print_versions(registry.versions(args.ref), f"Versions of {args.ref}", args.json)
        version = registry.version(args.ref)
        if args.json:
            console.print_json(json.dumps(_version_json(version)))
            return 0
        console.print(frame_table(version_rows([version]), f"{version.ref}", wide=()))
        card = version.card
        console.print(
            f"task {card.task}, metric {card.metric}, target '{card.target}', family {card.family}; "
            f"artifact sha256 {version.digest}"
        )
        lineage = {
            k: v
            for k, v in version.lineage.to_dict().items()
            if k not in ("data_sketch", "data_summary", "package_versions") and v not in (None, (), {}, [])
        }
        console.print_json(json.dumps(lineage, default=str))
        return 0

    def _history(self, registry: Registry, args: argparse.Namespace) -> int:
        if args.at is not None:
            if args.alias is None:
                raise InputError("--at needs --alias (e.g. --alias champion --at 2026-11-20)")
            return self._alias_at(registry, args)
        events = registry.history(
            args.name,
            alias=args.alias,
            since=parse_time(args.since) if args.since else None,
            until=parse_time(args.until) if args.until else None,
        )
        if args.json:
            console.print_json(json.dumps([e.to_dict() for e in events], default=str))
        else:
            console.print(frame_table(event_rows(events), f"History of {args.name}", max_rows=100_000, wide=("reason",)))
        return 0

    def _alias_at(self, registry: Registry, args: argparse.Namespace) -> int:
        version, since, change = registry.alias_at(args.name, args.alias, parse_time(args.at))
        if version is None:
            console.print(f"{args.name} had no {args.alias} at {args.at}")
        else:
            assert since is not None
            console.print(
                f"{args.alias} of {args.name} at {args.at}: version {version}, since {since.at[:19]} UTC "
                f"({since.kind} by {since.user}: {since.reason})",
                soft_wrap=True,
            )
        if change is not None:
            console.print(
                f"next change: {change.at[:19]} UTC, {change.kind} by {change.user} to version {_v(change.to_version)}: "
                f"{change.reason}",
                soft_wrap=True,
            )
        return 0

    def _lineage(self, registry: Registry, args: argparse.Namespace) -> int:
        chain = registry.lineage(args.ref)
        return _print_versions(chain, f"Lineage of {chain[0].ref} (newest first)", args.json)

    def _promote(self, registry: Registry, args: argparse.Namespace) -> int:
        kwargs = {} if args.expect_champion is None else {"expected_champion": args.expect_champion}
        version = registry.promote(
            parse_ref(args.ref), reason=args.reason or "promoted by hand (automl registry promote)", **kwargs
        )
        publish_history(registry, version.name)
        console.print(f"{version.ref} is now the champion of {version.name}")
        return 0

    def _rollback(self, registry: Registry, args: argparse.Namespace) -> int:
        version = registry.rollback(args.name, to=args.to, reason=args.reason or "rolled back by hand (automl registry rollback)")
        publish_history(registry, args.name)
        console.print(f"{version.ref} is the champion of {args.name} again")
        return 0

    def _alias(self, registry: Registry, args: argparse.Namespace) -> int:
        if args.remove == (args.ref is not None):
            raise InputError("give a version (NAME ALIAS REF) or --remove, not both or neither")
        number = None if args.remove else registry.version(args.ref if "@" in args.ref else f"{args.name}@{args.ref}").version
        registry.set_alias(args.name, args.alias, number, reason=args.reason)
        publish_history(registry, args.name)
        console.print(f"{args.alias} of {args.name}: {'removed' if number is None else f'version {number}'}")
        return 0

    def _check(self, registry: Registry, args: argparse.Namespace) -> int:
        names = [args.name] if args.name else registry.names()
        problems = {name: registry.check(name) for name in names}
        orphans = registry.orphan_artifacts()
        for name, found in problems.items():
            console.print(f"{name}: " + ("ok" if not found else f"{len(found)} problem(s)"))
            for problem in found:
                console.print(f"  - {problem}", soft_wrap=True)
        if orphans:
            console.print(
                f"{len(orphans)} stored artifact(s) no version uses (a registration interrupted before its record; harmless)"
            )
        return EXIT_PROBLEMS if any(problems.values()) else 0


def _print_versions(versions: list[ModelVersion], title: str, as_json: bool) -> int:
    if as_json:
        console.print_json(json.dumps([_version_json(v) for v in versions]))
    else:
        console.print(frame_table(version_rows(versions), title, max_rows=1000, wide=()))
    return 0


def _version_json(version: ModelVersion) -> dict[str, Any]:
    lineage = {k: v for k, v in version.lineage.to_dict().items() if k != "data_sketch"}
    return {
        "ref": version.ref,
        "name": version.name,
        "version": version.version,
        "aliases": list(version.aliases),
        "digest": version.digest,
        "files": version.files,
        "created_at": version.created_at,
        "created_by": version.created_by,
        "card": version.card.to_dict(),
        "lineage": lineage,
    }
