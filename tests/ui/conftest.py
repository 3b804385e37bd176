"""UI tests: offscreen Qt, async tests on a qasync loop (pytest-asyncio's loop-factory hook).

Inside `async def` tests use `await wait_until(...)`, never `qtbot.wait*` (a nested Qt loop
inside a coroutine breaks asyncio; QT_NOTES §2.2).
"""

from __future__ import annotations

import os

# Before anything imports Qt: tests never need a display, and qasync must pick PySide6.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import asyncio  # noqa: E402
import time  # noqa: E402
from collections.abc import AsyncIterator, Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from grace_desktop.app import create_main_window  # noqa: E402
from grace_desktop.ui.main_window import MainWindow  # noqa: E402
from grace_desktop.ui.qt import QApplication, create_qapp  # noqa: E402


def _qasync_loop() -> asyncio.AbstractEventLoop:
    app = QApplication.instance() or create_qapp()
    # Our subclass: its close() frees the loop's Qt timers on this thread (see ui/event_loop.py);
    # qasync's own left them to the garbage collector, which crashed a later test now and then.
    from grace_desktop.ui.event_loop import QEventLoop

    return QEventLoop(app)


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> dict[str, Callable[[], asyncio.AbstractEventLoop]]:
    return {"qasync": _qasync_loop}


@pytest.fixture(scope="session")
def qapp_cls() -> type[QApplication]:
    return QApplication


@pytest.fixture(scope="session", autouse=True)
def _themed_app(qapp: QApplication) -> QApplication:
    # The real stylesheet in every test: a QSS syntax error or a missing icon shows up here.
    return create_qapp()


async def wait_until(predicate: Callable[[], object], timeout: float = 5.0, what: str = "condition") -> None:
    """Poll `predicate` on the running (qasync) loop until it is truthy or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        await asyncio.sleep(0.01)


# The paper window's first prices (`paper_window`, the `window` fixture).
START = {"BTC-PERP": 60_000.0, "ETH-PERP": 3_000.0, "SOL-PERP": 150.0}


async def paper_window(data_dir: Path) -> MainWindow:
    """The real main window on the paper venue, no feed: prices move only when the test pushes them."""
    win = await create_main_window(data_dir, "paper", use_tray=False, feed=None, sweep_interval=0.5)
    for market, price in START.items():
        await win.services.paper.push_tick(market, price)
    await wait_until(lambda: win.services.trading.mark("BTC-PERP") == START["BTC-PERP"], what="first BTC mark")
    return win


async def close_window(win: MainWindow) -> None:
    if not win.is_closed:
        win.close()
        async with asyncio.timeout(10):
            await win.wait_closed()
    await asyncio.sleep(0.2)  # let queued Qt signals land while the loop runs, not in a later sync test


@pytest.fixture
async def window(tmp_path: Path) -> AsyncIterator[MainWindow]:
    """`paper_window`, closed after the test. A test file with a window of its own overrides it."""
    win = await paper_window(tmp_path)
    yield win
    await close_window(win)
