"""Take docs/screenshot-spot-position.png from the real app on the loopback Solana spot stack (run under Xvfb).

    Xvfb :94 -screen 0 1600x1000x24 &
    DISPLAY=:94 QT_QPA_PLATFORM=xcb .venv/bin/python tests/ui/make_spot_screenshot.py docs/

Starts the stand-in Jupiter/GMGN router and Solana RPC (tests/venues/spot/servers.py) on 127.0.0.1 with a
funded test wallet and a drifting SOL price, opens the window on the spot venue with a throw-away data
dir, buys 2 SOL with USDC from the ticket (leverage 1: a swap signed here and confirmed over RPC), and
grabs the window with Positions showing the wallet's SOL as a spot position with its cost basis.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a file: the repository root

from grace_desktop.venues.spot.tokens import SOL_MINT  # noqa: E402
from tests.ui.screenshot_kit import PriceWalk, grab, open_window, settle, shoot, ticket_order  # noqa: E402
from tests.ui.spot_window import loopback_stack  # noqa: E402
from tests.venues.spot.stack import MARKET  # noqa: E402


async def run(out: Path) -> None:
    loopback, keypair, options = loopback_stack(fallback=True)
    walk = PriceWalk(lambda price: loopback.chain.set_price(SOL_MINT, price), 100.0,
                     seed=11, noise=0.0002, swell=0.00004, period=40, digits=3)
    window = await open_window("grace-spot-shot-", "spot", feed=None, spot_options=options)
    try:
        await window.ready()
        await settle(6)  # a stretch of chart before the buy
        print("buy:", await ticket_order(window, "buy", MARKET, "2", 1))
        window.docks["positions"].raise_()
        await settle(10)  # a stretch after it: the mark moves away from the cost basis
        model = window.positions.model
        for row in model.rows():
            print(row.position.market, row.position.side, row.position.size, "entry", row.position.entry_price)
        source = model.index(model.row_of("spot", MARKET), 0)
        window.positions.table.selectRow(window.positions.proxy.mapFromSource(source).row())
        await settle(1)
        grab(window, out / "screenshot-spot-position.png")
    finally:
        await walk.stop()
        window.close()
        await window.wait_closed()
        loopback.close()


if __name__ == "__main__":
    raise SystemExit(shoot(run))
