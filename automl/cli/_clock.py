"""How long this process has been running: the CLI's budget covers its own start-up too."""

from __future__ import annotations

import os


def process_age_seconds() -> float:
    """Seconds since this process started (0.0 where /proc is not available)."""
    try:
        with open("/proc/self/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        with open("/proc/uptime", encoding="ascii") as handle:
            uptime = float(handle.read().split()[0])
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")
        return max(0.0, uptime - started)
    except (OSError, ValueError, IndexError):
        return 0.0
