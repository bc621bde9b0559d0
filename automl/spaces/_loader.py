"""Load and validate ``search_spaces/*.yaml``, reporting file, line and key on errors."""

from __future__ import annotations

import logging
import math
import string
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from automl._core import SpaceError, did_you_mean, printable
from automl.data import TASKS
from automl.spaces._schema import FamilySpace, Param, PortfolioEntry, Preprocessing

log = logging.getLogger(__name__)

_TOP_KEYS = {
    "name",
    "builder",
    "tasks",
    "params",
    "fixed",
    "defaults",
    "preprocessing",
    "order",
    "description",
    "portfolio",
    "rows_budget",
}
_PARAM_KEYS = {"type", "low", "high", "log", "step", "choices", "when", "repeat"}
_TYPES = ("int", "float", "categorical", "bool")
# Search-space files are a few KB; a bigger one is a mistake or an attempt to exhaust memory.
MAX_SPACE_FILE_BYTES = 1 << 20
# A repeated parameter is suggested once per index: more copies than this is a mistake (or a
# way to make every trial hang in millions of suggest calls).
MAX_REPEAT = 64


@dataclass(frozen=True)
class Override:
    """A family defined again by a later file: ``source`` replaces ``replaced`` (``builtin`` when shipped)."""

    family: str
    source: str
    replaced: str
    builtin: bool

    def describe(self) -> str:
        origin = "the built-in family" if self.builtin else "the family"
        return f"family '{self.family}' from {self.source} overrides {origin} from {self.replaced}"


def default_spaces_dir() -> Path:
    """The folder of the built-in families.

    The repository keeps them in one place, the top-level ``search_spaces/``. The wheel
    copies that folder into the package (``automl/search_spaces``, see ``pyproject.toml``),
    where ``importlib.resources`` finds it; a source checkout (editable install, or the
    package on ``sys.path``) has no such copy, so the folder beside the package is used.

    Raises:
        SpaceError: neither place holds the folder (a broken installation).
    """
    packaged = resources.files("automl") / "search_spaces"
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "search_spaces"
    if checkout.is_dir():
        return checkout
    raise SpaceError(f"built-in search spaces not found in '{packaged}' or '{checkout}'; reinstall automl")


def load_spaces(extra_dirs: Collection[str | Path] = (), known_builders: Collection[str] | None = None) -> dict[str, FamilySpace]:
    """All families: the built-in folder first, then each of ``extra_dirs`` (later files override)."""
    return load_spaces_with_overrides(extra_dirs, known_builders)[0]


def load_spaces_with_overrides(
    extra_dirs: Collection[str | Path] = (), known_builders: Collection[str] | None = None
) -> tuple[dict[str, FamilySpace], list[Override]]:
    """Like :func:`load_spaces`, also saying which families a later file replaced (the CLI shows it)."""
    builtin_dir = default_spaces_dir()
    spaces: dict[str, FamilySpace] = {}
    builtin: set[str] = set()
    overrides: list[Override] = []
    for folder in (builtin_dir, *map(Path, extra_dirs)):
        if not folder.is_dir():
            raise SpaceError(f"search-space folder not found: '{folder}'")
        for path in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")):
            space = load_space(path, known_builders)
            if space.name in spaces:
                override = Override(space.name, str(path), spaces[space.name].source, space.name in builtin)
                log.info("%s", override.describe())
                overrides.append(override)
            elif folder == builtin_dir:
                builtin.add(space.name)
            spaces[space.name] = space
    return spaces, overrides


def load_space(path: str | Path, known_builders: Collection[str] | None = None) -> FamilySpace:
    """Parse and validate one YAML file.

    Raises:
        SpaceError: ``"<file>:<line>: <key>: <problem>"`` for the first problem found.
    """
    path = Path(path)
    if not path.is_file():
        raise SpaceError(f"search-space file not found: '{path}'")
    if path.stat().st_size > MAX_SPACE_FILE_BYTES:
        raise SpaceError(
            f"{path}: {path.stat().st_size:,} bytes is too large for a search-space file (limit {MAX_SPACE_FILE_BYTES:,})"
        )
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpaceError(f"{path}: not UTF-8 text (byte {exc.start}): {exc.reason}") from None
    return parse_space(text, path, known_builders)


