"""Dependencies point one way (STYLE.md section 2): no package imports one to its left.

Every import statement counts, wherever it stands (module level, inside a function, under
``TYPE_CHECKING``) and whatever its form: ``import automl.x``, ``from automl import x``,
``from automl.x import y`` and relative imports. An import of a package that is not in
``RANK`` fails too, so a new package cannot slip past the check.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "automl"
# cli -> api -> continual -> search -> ensembles -> registry -> {models, spaces, evaluation} -> data -> _core
# (STYLE.md section 2: the registry stores models and its promotion gate reuses evaluation, so it sits above both).
RANK = {
    "__main__": 10, "cli": 9, "__init__": 9, "api": 8, "continual": 7, "search": 6, "ensembles": 5,
    "registry": 4, "models": 3, "spaces": 3, "evaluation": 3, "data": 1, "_core": 0,
}
ROOT = "__init__"  # what `import automl` or `from automl import name` reaches when name is not a package


def _layer(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def _module_name(path: Path) -> list[str]:
    """``automl/search/_final.py`` -> ``["automl", "search", "_final"]``; a package's ``__init__`` is the package."""
    parts = ["automl", *path.relative_to(PACKAGE).with_suffix("").parts]
    return parts[:-1] if parts[-1] == "__init__" else parts


def _is_layer(name: str) -> bool:
    return (PACKAGE / name).is_dir() or (PACKAGE / f"{name}.py").is_file() or name in RANK


def _targets(module: str, names: list[str]) -> set[str]:
    """Layers an import of ``names`` from the absolute ``module`` reaches (empty if not automl)."""
    parts = module.split(".")
    if parts[0] != "automl":
        return set()
    if len(parts) > 1:
        return {parts[1]}
    return {name if name != "*" and _is_layer(name) else ROOT for name in names}


def imported_layers(source: str, module: list[str], is_package: bool) -> set[str]:
    """The automl layers imported by ``source``, the code of ``module`` (its dotted parts)."""
    found: set[str] = set()
    package = module if is_package else module[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found |= _targets(alias.name, [])
                if alias.name == "automl":
                    found.add(ROOT)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                absolute = ".".join([*base, *([node.module] if node.module else [])])
            else:
                absolute = node.module or ""
            found |= _targets(absolute, [a.name for a in node.names])
    return found


def _imports(path: Path) -> set[str]:
    return imported_layers(path.read_text(encoding="utf-8"), _module_name(path), path.name == "__init__.py")


def test_every_import_form_is_seen() -> None:
    source = """
import automl.data
import automl
from automl import api, __version__
from automl.search._runner import run_search
from . import _x
from ..models import ModelCard
from .._core import Deadline

def late():
    from automl.cli import main
    import automl.spaces._loader as loader
"""
    layers = imported_layers(source, ["automl", "evaluation", "_report"], is_package=False)
    assert layers == {"data", ROOT, "api", "search", "evaluation", "models", "_core", "cli", "spaces"}
    assert imported_layers("from . import _linear", ["automl", "models"], is_package=True) == {"models"}
    assert imported_layers("from automl import nothere", ["automl", "cli"], is_package=True) == {ROOT}
    assert imported_layers("import os\nfrom os import path", ["automl", "cli"], is_package=True) == set()


def test_every_layer_is_known() -> None:
    layers = {_layer(p) for p in PACKAGE.rglob("*.py")}
    assert layers <= set(RANK), f"add new layers to RANK: {layers - set(RANK)}"


def test_imports_point_down_the_layers() -> None:
    violations = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = _layer(path)
        for target in sorted(_imports(path)):
            where = f"{path.relative_to(PACKAGE.parent)} imports automl.{target}".replace("automl.__init__", "automl")
            if target not in RANK:
                violations.append(f"{where}, a package that is not in RANK")
            elif target != source and RANK[target] >= RANK[source]:
                violations.append(where)
    assert not violations, "\n".join(violations)
