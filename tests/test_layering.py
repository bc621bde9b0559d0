"""Dependencies point one way (STYLE.md section 2): no package imports one to its left."""

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


def _layer(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("automl."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("automl."))
    return found


def test_every_layer_is_known() -> None:
    layers = {_layer(p) for p in PACKAGE.rglob("*.py")}
    assert layers <= set(RANK), f"add new layers to RANK: {layers - set(RANK)}"


def test_imports_point_down_the_layers() -> None:
    violations = []
    for path in PACKAGE.rglob("*.py"):
        source = _layer(path)
        for target in _imports(path):
            if target == source:
                continue
            if RANK[target] >= RANK[source]:
                violations.append(f"{path.relative_to(PACKAGE.parent)} imports automl.{target}")
    assert not violations, "\n".join(sorted(violations))