def parse_space(text: str, path: str | Path, known_builders: Collection[str] | None = None) -> FamilySpace:
    """Parse and validate the YAML ``text`` of a search-space file named ``path`` (for messages).

    Only plain YAML is read (``SafeLoader``: no Python tags); anchors and aliases are refused,
    since a few aliases can make a tiny file expand into a huge (or self-referencing) document.

    Raises:
        SpaceError: ``"<file>:<line>: <key>: <problem>"`` for the first problem found.
    """
    path = Path(path)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        _refuse_aliases(node, path)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = (getattr(exc, "problem", None) or str(exc)).strip().splitlines() or ["unreadable"]
        raise SpaceError(f"{where}: not valid YAML: {problem[0]}") from None
    except RecursionError:
        raise SpaceError(f"{path}: the YAML nests too deeply") from None
    return _Parser(path, _key_lines(node), known_builders).parse(data)


def _refuse_aliases(node: yaml.Node | None, path: Path) -> None:
    """Raise SpaceError at the first node reached twice (an alias): walked iteratively, each node once."""
    seen: set[int] = set()
    stack = [node] if node is not None else []
    while stack:
        item = stack.pop()
        if id(item) in seen:
            raise SpaceError(f"{path}:{item.start_mark.line + 1}: YAML anchors and aliases are not allowed in search spaces")
        seen.add(id(item))
        if isinstance(item, yaml.MappingNode):
            for key, value in item.value:
                stack.extend((key, value))
        elif isinstance(item, yaml.SequenceNode):
            stack.extend(item.value)


def _key_lines(node: yaml.Node | None, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], int]:
    """Map each key path (``("params", "max_depth", "low")``) to its 1-based line."""
    lines: dict[tuple[str, ...], int] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            path = (*prefix, str(key.value))
            lines[path] = key.start_mark.line + 1
            lines.update(_key_lines(value, path))
    return lines


