"""Screenshots of the order ticket's risk checks, from the real app in a real X window (Xvfb).

    Xvfb :97 -screen 0 1600x1000x24 &
    DISPLAY=:97 QT_QPA_PLATFORM=xcb .venv/bin/python tests/ui/make_ticket_screenshots.py docs/

Two scenes on the paper venue (simulated feed, throw-away data dir), each saved as the
ticket dock (what the trader reads) and as the whole window:
- a 10x long whose stop-loss sits past its liquidation price: refused, with the reason;
- a size computed from "risk 1 % of equity" and the stop distance, with the loss at the stop.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a file: the repository root

from grace_desktop.venues.feeds import SimulatedFeed  # noqa: E402
from tests.ui.screenshot_kit import grab, open_window, shoot  # noqa: E402


async def run(out: Path) -> None:
    feed = SimulatedFeed(seed=5, tick_rate_hz=4, speed=1)
    window = await open_window("grace-ticket-shots-", feed=feed)
    dock = window.docks["ticket"]
    window.resizeDocks([dock], [470], _horizontal())
    trading, ticket = window.services.trading, window.ticket
    await asyncio.sleep(4)

    # Scene 1: a 10x long with its stop below the liquidation price.
    ticket.set_market("BTC-PERP")
    ticket.set_side("buy")
    ticket.leverage_slider.setValue(100)
    ticket.size_edit.setText("0.05")
    ticket.exits.setChecked(True)
    await asyncio.sleep(0.5)
    liq = ticket.preview.liquidation_price or 0.0
    ticket.sl_edit.setText(f"{round(liq * 0.97, 1)}")
    ticket.tp_edit.setText(f"{round((trading.mark('BTC-PERP') or 0) * 1.05, 1)}")
    await asyncio.sleep(1)
    print("refusal:", ticket.reason_label.text())
    grab(window, out / "ticket-stop-past-liquidation.png", dock)

    # Scene 2: risk 1 % of equity at a stop 3 % below the mark, sized by the Risk button.
    ticket.set_market("SOL-PERP")
    ticket.leverage_slider.setValue(30)
    ticket.tp_edit.clear()
    mark = trading.mark("SOL-PERP") or 0.0
    ticket.sl_edit.setText(f"{round(mark * 0.97, 2)}")
    ticket.risk_edit.setText("1")
    ticket.fill_risk_size()
    await asyncio.sleep(1)
    print("risk sizing:", ticket.result_label.text())
    grab(window, out / "ticket-risk-sizing.png", dock)
    grab(window, out / "ticket-risk-sizing-window.png")
    window.close()
    await window.wait_closed()


def _horizontal() -> object:
    from grace_desktop.ui.qt import Qt

    return Qt.Orientation.Horizontal


if __name__ == "__main__":
    raise SystemExit(shoot(run))
