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
    "__main__": 10,
    "cli": 9,
    "__init__": 9,
    "api": 8,
    "continual": 7,
    "search": 6,
    "ensembles": 5,
    "registry": 4,
    "models": 3,
    "spaces": 3,
    "evaluation": 3,
    "data": 1,
    "_core": 0,
}
ROOT = "__init__"  # what `import automl` or `from automl import name` reaches when name is not a package


def _layer(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def _module_name(path: Path) -> list[str]:
    """``automl/search/_final.py`` -> ``["automl", "search", "_final"]``; a package's ``__init__`` is the package."""
    parts = ["automl", *path.relative_to(PACKAGE).with_suffix("").parts]
    return parts[:-1] if parts[-1] == "__init__" else parts


def _exists(dotted: str) -> bool:
    """Whether ``automl.x.y`` is a module or package of the tree."""
    path = PACKAGE.parent.joinpath(*dotted.split("."))
    return path.is_dir() or path.with_suffix(".py").is_file()


def imported_modules(source: str, module: list[str], is_package: bool) -> set[str]:
    """Dotted names of the automl modules and packages that ``source`` (the code of ``module``) imports.

    ``from automl.x import y`` counts as ``automl.x.y`` when that is a module, else as ``automl.x``.
    """
    found: set[str] = set()
    package = module if is_package else module[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "automl")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join([*package[: len(package) - node.level + 1], *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            if base.split(".")[0] == "automl":
                found.update(f"{base}.{a.name}" if _exists(f"{base}.{a.name}") else base for a in node.names)
    return found


def imported_layers(source: str, module: list[str], is_package: bool) -> set[str]:
    """The automl layers (top-level packages and modules; ``__init__`` for the root) ``source`` imports."""
    names = imported_modules(source, module, is_package)
    return {name.split(".")[1] if "." in name else ROOT for name in names}


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
    assert imported_modules("from automl.evaluation import _plots, Metric", ["automl", "cli", "_x"], is_package=False) == {
        "automl.evaluation._plots",
        "automl.evaluation",
    }
    assert imported_layers("import os\nfrom os import path", ["automl", "cli"], is_package=True) == set()


def test_every_layer_is_known() -> None:
    layers = {_layer(p) for p in PACKAGE.rglob("*.py")}
    assert layers <= set(RANK), f"add new layers to RANK: {layers - set(RANK)}"


def test_imports_point_down_the_layers() -> None:
    violations = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = _layer(path)
        if source not in RANK:
            violations.append(f"{path.relative_to(PACKAGE.parent)} is in automl.{source}, a package that is not in RANK")
            continue
        for target in sorted(_imports(path)):
            where = f"{path.relative_to(PACKAGE.parent)} imports automl.{target}".replace("automl.__init__", "automl")
            if target not in RANK:
                violations.append(f"{where}, a package that is not in RANK")
            elif target != source and RANK[target] >= RANK[source]:
                violations.append(where)
    assert not violations, "\n".join(violations)


def test_no_module_imports_itself_through_others() -> None:
    """A circle of modules (``a`` imports ``b`` imports ``a``, even lazily or for typing only) means
    neither can be understood or tested alone. Package ``__init__`` files only re-export, so
    edges into them are left out: a module may import its own package's public names."""
    modules = {".".join(_module_name(p)): p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py"}
    edges = {
        name: sorted(
            m for m in imported_modules(path.read_text(encoding="utf-8"), _module_name(path), False) if m in modules and m != name
        )
        for name, path in modules.items()
    }
    circles: set[tuple[str, ...]] = set()

    def visit(node: str, trail: list[str]) -> None:
        for nxt in edges[node]:
            if nxt == trail[0]:
                circles.add(tuple(trail))
            elif nxt not in trail and nxt > trail[0]:  # each circle once, from its smallest member
                visit(nxt, [*trail, nxt])

    for start in sorted(modules):
        visit(start, [start])
    assert not circles, "\n".join(" -> ".join((*c, c[0])) for c in sorted(circles))
