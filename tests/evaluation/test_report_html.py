"""report.html is self-contained, its plots are real PNGs, and it renders in headless Chromium."""

from __future__ import annotations

import base64
import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

_IMG = re.compile(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"')
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (the first chunk, right after the signature)."""
    assert data[:8] == _PNG_SIGNATURE and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _images(html: str) -> list[bytes]:
    return [base64.b64decode(b64, validate=True) for b64 in _IMG.findall(html)]


def test_every_plot_is_an_embedded_png_with_nonzero_size(binary_report: Path) -> None:
    html = (binary_report / "report.html").read_text(encoding="utf-8")
    images = _images(html)
    # baselines, perturbation, reliability, confidence, 2 slice columns, learning curve, confusion, cost, importance
    assert len(images) == 10
    assert html.count("<img") == len(images)
    for data in images:
        width, height = _png_size(data)
        assert width > 100 and height > 100
    assert "http://" not in html and "https://" not in html  # nothing loaded from the network
    for title in ("1. Baselines", "5. Calibration", "10. Interpretability"):
        assert title in html


def _chromium() -> str | None:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@pytest.mark.integration
def test_report_renders_in_headless_chromium(binary_report: Path, tmp_path: Path) -> None:
    browser = _chromium()
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; run scripts/ensure-chromium.sh (required in CI)")
        pytest.skip("chromium is not installed (run scripts/ensure-chromium.sh)")
    screenshot = tmp_path / "report.png"
    done = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={screenshot}",
            "--window-size=1200,3000",
            (binary_report / "report.html").resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert screenshot.exists() and screenshot.stat().st_size > 0, done.stderr[-2000:]
    assert _png_size(screenshot.read_bytes()) == (1200, 3000)
    from matplotlib.image import imread

    pixels = imread(screenshot)[..., :3].reshape(-1, 3)
    rgb = (pixels * 255).astype(np.uint32)
    colours = np.unique((rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2])
    assert len(colours) > 50  # text, badges and plots, not a blank or single-colour page
    assert np.mean(pixels.min(axis=1) < 0.9) > 0.02  # a visible share of the page is not white
