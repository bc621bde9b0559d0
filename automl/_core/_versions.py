"""The automl version, and the versions of the packages a model depends on (recorded with studies and artifacts)."""

from __future__ import annotations

import platform
from importlib import metadata

# The one place that defines the version: the build reads it from here for the package metadata
# (pyproject.toml, [tool.hatch.version]), and `automl --version` and `automl.__version__` import it.
__version__ = "0.1.0"

_TRACKED = ("optuna", "scikit-learn", "xgboost", "torch", "pandas", "numpy", "skops")


def package_versions() -> dict[str, str]:
    """Return ``{package: version}`` for the packages that shape a trained model.

    automl's own entry is the running code's ``__version__``, not whatever distribution
    metadata happens to be installed (a checkout on ``sys.path`` can differ from it).
    """
    versions = {"python": platform.python_version(), "automl": __version__}
    for name in _TRACKED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions
