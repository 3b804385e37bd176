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

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a file: the repository root

from grace_desktop.ui.order_ticket import LEVERAGE_SCALE  # noqa: E402
from tests.ui.screenshot_kit import PriceWalk, grab, open_window, settle, shoot, ticket_order  # noqa: E402
from tests.venues.mango_service import MangoService  # noqa: E402


async def run(out: Path) -> None:
    service = MangoService().start()
    service.state.markets["SOL-PERP"].depth_lots = 5_000
    service.state.markets["BTC-PERP"].depth_lots = 1_000
    walk = PriceWalk(lambda price: service.state.set_price("SOL-PERP", price), 100.0,
                     seed=7, noise=0.00004, swell=0.00003, period=60, digits=2)
    window = await open_window("grace-mango-shot-")
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
        await walk.stop()
        window.close()
        await window.wait_closed()
        service.stop()


if __name__ == "__main__":
    raise SystemExit(shoot(run))
