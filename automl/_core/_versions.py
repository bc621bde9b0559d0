"""Versions of the packages a model depends on, recorded with studies and artifacts."""

from __future__ import annotations

import platform
from importlib import metadata

_TRACKED = ("automl", "optuna", "scikit-learn", "xgboost", "torch", "pandas", "numpy", "skops")


def package_versions() -> dict[str, str]:
    """Return ``{package: version}`` for the packages that shape a trained model."""
    versions = {"python": platform.python_version()}
    for name in _TRACKED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions
