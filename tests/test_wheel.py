"""The wheel works without the source tree.

The wheel is built from this checkout and installed into a new virtual environment in a
temporary folder; every command then runs from another temporary folder. The third-party
dependencies come from the running environment through a ``.pth`` line (nothing is
downloaded), but ``automl`` itself must come from the wheel: the checkout is not on
``sys.path`` and the search spaces are the ones the wheel carries.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer

REPO = Path(__file__).resolve().parents[1]
FAMILIES = sorted(p.stem for p in (REPO / "search_spaces").glob("*.yaml"))


def _run(command: list[str | Path], cwd: Path, env: dict[str, str], timeout: float = 300) -> str:
    done = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(map(str, command))} exited {done.returncode}:\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A new virtual environment with the freshly built wheel installed, and the environment to run it in."""
    work = tmp_path_factory.mktemp("wheel")
    assert REPO not in work.resolve().parents, "the environment must live outside the checkout"
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet", "-w", work / "dist", REPO],
        cwd=work,
        env=dict(os.environ),
    )
    (wheel,) = (work / "dist").glob("automl-*.whl")
    target = work / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", target], cwd=work, env=dict(os.environ))
    python = target / "bin" / "python"
    _run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index", "--quiet", wheel],
        cwd=work,
        env=dict(os.environ),
    )
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], cwd=work, env={}).strip())
    # Dependencies only: .pth lines are appended after the new site-packages, and .pth files in the
    # appended folder (such as the editable install's pointer to this checkout) are not processed.
    deps = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    (site / "_test_dependencies.pth").write_text("\n".join(sorted(deps)) + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PATH"] = f"{target / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return target, env


@pytest.mark.slow
@pytest.mark.integration
def test_wheel_installs_and_runs_outside_the_checkout(venv: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    target, env = venv
    python, cli = target / "bin" / "python", target / "bin" / "automl"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    probe = json.loads(
        _run(
            [
                python,
                "-c",
                (
                    "import json, sys, automl, importlib.metadata as m\n"
                    "from automl.spaces import default_spaces_dir\n"
                    "print(json.dumps({'file': automl.__file__, 'version': automl.__version__, 'metadata': m.version('automl'),"
                    " 'spaces': str(default_spaces_dir()), 'path': sys.path}))"
                ),
            ],
            cwd=elsewhere,
            env=env,
        )
    )
    assert Path(probe["file"]).is_relative_to(target), f"automl imported from {probe['file']}, not from the wheel"
    assert Path(probe["spaces"]).is_relative_to(target), f"search spaces found at {probe['spaces']}"
    assert str(REPO) not in probe["path"] and "" not in probe["path"][1:], probe["path"]
    version_line = _run([cli, "--version"], cwd=elsewhere, env=env).strip()
    assert version_line == f"automl {probe['version']}" and probe["version"] == probe["metadata"]

    listing = _run([cli, "spaces", "list"], cwd=elsewhere, env=env)
    assert f"built-in families: {probe['spaces']}" in listing
    for family in FAMILIES:
        assert family in listing

    frame = load_breast_cancer(as_frame=True).frame.rename(columns={"target": "diagnosis"})
    frame.to_csv(elsewhere / "data.csv", index=False)
    storage = "sqlite:///wheel.db"
    _run(
        [
            cli,
            "search",
            "data.csv",
            "--target",
            "diagnosis",
            "--time-budget",
            "10",
            "--study",
            "wheel",
            "--storage",
            storage,
            "--output",
            "runs",
            "--seed",
            "0",
        ],
        cwd=elsewhere,
        env=env,
    )
    assert list((elsewhere / "runs" / "wheel" / "models").glob("*/model.skops"))

    _run([cli, "predict", "--study", "wheel", "--storage", storage, "data.csv", "--out", "preds.csv"], cwd=elsewhere, env=env)
    predicted = pd.read_csv(elsewhere / "preds.csv")
    assert len(predicted) == len(frame)

    loaded = _run(
        [
            python,
            "-c",
            (
                "import automl, pandas as pd\n"
                f"model = automl.load_best_model('wheel', {storage!r})\n"
                "print(pd.Series(model.predict(pd.read_csv('data.csv').drop(columns='diagnosis'))).to_json(orient='values'))"
            ),
        ],
        cwd=elsewhere,
        env=env,
    )
    assert json.loads(loaded) == predicted["prediction"].tolist()
