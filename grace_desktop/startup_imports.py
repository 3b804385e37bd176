"""Keeping numpy out of the imports the window's first paint waits for.

sqlite_utils imports numpy when it can (0.1-0.2 s here) only to map numpy scalar types to SQLite
column types; Grace never stores numpy values. The window path imports sqlite_utils with numpy
hidden, so numpy loads with the chart, after the first paint (see MainWindow.chart).
"""

from __future__ import annotations

import sys


def import_sqlite_utils_without_numpy() -> None:
    if "sqlite_utils" in sys.modules or "numpy" in sys.modules:
        return
    sys.modules["numpy"] = None  # type: ignore[assignment]  # `import numpy` raises ImportError meanwhile
    try:
        import sqlite_utils  # noqa: F401
    finally:
        if "numpy" in sys.modules and sys.modules["numpy"] is None:
            del sys.modules["numpy"]
