"""Issue 8, finding 9: a market order is risk-checked at the price it can fill at (the mark plus the
slippage bound), whatever `price` a caller passes; bad arguments are refused, never raised."""

from __future__ import annotations

import pytest

from grace_desktop.domain.risk import market_fill_price
from tests.services.conftest import wait_until
from tests.services.remote_stack import remote_stack

M = "SOL-PERP"


async def test_a_market_buy_with_a_low_price_is_checked_at_the_mark_and_refused_for_account_leverage(tmp_path):
    async with remote_stack(tmp_path) as (services, double):
        account, trading = services.account, services.trading
        assert trading.settings(account).max_account_leverage == 5.0
        await wait_until(lambda: trading.mark(M, "remote") == 100.0)  # the monitor has seen the tick
        mark = 100.0
        # 600 SOL is 6x the 10,000 balance at the mark; at the price passed (50) it would look like 3x.
        refused = await trading.execute_trade("buy", 600.0, M, account, leverage=10.0, order_type="market", price=50.0)
        assert not refused.success
        [reason] = refused.reasons
        assert "account leverage after the trade" in reason and "exceeds the maximum 5x" in reason
        assert [r.code for r in refused.decision.reasons] == ["account_leverage"]
        assert refused.decision.account_leverage_after == pytest.approx(
            600.0 * market_fill_price("buy", mark) / 10_000.0, rel=0.01)  # fees aside: at the mark, not at 50
        assert double.place_calls == {} and await double.positions(account) == []
        # The order ticket's preview says the same before anything is sent.
        preview = trading.preview("buy", 600.0, M, account, leverage=10.0, order_type="market", price=50.0)
        assert not preview.approved and [r.code for r in preview.reasons] == ["account_leverage"]


async def test_a_market_buy_with_a_high_price_is_not_refused_for_a_price_it_will_not_fill_at(tmp_path):
    async with remote_stack(tmp_path) as (services, double):
        account, trading = services.account, services.trading
        # 400 SOL is 4x at the mark; at the price passed (1,000) it would look like 40x.
        result = await trading.execute_trade("buy", 400.0, M, account, leverage=10.0, order_type="market",
                                              price=1_000.0)
        assert result.success, result.reasons
        [position] = await double.positions(account)
        assert position.size == 400.0 and position.entry_price == pytest.approx(100.0, rel=1e-3)
        portfolio = await double.portfolio(account)
        notional = sum(p.size * portfolio.marks.get(p.market, p.entry_price) for p in portfolio.positions)
        assert notional / portfolio.balance <= 5.0


@pytest.mark.parametrize("call, field", [
    (lambda t, a: t.execute_trade("buy", 1.0, M, 10**20), "account"),
    (lambda t, a: t.execute_trade("buy", 1.0, M, a, conditions={"take_profit": 110.0}), "conditions"),
    (lambda t, a: t.close_position(None, M), "account"),
], ids=["huge-int-account", "conditions-as-dict", "close-without-account"])
async def test_bad_arguments_are_refused_naming_the_field_never_raised(tmp_path, call, field):
    async with remote_stack(tmp_path) as (services, double):
        result = await call(services.trading, services.account)
        assert not result.success and result.reasons[0].startswith(field), result.reasons
        assert double.place_calls == {}
