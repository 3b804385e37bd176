"""Take the orders-panel screenshot (docs/screenshot-orders.png) from the real app under Xvfb.

    Xvfb :97 -screen 0 1600x1000x24 &
    DISPLAY=:97 QT_QPA_PLATFORM=xcb .venv/bin/python tests/ui/make_orders_screenshot.py docs/

A throw-away data dir, the paper venue on a fast simulated feed; two positions with exits
(one trailing), a resting limit order and an armed entry, then the Orders dock raised.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a file: the repository root

from grace_desktop.services.trade_types import TradeConditions  # noqa: E402
from grace_desktop.venues.feeds import SimulatedFeed  # noqa: E402
from tests.ui.screenshot_kit import grab, open_window, shoot  # noqa: E402


async def run(out: Path) -> None:
    window = await open_window("grace-orders-shot-", feed=SimulatedFeed(seed=5, tick_rate_hz=10, speed=20))
    trading = window.services.trading
    await asyncio.sleep(4)
    sol = trading.mark("SOL-PERP") or 150.0
    btc = trading.mark("BTC-PERP") or 60_000.0
    await trading.execute_trade("buy", 5, "SOL-PERP", "paper", leverage=3,
                                conditions=TradeConditions(take_profit=round(sol * 1.04, 2),
                                                           stop_loss=round(sol * 0.97, 2)))
    await trading.execute_trade("sell", 0.02, "BTC-PERP", "paper", leverage=5,
                                conditions=TradeConditions(trailing_percent=1.5))
    await trading.execute_trade("buy", 0.5, "ETH-PERP", "paper", leverage=2, order_type="limit",
                                price=round((trading.mark("ETH-PERP") or 3000.0) * 0.95, 1))
    await trading.execute_trade("buy", 0.01, "BTC-PERP", "paper", leverage=3,
                                conditions=TradeConditions(entry_below=round(btc * 0.96, 1)))
    await asyncio.sleep(3)
    window.docks["orders"].raise_()
    await window.controller.orders.refresh()
    window.orders_panel.select(2)
    await asyncio.sleep(1.5)
    grab(window, out / "screenshot-orders.png")
    window.close()
    await window.wait_closed()


if __name__ == "__main__":
    raise SystemExit(shoot(run))
