"""Bad input is refused at construction with a DomainError naming the field (table-driven)."""

from __future__ import annotations

import math

import pytest

from grace_desktop.domain import sizing
from grace_desktop.domain.conditions import EntryCondition, ExitLevels
from grace_desktop.domain.enums import MarketKind, OrderSide, OrderStatus, OrderType, Side
from grace_desktop.domain.errors import DomainError
from grace_desktop.domain.models import Fill, MarketSpec, Order, OrderRequest, Position
from grace_desktop.domain.settings import AccountSettings

PERP = MarketSpec("BTC-PERP", MarketKind.PERP, "BTC", "USDC", tick_size=0.5, lot_size=0.001,
                  init_margin=0.05, maint_margin=0.025, max_leverage=20)
SPOT = MarketSpec("SOL/USDC", MarketKind.SPOT, "SOL", "USDC", tick_size=0.001, lot_size=0.01)
MARKETS = {PERP.name: PERP, SPOT.name: SPOT}
GOOD = dict(account="acct", market="BTC-PERP", side="buy", size=0.01)
SPEC = dict(name="X-PERP", kind="perp", base="X", quote="USDC", tick_size=0.01, lot_size=0.1,
            init_margin=0.1, maint_margin=0.05, max_leverage=10)


def req(**changes):
    return lambda: OrderRequest(**{**GOOD, **changes})


def checked(**changes):
    return lambda: OrderRequest.checked(MARKETS, **{**GOOD, **changes})


def spec(**changes):
    return lambda: MarketSpec(**{**SPEC, **changes})


def pos(**changes):
    base = dict(account="acct", market="BTC-PERP", side="long", size=1, entry_price=100)
    return lambda: Position(**{**base, **changes})


INVALID = [
    ("size zero", req(size=0), "size"),
    ("size negative", req(size=-1), "size"),
    ("size NaN", req(size=math.nan), "size"),
    ("size inf", req(size=math.inf), "size"),
    ("size not a number", req(size="lots"), "size"),
    ("size bool", req(size=True), "size"),
    ("limit without price", req(order_type="limit"), "price"),
    ("limit price zero", req(order_type="limit", price=0), "price"),
    ("limit price negative", req(order_type=OrderType.LIMIT, price=-5), "price"),
    ("market price NaN", req(price=math.nan), "price"),
    ("leverage below one", req(leverage=0.5), "leverage"),
    ("leverage inf", req(leverage=math.inf), "leverage"),
    ("empty account", req(account=""), "account"),
    ("blank account", req(account="   "), "account"),
    ("empty market", req(market=""), "market"),
    ("bad side string", req(side="up"), "side"),
    ("bad order type", req(order_type="stop"), "order_type"),
    ("reduce_only not bool", req(reduce_only="yes"), "reduce_only"),
    ("client_id not str", req(client_id=7), "client_id"),
    ("unknown market", checked(market="DOGE-PERP"), "market"),
    ("size below lot", checked(size=0.0005), "size"),
    ("size not multiple of lot", checked(size=0.0015), "size"),
    ("limit price off tick", checked(order_type="limit", price=30_000.3), "price"),
    ("spot leverage above one", checked(market="SOL/USDC", size=1, leverage=2), "leverage"),
    ("leverage above market max", checked(leverage=25), "leverage"),
    ("spec empty name", spec(name=""), "name"),
    ("spec bad kind", spec(kind="futures"), "kind"),
    ("spec tick zero", spec(tick_size=0), "tick_size"),
    ("spec lot NaN", spec(lot_size=math.nan), "lot_size"),
    ("spec maint above init", spec(maint_margin=0.2), "maint_margin"),
    ("spec init margin one", spec(init_margin=1.0), "init_margin"),
    ("spec spot with leverage", spec(kind="spot", max_leverage=5), "max_leverage"),
    ("spec fee too high", spec(taker_fee=0.5), "taker_fee"),
    ("spec rebate too deep", spec(maker_fee=-0.05), "maker_fee"),
    ("position size zero", pos(size=0), "size"),
    ("position entry NaN", pos(entry_price=math.nan), "entry_price"),
    ("position negative collateral", pos(collateral=-1), "collateral"),
    ("position bad side", pos(side="flat"), "side"),
    ("position leverage below one", pos(leverage=0), "leverage"),
    ("fill size zero", lambda: Fill("c1", "BTC-PERP", "buy", 0, 100, 0.0, 0.0), "size"),
    ("fill bad side", lambda: Fill("c1", "BTC-PERP", "hold", 1, 100, 0.0, 0.0), "side"),
    ("entry both unset", lambda: EntryCondition(), "entry"),
    ("entry negative bound", lambda: EntryCondition(price_below=-3), "price_below"),
    ("exit take profit NaN", lambda: ExitLevels("long", take_profit=math.nan), "take_profit"),
    ("settings percent zero", lambda: AccountSettings(stop_loss_percentage=0), "stop_loss_percentage"),
    ("settings bool as string", lambda: AccountSettings(auto_trading_enabled="yes"), "auto_trading_enabled"),
    ("settings default above max", lambda: AccountSettings(default_leverage=20, max_leverage=10), "default_leverage"),
    ("settings unknown key", lambda: AccountSettings.from_dict({"leverage_max": 3}), "leverage_max"),
    ("safe size rounds to zero", lambda: sizing.safe_position_size(1, 30_000, 3, 0.001), "size"),
]


