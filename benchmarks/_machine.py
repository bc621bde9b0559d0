"""Facts about the machine and the installed packages, for the results header."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

PACKAGES = ("automl", "optuna", "scikit-learn", "xgboost", "torch", "numpy", "pandas", "flaml", "lightgbm")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def total_memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def machine_facts() -> dict[str, str]:
    memory = total_memory_gib()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "nproc": f"{usable} (os.cpu_count() = {os.cpu_count()})",
        "cpu": cpu_model(),
        "memory": f"{memory:.1f} GiB" if memory is not None else "unknown",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }


def package_versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_revision(repo: Path) -> str:
    """``<commit>`` or ``<commit> (+ uncommitted changes)``; read-only git calls."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=repo, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{commit} (+ uncommitted changes)" if dirty else commit


PEER_PACKAGES = ("autogluon.tabular", "torch", "xgboost", "lightgbm", "catboost", "fastai", "pandas", "numpy", "scikit-learn")


def peer_versions(repo: Path) -> dict[str, str]:
    """Package versions inside the peers' venv (``make bench-peers``), read by its own interpreter."""
    python = repo / "benchmarks" / ".peers-venv" / "bin" / "python"
    if not python.exists():
        return {"status": "not installed"}
    script = (
        "import json; from importlib import metadata as m\n"
        f"names = {list(PEER_PACKAGES)!r}\n"
        "def v(n):\n    try:\n        return m.version(n)\n    except m.PackageNotFoundError:\n        return 'not installed'\n"
        "print(json.dumps({n: v(n) for n in names}))"
    )
    try:
        out = subprocess.run([str(python), "-c", script], capture_output=True, text=True, timeout=60, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return {"status": "unreadable"}
    import json

    return dict(json.loads(out))
