"""Edge cases found in review: flips, partial guard reduces, condition journaling, bad input."""

from __future__ import annotations

from grace_desktop.domain import margin
from grace_desktop.domain.enums import Side
from grace_desktop.services.trade_types import TradeConditions
from grace_desktop.venues.base import VenueError
from tests.services.conftest import close_orders, configure, position, settle

M = "SOL-PERP"


async def test_a_flip_does_not_steer_the_new_position_with_the_old_ones_absolute_exits(services):
    await configure(services, auto_trading_enabled=True, max_account_leverage=10.0)
    opened = await services.trading.execute_trade("buy", 10.0, M, services.account, leverage=2.0,
                                                  conditions=TradeConditions(take_profit=110.0, stop_loss=95.0))
    assert opened.success, opened.message
    flipped = await services.trading.execute_trade("sell", 20.0, M, services.account, leverage=2.0)
    assert flipped.success, flipped.message
    pos = await position(services, M)
    assert pos.side is Side.SHORT and pos.size == 10.0
    # For a short, "take profit at 110" would fire at once at 100: the long's exits must be gone.
    await services.paper.push_tick(M, 100.1)
    await settle(services)
    assert await position(services, M) is not None
    assert close_orders(services, M) == []
    assert services.store.conditions.armed(account=services.account) == []
    levels = services.monitor.watched(services.account, M).levels
    assert "take_profit" not in levels and "stop_loss" not in levels


async def test_a_flip_with_its_own_exits_keeps_only_those(services):
    await configure(services, auto_trading_enabled=True, max_account_leverage=10.0)
    await services.trading.execute_trade("buy", 10.0, M, services.account, leverage=2.0,
                                         conditions=TradeConditions(take_profit=110.0, stop_loss=95.0))
    flipped = await services.trading.execute_trade("sell", 20.0, M, services.account, leverage=2.0,
                                                   conditions=TradeConditions(stop_loss=104.0))
    assert flipped.success, flipped.message
    armed = services.store.conditions.armed(account=services.account)
    assert [(c.kind, c.params["price"]) for c in armed] == [("stop_loss", 104.0)]
    await services.paper.push_tick(M, 100.1)
    await settle(services)
    assert await position(services, M) is not None
    await services.paper.push_tick(M, 104.0)
    await settle(services)
    assert await position(services, M) is None
    assert services.store.decisions.recent()[0].rule == "stop_loss"


async def test_a_guard_reduce_keeps_the_rest_of_the_position_under_its_own_exits(services):
    await configure(services, auto_trading_enabled=True, max_leverage=20.0, liquidation_guard_buffer_pct=2.0,
                    liquidation_guard_reduce_fraction=0.5)
    opened = await services.trading.execute_trade("buy", 10.0, M, services.account, leverage=20.0,
                                                  conditions=TradeConditions(take_profit=101.0))
    assert opened.success, opened.message
    pos = await position(services, M)
    liq = margin.position_liquidation_price(pos, 0.025)
    await services.paper.push_tick(M, round(liq * 1.015, 2))  # inside the guard zone: halve it
    await settle(services)
    assert (await position(services, M)).size == 5.0
    [tp] = services.store.conditions.armed(account=services.account)
    assert tp.kind == "take_profit"  # the half still open keeps the take-profit the user set
    assert "take_profit" in services.monitor.watched(services.account, M).levels
    await services.paper.push_tick(M, 101.0)
    await settle(services)
    assert await position(services, M) is None
    assert services.store.decisions.recent()[0].rule == "take_profit"
    assert services.store.conditions.get(tp.id).status == "fired"


async def test_the_condition_that_closed_a_position_is_journaled_as_fired_at_its_price(services):
    await configure(services, auto_trading_enabled=True)
    opened = await services.trading.execute_trade("buy", 10.0, M, services.account, leverage=2.0,
                                                  conditions=TradeConditions(take_profit=110.0))
    assert opened.success, opened.message
    [tp] = services.store.conditions.armed(account=services.account)
    await services.paper.push_tick(M, 111.0)
    await settle(services)
    assert await position(services, M) is None
    record = services.store.conditions.get(tp.id)
    assert (record.status, record.fired_price, record.reason) == ("fired", 111.0, "take_profit")


async def test_a_venue_that_failed_a_few_sweeps_is_healthy_again_once_its_reads_succeed(services):
    venue = services.paper
    real_positions = venue.positions

    async def down(account):
        raise VenueError("connection reset (injected)", retryable=True)

    venue.positions = down
    for _ in range(3):  # a ten-second network blip on the 3 s sweep
        await services.monitor.sweep()
    assert not services.trading.selector.healthy("paper")
    venue.positions = real_positions
    await services.monitor.sweep()
    assert services.trading.selector.healthy("paper")
    result = await services.trading.execute_trade("buy", 1.0, M, services.account, leverage=2.0)
    assert result.success, result.message
