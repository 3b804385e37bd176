"""Take docs/screenshot-spot-position.png from the real app on the loopback Solana spot stack (run under Xvfb).

    Xvfb :94 -screen 0 1600x1000x24 &
    DISPLAY=:94 QT_QPA_PLATFORM=xcb .venv/bin/python tests/ui/make_spot_screenshot.py docs/

Starts the stand-in Jupiter/GMGN router and Solana RPC (tests/venues/spot/servers.py) on 127.0.0.1 with a
funded test wallet and a drifting SOL price, opens the window on the spot venue with a throw-away data
dir, buys 2 SOL with USDC from the ticket (leverage 1: a swap signed here and confirmed over RPC), and
grabs the window with Positions showing the wallet's SOL as a spot position with its cost basis.
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
from grace_desktop.ui.qt import create_qapp  # noqa: E402
from grace_desktop.venues.spot.tokens import SOL_MINT  # noqa: E402
from tests.ui.make_mango_screenshot import ticket_order  # noqa: E402
from tests.ui.make_screenshots import grab, settle  # noqa: E402
from tests.ui.spot_window import loopback_stack  # noqa: E402
from tests.venues.spot.chain import Chain  # noqa: E402
from tests.venues.spot.stack import MARKET  # noqa: E402


async def drift(chain: Chain, start: float, stop: asyncio.Event) -> None:
    """A calm random walk on the stand-in's SOL price, so the chart has a line and the mark moves."""
    rng, price, step = random.Random(11), start, 0
    while not stop.is_set():
        step += 1
        price *= math.exp(rng.gauss(0, 0.0002) + 0.00004 * math.sin(step / 40))
        chain.set_price(SOL_MINT, round(price, 3))
        await asyncio.sleep(0.1)


async def run(out: Path) -> None:
    loopback, keypair, options = loopback_stack(fallback=True)
    stop = asyncio.Event()
    walker = asyncio.get_running_loop().create_task(drift(loopback.chain, 100.0, stop))
    data = Path(tempfile.mkdtemp(prefix="grace-spot-shot-"))
    window = await create_main_window(data, "spot", use_tray=False, feed=None, spot_options=options)
    window.move(0, 0)
    window.resize(1600, 1000)
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
        stop.set()
        await walker
        window.close()
        await window.wait_closed()
        loopback.close()


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
