"""The first paint does not wait for the chart: pyqtgraph and numpy are imported, and the chart
panel built, right after the window has been painted; the layout ends up as if it were eager."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from grace_desktop.app import create_main_window
from grace_desktop.ui.main_window import MainWindow
from grace_desktop.ui.qt import QWidget
from tests.ui.conftest import wait_until

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_app_does_not_import_the_chart_library() -> None:
    # numpy too: sqlite_utils would import it (grace_desktop/startup_imports.py)
    probe = "import sys, grace_desktop.app; print(sorted(m for m in ('pyqtgraph', 'numpy', " \
            "'grace_desktop.ui.chart_panel', 'grace_desktop.ui.controller') if m in sys.modules))"
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=60, check=True).stdout
    assert out.strip() == "[]"


def test_importing_the_app_does_not_import_remote_venues_or_their_clients() -> None:
    # the paper window paints without them; --feed live and a Mango or spot account import them when built
    modules = ("httpx", "rich", "keyring", "grace_desktop.venues.feeds.live", "grace_desktop.venues.feeds.hyperliquid",
               "grace_desktop.venues.mango_v3", "grace_desktop.venues.spot")
    probe = f"import sys, grace_desktop.app; print(sorted(m for m in {modules!r} if m in sys.modules))"
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=60, check=True).stdout
    assert out.strip() == "[]"


async def test_chart_is_built_after_the_first_paint_with_the_usual_layout(tmp_path: Path) -> None:
    window = MainWindow(tmp_path, use_tray=False)
    built: list[bool] = []
    window.after_first_paint(lambda: built.append(window._chart is not None))
    assert window._chart is None
    assert window.centralWidget().objectName() == "chartPlaceholder"
    window.show()
    await window.first_paint()
    assert window.painted and window.painted_since_launch > 0
    await wait_until(lambda: bool(built), what="the after-first-paint hook")
    assert built == [True], "the chart is built first, then the other hooks"
    assert window.centralWidget() is window.chart and window.chart.objectName() != "chartPlaceholder"
    await asyncio.sleep(0.05)  # the dock sizes are re-applied once the chart is laid out
    assert window.chart.height() > window.docks["positions"].height(), "the chart keeps the larger share"
    late: list[int] = []
    window.after_first_paint(lambda: late.append(1))
    assert late == [1], "a hook added after the first paint runs at once"
    window.close()
    await asyncio.wait_for(window.wait_closed(), 10)


async def test_hidden_window_does_not_wait_for_a_paint_and_builds_the_chart_on_use(tmp_path: Path) -> None:
    window = await create_main_window(tmp_path, "paper", use_tray=False, show=False, feed=None)
    assert not window.painted
    assert isinstance(window.chart, QWidget) and window.centralWidget() is window.chart
    window.close()
    await asyncio.wait_for(window.wait_closed(), 10)
