"""The time budget as one immutable deadline passed down the call stack.

Every layer asks the same object how much time is left instead of redoing
remaining-time arithmetic; tests inject a fake clock instead of sleeping.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from automl._core._errors import DeadlineExceeded

Clock = Callable[[], float]


@dataclass(frozen=True)
class Deadline:
    """A point in time (on ``clock``) after which work must stop.

    ``end`` is ``math.inf`` for "no limit"; use :meth:`unlimited` to say so.

    Example:
        >>> d = Deadline.after(10.0)
        >>> d.remaining() <= 10.0
        True
    """

    end: float
    clock: Clock = field(default=time.monotonic, compare=False, repr=False)

    @classmethod
    def after(cls, seconds: float | None, clock: Clock = time.monotonic) -> Deadline:
        """A deadline ``seconds`` from now; ``None`` means no limit."""
        if seconds is None:
            return cls.unlimited(clock)
        return cls(clock() + float(seconds), clock)

    @classmethod
    def unlimited(cls, clock: Clock = time.monotonic) -> Deadline:
        return cls(math.inf, clock)

    @property
    def is_limited(self) -> bool:
        return math.isfinite(self.end)

    def remaining(self) -> float:
        """Seconds left (may be negative once passed; ``inf`` when unlimited)."""
        return self.end - self.clock()

    def expired(self) -> bool:
        return self.remaining() <= 0

    def check(self, what: str = "work") -> None:
        """Raise :class:`DeadlineExceeded` if the deadline has passed."""
        if self.expired():
            raise DeadlineExceeded(f"{what} stopped: the time budget ran out")

    def earlier(self, seconds: float) -> Deadline:
        """The same clock, ``seconds`` sooner (a reserve kept for later work)."""
        return Deadline(self.end - seconds, self.clock)

    def min(self, other: Deadline) -> Deadline:
        return self if self.end <= other.end else other
