"""What the screenshot scripts (tests/ui/make_*screenshot*.py) share: the loop they run on, the
window on a throw-away data dir at the Xvfb screen's size, waiting, grabbing, a stand-in's price
walking, and an order sent from the ticket as a user sends it.

The scripts run as files (`python tests/ui/make_X.py docs/`), so each puts the repository root on
sys.path before importing this.
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from grace_desktop.app import create_main_window
from grace_desktop.ui.event_loop import QEventLoop
from grace_desktop.ui.main_window import MainWindow
from grace_desktop.ui.order_ticket import LEVERAGE_SCALE
from grace_desktop.ui.qt import create_qapp

Scene = Callable[[Path], Awaitable[None]]


def shoot(*scenes: Scene) -> int:
    """A script's main: the folder from the command line (docs/ by default), then each scene on one loop."""
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")  # a real X window (Xvfb): what grabWindow reads
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs")
    out.mkdir(parents=True, exist_ok=True)
    app = create_qapp()
    app.setQuitOnLastWindowClosed(False)
    with asyncio.Runner(loop_factory=QEventLoop) as runner:
        for scene in scenes:
            runner.run(scene(out))
    return 0


async def open_window(prefix: str, venue: str = "paper", **options: Any) -> MainWindow:
    """The real window on a fresh data dir, at the top left of the 1600x1000 screen and filling it."""
    data = Path(tempfile.mkdtemp(prefix=prefix))
    window = await create_main_window(data, venue, use_tray=False, **options)
    window.move(0, 0)
    window.resize(1600, 1000)
    return window


async def settle(seconds: float) -> None:
    await asyncio.sleep(seconds)


def grab(window: object, path: Path, dock: object | None = None) -> None:
    # No processEvents(): a nested Qt loop inside a coroutine re-enters running tasks; the awaited
    # sleep before each grab lets Qt paint.
    if dock is not None:
        pixmap = dock.grab()  # type: ignore[attr-defined]  # the dock as rendered, exactly its bounds
    else:
        pixmap = window.screen().grabWindow(window.winId())  # type: ignore[attr-defined]
    if pixmap.isNull() or pixmap.width() < 100:
        pixmap = (dock or window).grab()  # type: ignore[attr-defined]
    pixmap.save(str(path))
    print(f"saved {path} ({pixmap.width()}x{pixmap.height()})")


class PriceWalk:
    """A calm random walk on a stand-in's price, a step every 0.1 s, so the chart has a line and the
    marks move: each step multiplies by exp(gauss(0, noise) + swell * sin(step / period))."""

    def __init__(self, set_price: Callable[[float], object], start: float, *, seed: int, noise: float,
                 swell: float, period: float, digits: int) -> None:
        self._stopped = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(
            self._walk(set_price, start, random.Random(seed), noise, swell, period, digits))

    async def _walk(self, set_price: Callable[[float], object], price: float, rng: random.Random, noise: float,
                    swell: float, period: float, digits: int) -> None:
        step = 0
        while not self._stopped.is_set():
            step += 1
            price *= math.exp(rng.gauss(0, noise) + swell * math.sin(step / period))
            set_price(round(price, digits))
            await asyncio.sleep(0.1)

    async def stop(self) -> None:
        self._stopped.set()
        await self._task


async def ticket_order(window: object, side: str, market: str, size: str, leverage: int) -> str:
    """Fill in the ticket and press submit; the result line once the venue has answered."""
    ticket = window.ticket  # type: ignore[attr-defined]
    ticket.set_market(market)
    (ticket.buy_button if side == "buy" else ticket.sell_button).click()
    ticket.leverage_slider.setValue(leverage * LEVERAGE_SCALE)
    ticket.size_edit.setText(size)
    for _ in range(50):
        if ticket.submit_button.isEnabled():
            break
        await settle(0.1)
    ticket.submit_button.click()
    for _ in range(100):
        text = ticket.result_label.text()
        if text.startswith(("filled", "partially", "refused", "not placed")):
            return text
        await settle(0.1)
    return ticket.result_label.text()
