"""TradingService edge cases found in review: bad input is refused with the field named, never raised."""

from __future__ import annotations

import pytest

M = "SOL-PERP"


@pytest.mark.parametrize("leverage", ["abc", "", [2], float("nan")])
async def test_a_leverage_that_is_not_a_number_is_refused_naming_the_field(services, leverage):
    result = await services.trading.execute_trade("buy", 1.0, M, services.account, leverage=leverage)
    assert not result.success and result.reasons[0].startswith("leverage")
    assert services.store.orders.page(account=services.account) == []


@pytest.mark.parametrize("fraction", ["half", None, float("nan"), 0, 1.5])
async def test_a_close_fraction_that_is_not_in_range_is_refused_naming_the_field(services, fraction):
    opened = await services.trading.execute_trade("buy", 1.0, M, services.account, leverage=2.0)
    assert opened.success, opened.message
    result = await services.trading.close_position(services.account, M, fraction)
    assert not result.success and result.reasons[0].startswith("fraction")
    assert len(await services.paper.positions(services.account)) == 1