class _Parser:
    def __init__(self, path: Path, lines: dict[tuple[str, ...], int], builders: Collection[str] | None) -> None:
        self.path, self.lines, self.builders = path, lines, builders

    def fail(self, key: tuple[str, ...], problem: str) -> SpaceError:
        line = next((self.lines[key[:n]] for n in range(len(key), 0, -1) if key[:n] in self.lines), None)
        where = f"{self.path}:{line}" if line else str(self.path)
        # keys come from the file: escaped, so a key with a line break cannot break the one-line error
        return SpaceError(f"{where}: {printable('.'.join(key), 200) or '(top)'}: {problem}")

    def parse(self, data: Any) -> FamilySpace:
        if not isinstance(data, Mapping):
            raise self.fail((), "the file must be a mapping with at least 'name', 'builder', 'tasks', 'params'")
        for key in data:
            if key not in _TOP_KEYS:
                raise self.fail((str(key),), f"unknown key{did_you_mean(str(key), _TOP_KEYS)}")
        for key in ("name", "builder", "tasks", "params"):
            if key not in data:
                raise self.fail((), f"missing required key '{key}'")
        name, builder = self._string("name", data["name"]), self._string("builder", data["builder"])
        if self.builders is not None and builder not in self.builders:
            raise self.fail(("builder",), f"unknown builder '{builder}'{did_you_mean(builder, self.builders)}")
        params = self._params(data["params"])
        fixed = self._mapping(("fixed",), data.get("fixed") or {})
        overlap = set(fixed) & {p.name for p in params}
        if overlap:
            raise self.fail(("fixed",), f"'{sorted(overlap)[0]}' is both fixed and searched")
        portfolio = self._portfolio(data.get("portfolio") or [], params)
        rows_budget = self._rows_budget(data.get("rows_budget") or {}, params)
        return FamilySpace(
            name=name,
            builder=builder,
            tasks=self._tasks(data["tasks"]),
            params=params,
            fixed=fixed,
            defaults=self._defaults(data.get("defaults") or {}, params),
            preprocessing=self._preprocessing(data.get("preprocessing") or {}),
            order=self._order(data.get("order", 100)),
            description=str(data.get("description", "")),
            source=str(self.path),
            portfolio=portfolio,
            rows_budget=rows_budget,
        )

    def _string(self, key: str, value: Any) -> str:
        if not isinstance(value, str) or not value.isidentifier():
            raise self.fail((key,), f"must be an identifier-like string, got {value!r}")
        return value

    def _mapping(self, key: tuple[str, ...], value: Any) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(key, f"must be a mapping, got {type(value).__name__}")
        return {str(k): v for k, v in value.items()}

    def _order(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(("order",), f"must be an integer, got {value!r}")
        return value

    def _tasks(self, value: Any) -> tuple[Any, ...]:
        if not isinstance(value, list) or not value:
            raise self.fail(("tasks",), f"must be a non-empty list of {', '.join(TASKS)}")
        for task in value:
            if task not in TASKS:
                raise self.fail(("tasks",), f"unknown task '{task}'{did_you_mean(str(task), TASKS)}")
        return tuple(value)

    def _preprocessing(self, value: Any) -> Preprocessing:
        spec = self._mapping(("preprocessing",), value)
        for key in spec:
            if key not in ("scale", "categorical"):
                raise self.fail(("preprocessing", key), "unknown key; use 'scale' (bool) and 'categorical' (onehot|ordinal)")
        scale, categorical = spec.get("scale", False), spec.get("categorical", "ordinal")
        if not isinstance(scale, bool):
            raise self.fail(("preprocessing", "scale"), f"must be true or false, got {scale!r}")
        if categorical not in ("onehot", "ordinal"):
            raise self.fail(("preprocessing", "categorical"), f"must be onehot or ordinal, got {categorical!r}")
        return Preprocessing(scale=scale, categorical=categorical)

    def _params(self, value: Any) -> tuple[Param, ...]:
        spec = self._mapping(("params",), value)
        params: list[Param] = []
        for name, body in spec.items():
            params.append(self._param(name, body, {p.name: p for p in params}))
        return tuple(params)

    def _param(self, name: str, body: Any, earlier: dict[str, Param]) -> Param:
        key = ("params", name)
        body = self._mapping(key, body)
        for k in body:
            if k not in _PARAM_KEYS:
                raise self.fail((*key, k), f"unknown key{did_you_mean(k, _PARAM_KEYS)}")
        kind = body.get("type")
        if kind not in _TYPES:
            raise self.fail((*key, "type"), f"must be one of {', '.join(_TYPES)}, got {kind!r}")
        repeat = body.get("repeat")
        if repeat is not None:
            if not isinstance(repeat, str) or repeat not in earlier or earlier[repeat].type != "int":
                raise self.fail((*key, "repeat"), f"must name an earlier int parameter, got {repeat!r}")
            low, high = earlier[repeat].bounds()
            if low < 0 or high > MAX_REPEAT:
                raise self.fail(
                    (*key, "repeat"),
                    f"'{repeat}' must range within 0..{MAX_REPEAT} to repeat a parameter, got {low}..{high}",
                )
            if _template_fields(name) != {"i"}:
                raise self.fail(key, "a repeated parameter's name must contain '{i}' and no other '{...}' field")
        elif "{" in name or "}" in name:
            raise self.fail(key, "'{i}' in a name needs 'repeat: <int parameter>' (and names have no other braces)")
        when = self._when(key, body.get("when") or {}, earlier)
        if kind in ("int", "float"):
            return self._numeric(key, name, kind, body, when, repeat)
        if kind == "bool":
            return Param(name, "bool", choices=(True, False), when=when, repeat=repeat)
        choices = body.get("choices")
        if not isinstance(choices, list) or not choices:
            raise self.fail((*key, "choices"), "a categorical parameter needs a non-empty 'choices' list")
        odd = next((c for c in choices if c is not None and not isinstance(c, (bool, int, float, str))), None)
        if odd is not None:
            raise self.fail((*key, "choices"), f"choices must be strings, numbers, booleans or null, got {odd!r}")
        if len(set(map(repr, choices))) != len(choices):
            raise self.fail((*key, "choices"), "choices must be distinct")
        return Param(name, "categorical", choices=tuple(choices), when=when, repeat=repeat)

    def _numeric(self, key: tuple[str, ...], name: str, kind: Any, body: dict[str, Any], when: Any, repeat: Any) -> Param:
        for bound in ("low", "high"):
            value = body.get(bound)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise self.fail(
                    (*key, bound),
                    f"a{'n' if kind == 'int' else ''} {kind} parameter needs a finite numeric '{bound}', got {value!r}",
                )
            if kind == "int" and int(value) != value:
                raise self.fail((*key, bound), f"an int parameter needs an integer bound, got {value!r}")
        low, high, log, step = body["low"], body["high"], body.get("log", False), body.get("step")
        if not low < high:
            raise self.fail((*key, "high"), f"high ({high}) must be greater than low ({low})")
        if not isinstance(log, bool):
            raise self.fail((*key, "log"), f"must be true or false, got {log!r}")
        if log and low <= 0:
            raise self.fail((*key, "low"), f"log scale needs low > 0, got {low}")
        if step is not None and (
            log or isinstance(step, bool) or not isinstance(step, (int, float)) or not math.isfinite(step) or step <= 0
        ):
            raise self.fail((*key, "step"), "step must be a positive number and cannot be combined with log")
        if step is not None and kind == "int" and int(step) != step:
            raise self.fail((*key, "step"), f"an int parameter needs an integer step, got {step!r}")
        return Param(name, kind, low=low, high=high, log=log, step=step, when=when, repeat=repeat)

    def _when(self, key: tuple[str, ...], value: Any, earlier: dict[str, Param]) -> tuple[tuple[str, tuple[Any, ...]], ...]:
        conditions = []
        for other, allowed in self._mapping((*key, "when"), value).items():
            if other not in earlier:
                raise self.fail((*key, "when", other), "a condition must name a parameter defined above this one")
            allowed_values = tuple(allowed) if isinstance(allowed, list) else (allowed,)
            bad = [v for v in allowed_values if not earlier[other].contains(v)]
            if bad:
                raise self.fail((*key, "when", other), f"{bad[0]!r} is not a possible value of '{other}'")
            conditions.append((other, allowed_values))
        return tuple(conditions)

    def _portfolio(self, value: Any, params: tuple[Param, ...]) -> tuple[PortfolioEntry, ...]:
        if not isinstance(value, list):
            raise self.fail(("portfolio",), "must be a list of {priority: N, params: {...}}")
        entries = []
        for i, item in enumerate(value):
            spec = self._mapping(("portfolio",), item)
            unknown = set(spec) - {"priority", "params", "min_budget"}
            priority, min_budget = spec.get("priority"), spec.get("min_budget", 0)
            if unknown or isinstance(priority, bool) or not isinstance(priority, int):
                raise self.fail(
                    ("portfolio",), f"entry {i + 1} needs an integer 'priority' and 'params' (and only an optional 'min_budget')"
                )
            if isinstance(min_budget, bool) or not isinstance(min_budget, (int, float)) or not 0 <= min_budget < math.inf:
                raise self.fail(("portfolio",), f"entry {i + 1}: 'min_budget' must be seconds >= 0, got {min_budget!r}")
            entry_params = self._defaults(spec.get("params") or {}, params, "portfolio")
            entries.append(PortfolioEntry(priority, entry_params, float(min_budget)))
        return tuple(entries)

    def _rows_budget(self, value: Any, params: tuple[Param, ...]) -> dict[str, float]:
        budget = self._mapping(("rows_budget",), value)
        by_name = {p.name: p for p in params}
        for name, rows in budget.items():
            if name not in by_name or by_name[name].type != "int":
                raise self.fail(("rows_budget", name), "must name an int parameter of this family")
            if isinstance(rows, bool) or not isinstance(rows, (int, float)) or rows <= 0:
                raise self.fail(("rows_budget", name), f"must be a positive number, got {rows!r}")
        return {k: float(v) for k, v in budget.items()}

    def _defaults(self, value: Any, params: tuple[Param, ...], key: str = "defaults") -> dict[str, Any]:
        defaults = self._mapping((key,), value)
        by_name = {p.name: p for p in params}
        for name, val in defaults.items():
            param = by_name.get(name) or next((p for p in params if p.repeat and _matches_template(p.name, name)), None)
            if param is None:
                raise self.fail((key, name), f"not a parameter of this family{did_you_mean(name, by_name)}")
            if not param.contains(val):
                raise self.fail((key, name), f"value {val!r} is outside the parameter's range")
        return defaults


def _template_fields(name: str) -> set[str]:
    """The ``{field}`` names in ``name`` (``{"i"}`` for ``units_l{i}``); a malformed one counts as ``"?"``."""
    try:
        parsed = list(string.Formatter().parse(name))
    except ValueError:
        return {"?"}
    return {
        field + (f"!{conv}" if conv else "") + (f":{spec}" if spec else "")
        for _, field, spec, conv in parsed
        if field is not None
    }


def _matches_template(template: str, name: str) -> bool:
    head, _, tail = template.partition("{i}")
    middle = name[len(head) : len(name) - len(tail)] if name.startswith(head) and name.endswith(tail) else ""
    return middle.isdigit()
