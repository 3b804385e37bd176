"""Issue 8, finding 2: state is keyed by (venue, account, market).

A position that went to the paper fallback while the primary venue was down is protected
and closable there; two venues listing the same market keep their own marks, portfolios,
and trigger books. Real stack: build_services with the remote double as primary and the
embedded paper venue (on the same SQLite file, as in production) as the fallback.
"""

from __future__ import annotations

from grace_desktop.domain.enums import OrderStatus
from grace_desktop.services.trade_types import TradeConditions
from tests.services.conftest import configure, settle, wait_until
from tests.services.remote_stack import REMOTE, remote_stack
from tests.venues.remote_double import Fault

M = "SOL-PERP"


async def sizes(venue, account: str) -> dict[str, float]:
    return {p.market: p.size for p in await venue.positions(account)}


async def test_a_position_on_the_fallback_venue_is_closed_by_its_tp_and_by_close_position(tmp_path):
    async with remote_stack(tmp_path, paper=True) as (services, double):
        account, paper, trading = services.account, services.paper, services.trading
        await configure(services, auto_trading_enabled=True, allow_paper_fallback=True)
        # The primary stops answering: a few refused trades make it unhealthy.
        double.set_fault("portfolio", Fault(rate_limit=0.05))
        double.set_fault("positions", Fault(rate_limit=0.05))
        for _ in range(3):
            refused = await trading.execute_trade("buy", 1.0, M, account, leverage=2.0)
            assert not refused.success and "429" in refused.message
        assert not trading.selector.healthy(REMOTE)

        opened = await trading.execute_trade("buy", 2.0, M, account, leverage=2.0,
                                             conditions=TradeConditions(take_profit=110.0))
        assert opened.success and opened.venue == "paper", opened.message
        assert "falling back to paper" in opened.message
        assert (await trading.execute_trade("buy", 0.5, "ETH-PERP", account, leverage=2.0)).venue == "paper"
        await settle(services)
        watch = services.monitor.watched(account, M, "paper")
        assert watch is not None and watch.levels["take_profit"][0] == 110.0

        # Its take-profit closes it on the venue that holds it, though the primary is still down.
        await paper.push_tick(M, 111.0)
        await settle(services)
        assert M not in await sizes(paper, account)
        [trade] = services.store.trades.page(account=account, market=M)
        assert (trade.venue, trade.close_reason, trade.size) == ("paper", "take_profit", 2.0)
        assert double.place_calls == {}  # nothing was ever sent to the primary

        # A manual close finds the fallback position too (the primary cannot even list its positions).
        closed = await trading.close_position(account, "ETH-PERP")
        assert closed.success and closed.venue == "paper", closed.message
        assert closed.order.status is OrderStatus.FILLED
        assert await sizes(paper, account) == {}


async def test_two_venues_listing_the_same_market_keep_their_own_marks_portfolios_and_stops(tmp_path):
    async with remote_stack(tmp_path, paper=True) as (services, double):
        account, paper, trading = services.account, services.paper, services.trading
        await configure(services, auto_trading_enabled=True)
        await paper.push_tick(M, 150.0)
        await wait_until(lambda: trading.mark(M, "paper") == 150.0)
        assert trading.mark(M, REMOTE) == 100.0
        assert trading.mark(M) == 100.0  # no venue named: the primary's

        assert (await trading.execute_trade("buy", 2.0, M, account, leverage=2.0,
                                            conditions=TradeConditions(take_profit=110.0))).venue == REMOTE
        assert (await trading.execute_trade("buy", 1.0, M, account, leverage=2.0, venue="paper",
                                            conditions=TradeConditions(take_profit=160.0))).venue == "paper"
        await trading.refresh_portfolio(account, REMOTE)
        await trading.refresh_portfolio(account, "paper")
        remote_view, paper_view = trading.portfolio(account, REMOTE), trading.portfolio(account, "paper")
        assert [(p.size, p.entry_price) for p in remote_view.positions] == [(2.0, 100.0)]
        assert [(p.size, p.entry_price) for p in paper_view.positions] == [(1.0, 150.0)]
        assert remote_view.marks[M] == 100.0 and paper_view.marks[M] == 150.0
        assert trading.portfolio(account).positions == remote_view.positions  # the primary's by default

        await settle(services)
        assert services.monitor.watched(account, M, REMOTE).levels["take_profit"][0] == 110.0
        assert services.monitor.watched(account, M, "paper").levels["take_profit"][0] == 160.0
        # Paper's SOL-PERP at 112 is not remote's: remote's take-profit at 110 must not fire on it.
        await paper.push_tick(M, 112.0)
        await settle(services)
        assert trading.mark(M, REMOTE) == 100.0 and trading.mark(M, "paper") == 112.0
        assert await sizes(double, account) == {M: 2.0} and await sizes(paper, account) == {M: 1.0}
        assert services.store.trades.page(account=account) == []
        # Each venue's own tick fires only its own exits.
        await double.push_tick(M, 111.0)
        await settle(services)
        assert await sizes(double, account) == {} and await sizes(paper, account) == {M: 1.0}
        [trade] = services.store.trades.page(account=account)
        assert (trade.venue, trade.close_reason) == (REMOTE, "take_profit")
