"""Peak resident memory of a whole process group (a run and every process it starts).

``ru_maxrss`` only sees one process: a system that fits in worker processes (AutoGluon
with ray, joblib's loky workers, FLAML's spawned trials) would look lighter than it is.
The sampler sums the RSS of every process in the run's group a few times a second and
keeps the largest sum; the run's own ``ru_maxrss`` (an exact peak of the main process,
between samples too) is a lower bound combined with it by ``run.py``.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
SAMPLE_SECONDS = 0.2


def group_rss_bytes(pgid: int, proc: Path = Path("/proc")) -> int:
    """Summed resident set size of the processes whose process group is ``pgid`` (0 when none)."""
    total = 0
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # the process ended while we looked
            continue
        # "pid (comm) state ppid pgrp ... rss": comm may hold spaces and parentheses, so split after the last ')'.
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid:
            total += int(fields[21]) * _PAGE_BYTES
    return total


class GroupMemorySampler:
    """Samples a process group's summed RSS in a background thread until stopped.

    Example:
        >>> sampler = GroupMemorySampler(os.getpgid(0)).start()
        >>> sampler.stop() > 0
        True
    """

    def __init__(self, pgid: int, interval: float = SAMPLE_SECONDS) -> None:
        self.pgid, self.interval = pgid, interval
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="memory-sampler", daemon=True)

    def start(self) -> GroupMemorySampler:
        self._sample()
        self._thread.start()
        return self

    def _sample(self) -> None:
        self.peak_bytes = max(self.peak_bytes, group_rss_bytes(self.pgid))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def stop(self) -> float:
        """Stop sampling; the peak in MB."""
        self._stop.set()
        self._thread.join()
        return self.peak_bytes / 2**20
