"""How long ago this process was launched, for start-up figures that include the interpreter and imports."""

from __future__ import annotations

import os
import sys
import time

_IMPORTED = time.perf_counter()  # fallback origin: cli imports this module first thing


def seconds_since_launch() -> float:
    """Seconds since the process started (Linux: from /proc, 10 ms resolution); elsewhere since
    this module was imported, which misses only the interpreter's own start-up."""
    if sys.platform.startswith("linux"):
        try:
            with open("/proc/self/stat", encoding="ascii") as stat, open("/proc/uptime", encoding="ascii") as up:
                start_ticks = int(stat.read().rsplit(")", 1)[1].split()[19])  # field 22: starttime
                uptime = float(up.read().split()[0])
            return max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))
        except (OSError, ValueError, IndexError):
            pass
    return time.perf_counter() - _IMPORTED
