"""Take docs/screenshot-mango-position.png from the real app on the loopback mango-v3-service (run under Xvfb).

    Xvfb :95 -screen 0 1600x1000x24 &
    DISPLAY=:95 QT_QPA_PLATFORM=xcb .venv/bin/python tests/ui/make_mango_screenshot.py docs/

Starts the stand-in service (tests/venues/mango_service.py) on 127.0.0.1 with a drifting SOL price,
opens the window on a throw-away data dir, chooses the Mango account in Settings through its widgets
(tick "Use this Mango account", type the URL, save), opens a 5x SOL long and a BTC short from the
ticket, and grabs the window with Positions showing the service's entry prices and the account-wide
liquidation prices (domain.mango_health).
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import qasync  # noqa: E402

from grace_desktop.app import create_main_window  # noqa: E402
from grace_desktop.ui.order_ticket import LEVERAGE_SCALE  # noqa: E402
from grace_desktop.ui.qt import create_qapp  # noqa: E402
from tests.ui.make_screenshots import grab, settle  # noqa: E402
from tests.venues.mango_service import MangoService  # noqa: E402


async def drift(service: MangoService, market: str, start: float, stop: asyncio.Event) -> None:
    """A calm random walk on the service's oracle, so the chart has a line and the marks move."""
    rng, price, step = random.Random(7), start, 0
    while not stop.is_set():
        step += 1
        price *= math.exp(rng.gauss(0, 0.00004) + 0.00003 * math.sin(step / 60))
        service.state.set_price(market, round(price, 2))
        await asyncio.sleep(0.1)


async def ticket_order(window: object, side: str, market: str, size: str, leverage: int) -> str:
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


async def run(out: Path) -> None:
    service = MangoService().start()
    service.state.markets["SOL-PERP"].depth_lots = 5_000
    service.state.markets["BTC-PERP"].depth_lots = 1_000
    stop = asyncio.Event()
    walker = asyncio.get_running_loop().create_task(drift(service, "SOL-PERP", 100.0, stop))
    data = Path(tempfile.mkdtemp(prefix="grace-mango-shot-"))
    window = await create_main_window(data, "paper", use_tray=False)
    window.move(0, 0)
    window.resize(1600, 1000)
    try:
        await settle(3)
        box = window.settings_panel.venues
        window.docks["settings"].raise_()
        box.editors["mango_enabled"].click()
        box.editors["mango_url"].setText(service.url)
        box.editors["mango_poll_seconds"].setText("0.5")
        box.save_button.click()
        for _ in range(100):
            if "connected" in box.status.text():
                break
            await settle(0.1)
        print("settings:", box.status.text())
        await settle(4)
        print("SOL:", await ticket_order(window, "buy", "SOL-PERP", "350", 5))
        print("BTC:", await ticket_order(window, "sell", "BTC-PERP", "0.2", 5))
        window.docks["positions"].raise_()
        window.ticket.set_market("SOL-PERP")
        window.ticket.buy_button.click()
        window.ticket.leverage_slider.setValue(5 * LEVERAGE_SCALE)
        window.ticket.size_edit.setText("10")
        await settle(12)  # a stretch of chart after the entry
        model = window.positions.model
        for row in model.rows():
            print(row.position.market, "entry", row.position.entry_price, "liq", round(row.liq, 2))
        source = model.index(model.row_of("paper", "SOL-PERP"), 0)
        window.positions.table.selectRow(window.positions.proxy.mapFromSource(source).row())
        await settle(1)
        grab(window, out / "screenshot-mango-position.png")
    finally:
        stop.set()
        await walker
        window.close()
        await window.wait_closed()
        service.stop()


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs")
    out.mkdir(parents=True, exist_ok=True)
    app = create_qapp()
    app.setQuitOnLastWindowClosed(False)
    with asyncio.Runner(loop_factory=qasync.QEventLoop) as runner:
        runner.run(run(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
