"""Take the README screenshots from the real app in a real X window (run under Xvfb).

    Xvfb :99 -screen 0 1600x1000x24 &
    DISPLAY=:99 QT_QPA_PLATFORM=xcb .venv/bin/python tests/ui/make_screenshots.py docs/

Runs the paper venue on a fast simulated feed (a minute of market per second) in a
throw-away data dir, grabs the window from the screen (QScreen.grabWindow) once with an
empty book and once with open positions, TP/SL lines on the chart and a filled journal;
then the candle chart with levels, a resting order, an armed entry and fills.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a file: the repository root

from grace_desktop.services.trade_types import TradeConditions  # noqa: E402
from grace_desktop.venues.feeds import SimulatedFeed  # noqa: E402
from tests.ui.screenshot_kit import grab, open_window, settle, shoot  # noqa: E402


async def run(out: Path) -> None:
    feed = SimulatedFeed(seed=11, tick_rate_hz=10, speed=60)
    window = await open_window("grace-shots-", feed=feed)
    trading = window.services.trading
    await settle(8)
    window.ticket.set_market("BTC-PERP")
    window.ticket.leverage_slider.setValue(50)
    window.ticket.fill_safe_size()
    await settle(1)
    grab(window, out / "screenshot-main.png")

    await window.controller.set_auto_trading(True)
    # A small position with tight exits, so the auto-trader fires while we watch (alerts, journal).
    await trading.execute_trade("sell", 0.5, "ETH-PERP", "paper", leverage=4,
                                conditions=TradeConditions(take_profit_percent=0.1, stop_loss_percent=0.1))
    for _ in range(400):
        if trading.portfolio("paper").position("ETH-PERP") is None:
            break
        await settle(0.1)
    orders = [
        ("buy", "BTC-PERP", 5, TradeConditions(take_profit_percent=3, stop_loss_percent=2)),
        ("sell", "SOL-PERP", 3, TradeConditions(take_profit_percent=4, trailing_percent=2.5)),
        ("buy", "ETH-PERP", 8, TradeConditions(stop_loss_percent=1.5)),
        ("buy", "SOL/USDC", 1, None),
    ]
    for action, market, lev, conditions in orders:
        spec = trading.spec(market)
        price = trading.mark(market)
        notional = 1500 if spec.is_perp else 800
        size = spec.round_size_down(notional / price)
        result = await trading.execute_trade(action, size, market, "paper", leverage=lev, conditions=conditions)
        print(market, result.message)
    # One quick round trip so the journal and equity tab have a row.
    await trading.execute_trade("buy", 0.5, "ETH-PERP", "paper", leverage=2)
    await settle(2)
    await trading.close_position("paper", "ETH-PERP", 0.5)
    await settle(6)
    model = window.positions.model
    source = model.index(model.row_of("paper", "BTC-PERP"), 0)
    window.positions.table.selectRow(window.positions.proxy.mapFromSource(source).row())
    window.ticket.leverage_slider.setValue(50)
    window.ticket.size_edit.setText("0.01")
    await settle(2)
    grab(window, out / "screenshot-positions.png")
    window.docks["journal"].raise_()
    window.chart.setCurrentIndex(1)
    await window.journal.refresh()
    await settle(1)
    grab(window, out / "screenshot-journal.png")
    window.close()
    await window.wait_closed()


async def run_chart(out: Path) -> None:
    """The candle chart: market moving 10 minutes per second so 5m candles form while we wait; a
    long with TP, SL and a trailing stop, a resting limit order, an armed entry, fills marked."""
    feed = SimulatedFeed(seed=5, tick_rate_hz=20, speed=600)
    window = await open_window("grace-shots-chart-", feed=feed)
    trading = window.services.trading
    window.chart.set_timeframe("5m")
    window.ticket.set_market("BTC-PERP")
    await settle(14)
    await trading.execute_trade("buy", 0.05, "BTC-PERP", "paper", leverage=5)
    await settle(5)
    await trading.close_position("paper", "BTC-PERP", 0.5)
    await settle(5)
    await trading.execute_trade("buy", 0.04, "BTC-PERP", "paper", leverage=5,
                                conditions=TradeConditions(take_profit_percent=2.5, stop_loss_percent=2))
    mark = trading.mark("BTC-PERP")
    await trading.execute_trade("buy", 0.02, "BTC-PERP", "paper", leverage=5, order_type="limit",
                                price=round(mark * 0.985))
    await trading.execute_trade("sell", 0.02, "BTC-PERP", "paper", leverage=3,
                                conditions=TradeConditions(entry_above=round(mark * 1.02)))
    await settle(8)
    window.ticket.size_edit.setText("0.01")
    await settle(2)
    grab(window, out / "screenshot-candles.png")
    window.close()
    await window.wait_closed()


if __name__ == "__main__":
    raise SystemExit(shoot(run, run_chart))
