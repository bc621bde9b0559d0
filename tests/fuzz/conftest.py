"""Fuzzing support: per-target counts of what the loaders did, printed in pytest's terminal summary.

The counts go through the terminal reporter (not ``print``), so they show in CI logs and in
``make test-slow`` output whether or not output capture is on.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from automl._core import AutomlError


@dataclass
class FuzzStats:
    """Outcomes of one fuzz target: loaded, refused with a one-line AutomlError, slowest example."""

    target: str
    outcomes: Counter[str] = field(default_factory=Counter)
    slowest: float = 0.0

    @property
    def tried(self) -> int:
        return self.outcomes["loaded"] + self.outcomes["refused with a one-line error"]

    @contextmanager
    def example(self) -> Iterator[Callable[[str], None]]:
        """Time one example; the body reports extra outcomes (e.g. 'predicted') through the callable."""
        started = time.perf_counter()
        extra: list[str] = []
        try:
            yield extra.append
        except AutomlError as exc:
            message = str(exc)
            assert message and "\n" not in message, f"{self.target}: not a one-line error: {message!r}"
            self.outcomes["refused with a one-line error"] += 1
        else:
            self.outcomes["loaded"] += 1
        finally:
            self.slowest = max(self.slowest, time.perf_counter() - started)
            for outcome in extra:
                self.outcomes[outcome] += 1

    def summary(self) -> str:
        parts = ", ".join(
            f"{n} {what}" for what, n in sorted(self.outcomes.items()) if what in ("loaded", "refused with a one-line error")
        )
        extra = ", ".join(
            f"{n} {what}" for what, n in sorted(self.outcomes.items()) if what not in ("loaded", "refused with a one-line error")
        )
        return (
            f"fuzz {self.target}: {self.tried} inputs tried: {parts}{'; ' + extra if extra else ''}; "
            f"0 tracebacks, 0 hangs (slowest example {self.slowest:.2f} s)"
        )


_STATS: list[FuzzStats] = []
_PASSED = pytest.StashKey[bool]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.when == "call":
        item.stash[_PASSED] = report.passed


@pytest.fixture
def fuzz_stats(request: pytest.FixtureRequest) -> Iterator[FuzzStats]:
    """A fresh counter for this test; its summary is printed at the end of the session if the test passed."""
    stats = FuzzStats(request.node.name)
    yield stats
    if stats.tried and request.node.stash.get(_PASSED, False):
        _STATS.append(stats)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _STATS:
        terminalreporter.section("fuzzing: inputs tried per target")
        for stats in _STATS:
            terminalreporter.write_line(stats.summary())
