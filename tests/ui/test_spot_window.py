"""Issue 10 from the window: the spot venue on the loopback router and RPC; a SOL/USDC buy from the
ticket (leverage 1) becomes a spot position with its cost basis in Positions, and a router fallback
(Jupiter answered 429, GMGN quoted) is explained in the Alerts panel and the status bar."""

from __future__ import annotations

import asyncio
import re

import pytest

from grace_desktop.ui.positions_model import COL_ENTRY, COL_LEV, COL_MARKET, COL_SIDE, COL_SIZE, COL_VENUE
from tests.ui.conftest import wait_until
from tests.ui.spot_window import buy_from_ticket, loopback_stack, spot_window
from tests.venues.spot.stack import MARKET, START_USDC


def status_figure(win, name: str) -> float:
    """The number the status bar shows for "equity" or "free"."""
    text = getattr(win.status, f"{name}_label").text()
    return float(re.sub(r"<[^>]+>", "", text).split()[-1].replace(",", ""))


def position_rows(win) -> list[tuple[str, ...]]:
    model = win.positions.model
    return [tuple(model.index(r, c).data() or "" for c in range(model.columnCount())) for r in range(model.rowCount())]


async def close(win) -> None:
    if not win.is_closed:
        win.close()
        await asyncio.wait_for(win.wait_closed(), 10)


@pytest.mark.slow
async def test_a_spot_buy_from_the_ticket_shows_the_wallet_holding_with_its_cost_basis(tmp_path, qtbot):
    loopback, keypair, options = loopback_stack()
    win = await spot_window(tmp_path, options)
    try:
        await buy_from_ticket(win, qtbot, 2.0)
        await wait_until(lambda: any(row[COL_MARKET] == MARKET for row in position_rows(win)), timeout=10,
                         what=f"the spot holding in Positions ({win.ticket.result_label.text()})")
        [row] = [r for r in position_rows(win) if r[COL_MARKET] == MARKET]
        assert row[COL_SIDE].lower() == "long" and float(row[COL_SIZE]) == pytest.approx(2.0)
        assert float(row[COL_ENTRY].replace(",", "")) == pytest.approx(100.0, rel=0.01)  # cost basis per SOL
        assert row[COL_VENUE] == "spot" and row[COL_LEV] in ("", "—", "1.0x", "1x", "1.00x")
        assert len(set(loopback.chain.landed)) == 1  # one swap on chain
        # The journal has the fill with its fee, as for any venue.
        store = win.services.store  # the journal stores the fill after the window shows it
        await wait_until(lambda: len(store.fills.since("spot", "spot")) == 1, timeout=10, what="the fill journaled")
        fills = store.fills.since("spot", "spot")
        assert len(fills) == 1 and fills[0].size == pytest.approx(2.0) and fills[0].fee > 0
        # Equity is the wallet's worth: the USDC left plus the SOL at its mark, not the USDC alone.
        await wait_until(lambda: abs(status_figure(win, "equity") - START_USDC) < 5, timeout=10,
                         what=f"equity ~ {START_USDC} ({win.status.equity_label.text()})")
        assert status_figure(win, "free") == pytest.approx(START_USDC - 2 * 100.0, abs=5)  # the cash left
        # A swap is exact in what it spends: the button says the USDC it spends and the size it gets, about.
        win.ticket.size_edit.clear()
        qtbot.keyClicks(win.ticket.size_edit, "1")
        await wait_until(lambda: "for" in win.ticket.submit_button.text(), what="the buy button's spend")
        text = win.ticket.submit_button.text()
        assert text.startswith(f"Buy ≈1.000000 {MARKET} for ") and text.endswith(" USDC"), text
        assert float(text.split(" for ")[1].split()[0].replace(",", "")) == pytest.approx(win.services.trading.mark(MARKET))
    finally:
        await close(win)
        loopback.close()


@pytest.mark.slow
async def test_a_router_fallback_is_explained_in_the_window(tmp_path, qtbot):
    loopback, keypair, options = loopback_stack(fallback=True)
    win = await spot_window(tmp_path, options)
    try:
        loopback.fault("order", "429")  # Jupiter's quote: too many requests; GMGN quotes instead
        await buy_from_ticket(win, qtbot, 1.0)
        await wait_until(lambda: "Spot router fallback" in win.alerts.titles(), timeout=10,
                         what=f"the fallback alert ({win.ticket.result_label.text()})")
        item = win.alerts.list.item([i for i, t in enumerate(win.alerts.titles()) if t == "Spot router fallback"][0])
        assert "swapping through gmgn" in item.text() and "429" in item.text()
        await wait_until(lambda: "swapping through gmgn" in win.status.venue_labels["spot"].toolTip(),
                         what="the fallback reason on the status bar's spot venue")
        await wait_until(lambda: len(set(loopback.chain.landed)) == 1, what="the swap through GMGN landing")
        assert loopback.calls["gmgn_send"] == 1 and loopback.calls["execute"] == 0  # one swap, never a second
    finally:
        await close(win)
        loopback.close()


@pytest.mark.slow
async def test_sol_already_in_the_wallet_is_shown_as_a_position_and_counted_in_equity(tmp_path, qtbot):
    loopback, keypair, options = loopback_stack(sol_held=1.5)
    win = await spot_window(tmp_path, options)
    try:
        await wait_until(lambda: any(row[COL_MARKET] == MARKET for row in position_rows(win)), timeout=10,
                         what="the wallet's SOL in Positions")
        [row] = [r for r in position_rows(win) if r[COL_MARKET] == MARKET]
        assert float(row[COL_SIZE]) == pytest.approx(1.5)
        await wait_until(lambda: "Wallet holding adopted" in win.alerts.titles(), what="the adoption explained")
        await wait_until(lambda: abs(status_figure(win, "equity") - (START_USDC + 1.5 * 100.0)) < 1,
                         what=f"equity with the SOL ({win.status.equity_label.text()})")
        store = win.services.store
        await wait_until(lambda: len(store.fills.since("spot", "spot")) == 1, timeout=10, what="the fill journaled")
        fills = store.fills.since("spot", "spot")
        assert [(f.side.value, f.size, f.fee) for f in fills] == [("buy", pytest.approx(1.5), 0.0)]  # journaled
        assert len(set(loopback.chain.landed)) == 0  # found, not swapped
    finally:
        await close(win)
        loopback.close()


@pytest.mark.slow
async def test_a_swap_that_failed_to_land_is_unknown_then_expired_in_the_ticket(tmp_path, qtbot):
    loopback, keypair, options = loopback_stack()
    win = await spot_window(tmp_path, options)
    try:
        loopback.fault("execute", "failed_to_land")  # Jupiter: -1000, maybe sent
        await buy_from_ticket(win, qtbot, 1.0)
        label = win.ticket.result_label
        await wait_until(lambda: "sent, confirming" in label.text(), timeout=10, what=f"unknown ({label.text()})")
        assert "Failed to land (-1000)" in label.text()
        loopback.chain.advance(200)  # its blockhash expires without it landing
        await wait_until(lambda: label.text().startswith("expired:"), timeout=15, what=f"expired ({label.text()})")
        assert "nothing was swapped, safe to trade again" in label.text()
        assert not any(r[COL_MARKET] == MARKET for r in position_rows(win))
        assert len(set(loopback.chain.landed)) == 0 and loopback.calls["execute"] == 1  # never a second swap
    finally:
        await close(win)
        loopback.close()
