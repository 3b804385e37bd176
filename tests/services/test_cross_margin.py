"""On a Mango (cross-margin) account the services use account health: TradingService's risk check,
the ticket's preview and the liquidation guard's level. The venue is the RemoteDouble (the real
paper engine behind the Venue contract) reporting its portfolio as Mango's cross-margin account."""

from __future__ import annotations

import dataclasses

import pytest

from grace_desktop.domain import mango_health
from grace_desktop.domain.conditions import Direction, ExitRule
from grace_desktop.domain.models import Portfolio
from grace_desktop.services.watch import cross_liquidation, plan_exits
from tests.services.conftest import settle
from tests.services.remote_stack import REMOTE, make_double, remote_stack


class CrossDouble:
    """Wraps a RemoteDouble so its portfolio reads as a Mango cross-margin account."""

    def __new__(cls, **kwargs):
        double = make_double(**kwargs)
        inner_portfolio = double.portfolio

        async def portfolio(account: str) -> Portfolio:
            return dataclasses.replace(await inner_portfolio(account), margin_mode="mango_cross")

        double.portfolio = portfolio  # type: ignore[method-assign]
        return double


async def test_trading_checks_the_account_leverage_after_the_trade(tmp_path):
    async with remote_stack(tmp_path, double=CrossDouble()) as (services, _double):
        account = services.account
        portfolio = await services.trading.refresh_portfolio(account)
        assert portfolio.margin_mode == "mango_cross"
        equity = portfolio.balance
        # 3x on the ticket: a size worth ~4x the account is refused with Mango's reason ...
        too_big = round(4 * equity / 100, 2)
        refused = await services.trading.execute_trade("buy", too_big, "SOL-PERP", account, leverage=3)
        assert not refused.success and "set on the ticket" in refused.message
        # ... one worth ~2x passes, and the decision carries init health and the cross liquidation price.
        ok = await services.trading.execute_trade("buy", round(2 * equity / 100, 2), "SOL-PERP", account, leverage=3)
        assert ok.success, ok.message
        decision = ok.decision
        assert decision is not None and decision.free_collateral == pytest.approx(equity)
        assert 1.9 < decision.account_leverage_after < 2.1
        preview = services.trading.preview("buy", 1, "SOL-PERP", account, leverage=3)
        assert preview.approved


async def test_the_guard_is_armed_at_the_account_wide_liquidation_price(tmp_path):
    async with remote_stack(tmp_path, double=CrossDouble()) as (services, _double):
        account = services.account
        equity = (await services.trading.refresh_portfolio(account)).balance
        opened = await services.trading.execute_trade("buy", round(4.5 * equity / 100, 2), "SOL-PERP", account,
                                                      leverage=5)
        assert opened.success, opened.message
        await services.trading.refresh_portfolio(account, REMOTE)
        await services.monitor.sync_account(account, REMOTE)
        await settle(services)
        watch = services.monitor.watched(account, "SOL-PERP", REMOTE)
        assert watch is not None
        portfolio = services.trading.portfolio(account, REMOTE)
        specs = services.trading.market_data.venue_markets(REMOTE)
        expected = mango_health.liquidation_price(portfolio, specs, "SOL-PERP")
        assert watch.liquidation == pytest.approx(expected, rel=1e-7)
        isolated = plan_exits(watch.position, specs["SOL-PERP"], services.trading.settings(account), [], 100.0)
        level, direction = watch.levels[ExitRule.LIQUIDATION_GUARD.value]
        buffer = services.trading.settings(account).liquidation_guard_buffer_pct / 100
        assert direction is Direction.AT_OR_BELOW and level == pytest.approx(expected * (1 + buffer), rel=1e-7)
        # Not the isolated figure from the position's own leverage.
        assert level != pytest.approx(isolated.levels[ExitRule.LIQUIDATION_GUARD.value][0])


def test_cross_liquidation_is_none_on_an_isolated_account():
    from grace_desktop.domain.models import Position

    position = Position("a", "SOL-PERP", "long", 1, 100, leverage=5)
    assert cross_liquidation(Portfolio("a", 100, (position,), {"SOL-PERP": 100}), position, {}) is None
