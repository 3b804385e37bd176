"""The window on the spot venue, against the loopback router and RPC (tests/venues/spot): shared by
tests/ui/test_spot_window.py and tests/ui/make_spot_screenshot.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from solders.keypair import Keypair

from grace_desktop.app import create_main_window
from grace_desktop.ui.main_window import MainWindow
from grace_desktop.ui.order_ticket import LEVERAGE_SCALE
from grace_desktop.ui.qt import Qt
from grace_desktop.venues.spot.tokens import SOL_MINT, USDC_MINT
from tests.ui.conftest import wait_until
from tests.venues.spot.chain import Chain
from tests.venues.spot.servers import GMGN_KEY, Loopback
from tests.venues.spot.stack import MARKET, START_LAMPORTS, START_USDC, venue_options


def loopback_stack(*, fallback: bool = False, sol_held: float = 0.0) -> tuple[Loopback, Keypair, dict[str, Any]]:
    """A funded wallet on a loopback chain and `create_venue`'s arguments for it (what spot_options
    builds from the settings and the keyring in a real run). `sol_held`: SOL the wallet already
    holds beyond the fee reserve."""
    keypair = Keypair()
    chain = Chain()
    chain.fund(keypair.pubkey(), USDC_MINT, START_USDC * 10**6)
    chain.fund(keypair.pubkey(), SOL_MINT, START_LAMPORTS + round(sol_held * 10**9))
    loopback = Loopback(chain)
    options = dict(router="jupiter", router_url=loopback.router_url, rpc_url=loopback.rpc_url, keypair=keypair,
                   tokens=("SOL",), fallback=fallback, fallback_url=loopback.router_url,
                   fallback_api_key=GMGN_KEY if fallback else None, price_url=loopback.router_url,
                   **venue_options(price_interval=0.2, price_refresh=0.5))
    return loopback, keypair, options


async def spot_window(data_dir: Path, options: dict[str, Any], **kwargs: Any) -> MainWindow:
    win = await create_main_window(data_dir, "spot", use_tray=False, feed=None, spot_options=options, **kwargs)
    await wait_until(lambda: win.services.trading.mark(MARKET) is not None, timeout=10,
                     what="the spot price in the window")
    return win


async def buy_from_ticket(win: MainWindow, qtbot: Any, size: float) -> None:
    ticket = win.ticket
    ticket.set_market(MARKET)
    qtbot.mouseClick(ticket.buy_button, Qt.MouseButton.LeftButton)
    ticket.leverage_slider.setValue(1 * LEVERAGE_SCALE)
    ticket.size_edit.clear()
    qtbot.keyClicks(ticket.size_edit, f"{size:g}")
    await wait_until(lambda: ticket.submit_button.isEnabled(), what=f"submit enabled ({ticket.reason_label.text()})")
    qtbot.mouseClick(ticket.submit_button, Qt.MouseButton.LeftButton)