@pytest.mark.parametrize("build, field", [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_input_is_refused_naming_the_field(build, field):
    with pytest.raises(DomainError) as err:
        build()
    assert err.value.field == field
    assert field in str(err.value)
    assert err.value.detail and err.value.detail in str(err.value)


def test_the_table_is_big_enough():
    assert len(INVALID) >= 15


def test_valid_request_is_normalised():
    request = OrderRequest.checked(MARKETS, account=" acct ", market="BTC-PERP", side="LONG", size="0.010",
                                   order_type="Limit", price=30_000, leverage=10)
    assert request.account == "acct"
    assert request.side is OrderSide.BUY and request.order_type is OrderType.LIMIT
    assert request.size == 0.01 and isinstance(request.size, float)
    assert request.check_market(MARKETS) is PERP
    assert request.with_client_id("abc").client_id == "abc"
    with pytest.raises(DomainError) as err:
        request.with_client_id("")
    assert err.value.field == "client_id"


def test_lot_and_tick_checks_tolerate_float_noise():
    # 0.1 + 0.2 is 0.30000000000000004: still three lots of 0.1.
    spec = MarketSpec("X", "spot", "X", "USDC", tick_size=0.01, lot_size=0.1)
    OrderRequest.checked({"X": spec}, account="a", market="X", side="buy", size=0.1 + 0.2,
                         order_type="limit", price=1.1 + 2.2)


def test_market_spec_rounding():
    assert PERP.round_size_down(0.0019) == pytest.approx(0.001)
    assert PERP.round_price(30_000.26) == 30_000.5
    assert PERP.round_price(30_000.24) == 30_000.0
    assert PERP.is_perp and not SPOT.is_perp


def test_enums_parse_and_relate():
    assert Side.parse("buy") is Side.LONG and Side.parse(OrderSide.SELL) is Side.SHORT
    assert OrderSide.parse(Side.LONG) is OrderSide.BUY and OrderSide.parse(" Sell ") is OrderSide.SELL
    assert OrderSide.closing(Side.LONG) is OrderSide.SELL and OrderSide.closing(Side.SHORT) is OrderSide.BUY
    assert Side.LONG.opposite is Side.SHORT and OrderSide.BUY.opposite is OrderSide.SELL
    assert Side.SHORT.sign == -1 and OrderSide.SELL.sign == -1
    assert OrderStatus.FILLED.is_final and not OrderStatus.OPEN.is_final and not OrderStatus.INTENT.is_final


def test_order_remaining_and_status():
    order = Order(OrderRequest(**GOOD), OrderStatus.OPEN, filled_size=0.004)
    assert order.remaining == pytest.approx(0.006)
    done = order.with_status(OrderStatus.FILLED, filled_size=0.01)
    assert done.remaining == 0.0 and done.status is OrderStatus.FILLED and order.status is OrderStatus.OPEN


def test_text_numbers_are_stored_as_floats():
    # Specs and positions come from config files and venue JSON; "0.5" must compute like 0.5.
    spec = MarketSpec("X-PERP", "perp", "X", "USDC", tick_size="0.5", lot_size="0.01",
                      init_margin="0.1", maint_margin="0.05", max_leverage="10", taker_fee="0.0004")
    assert (spec.tick_size, spec.lot_size, spec.init_margin, spec.maint_margin) == (0.5, 0.01, 0.1, 0.05)
    assert spec.max_leverage == 10.0 and spec.taker_fee == 0.0004 and spec.kind is MarketKind.PERP
    assert spec.round_price(100.3) == 100.5
    position = Position("a", "X-PERP", "short", "2", "100", leverage="5", collateral="40")
    assert position.unrealized_pnl(90) == pytest.approx(20.0)
    assert (position.size, position.entry_price, position.leverage, position.collateral) == (2.0, 100.0, 5.0, 40.0)
    fill = Fill("c1", "X-PERP", "sell", "2", "100", "0.08", 0.0)
    assert (fill.size, fill.price, fill.fee) == (2.0, 100.0, 0.08)
