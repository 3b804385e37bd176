"""Argument checks of TradingService's doors: every odd value is refused naming its field, never raised."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from grace_desktop.domain.enums import OrderSide, OrderType, Side
from grace_desktop.domain.errors import DomainError
from grace_desktop.domain.validation import shown
from grace_desktop.services.trade_inputs import FIELDS, close_args, preview_args, trade_args
from grace_desktop.services.trade_types import TradeConditions

M = "SOL-PERP"
VALID_TRADE: dict[str, Any] = dict(action="buy", amount=1.0, market=M, account="paper")
VALID_CLOSE: dict[str, Any] = dict(account="paper", market=M)
VALID_PREVIEW: dict[str, Any] = dict(action="buy", amount=1.0, market=M, account="paper", leverage=2.0)

NAN, INF = float("nan"), float("inf")
# Values no number field may take: each is refused as "not a number" or "not finite".
NOT_NUMBERS = [None, True, False, b"1", "abc", "", "  ", NAN, INF, -INF, "nan", "inf", "1e400", 10**400,
               Decimal("NaN"), Decimal("sNaN"), Decimal("1e400"), 1j, [1.0], (1.0,), {"x": 1}, {1.0}, object(),
               "1" * 65, Fraction(10**400, 3)]
# Values no name field may take.
NOT_NAMES = [None, 10**20, 10**5000, 1.5, True, b"paper", ["paper"], {"a": 1}, object(), "", "   ", "x" * 65,
             "pa\x00per", "pa\nper", "pa\u200bper", "pa\u202eper", "\ud800", "a\u2028b", "\x7f"]


def _id(value: object) -> str:
    return shown(value, 24)  # pytest's own str() of a 5000-digit int raises


def _case(fn: Any, valid: dict[str, Any], field: str, value: object) -> str:
    with pytest.raises(DomainError) as info:
        fn(**{**valid, field: value})
    return info.value.field


TRADE_CASES: list[tuple[str, object, str]] = [
    *[("amount", x, "size") for x in NOT_NUMBERS],
    ("amount", 0, "size"), ("amount", -1.0, "size"), ("amount", -0.0, "size"), ("amount", "-2", "size"),
    *[("leverage", x, "leverage") for x in NOT_NUMBERS if x is not None],
    ("leverage", 0.5, "leverage"), ("leverage", 0, "leverage"), ("leverage", -3, "leverage"),
    *[("price", x, "price") for x in NOT_NUMBERS if x is not None],
    ("price", 0.0, "price"), ("price", -1, "price"),
    *[("account", x, "account") for x in NOT_NAMES],
    *[("market", x, "market") for x in NOT_NAMES],
    *[("action", x, "side") for x in [None, "hold", "", 1, True, b"buy", ["buy"], object(), "buy" * 10, NAN]],
    *[("order_type", x, "order_type") for x in [None, "stop", "", 0, b"limit", ["market"], "m" * 100]],
    *[("conditions", x, "conditions") for x in [{"take_profit": 1.0}, 5, "tp", [TradeConditions()], object()]],
    *[("reduce_only", x, "reduce_only") for x in [None, 0, 1, "true", "", 1.0, [True]]],
    *[("venue", x, "venue") for x in [1, "", " ", "not a venue", "mango;drop", "x" * 65, b"paper", ["paper"]]],
    *[("purpose", x, "purpose") for x in [None, 5, "a\x00b", "y" * 65, b"tp"]],
]


@pytest.mark.parametrize(("field", "value", "named"), TRADE_CASES, ids=_id)
def test_trade_args_refuse_naming_the_field(field: str, value: object, named: str) -> None:
    assert _case(trade_args, VALID_TRADE, field, value) == named


CLOSE_CASES: list[tuple[str, object, str]] = [
    *[("account", x, "account") for x in NOT_NAMES],
    *[("market", x, "market") for x in NOT_NAMES],
    *[("fraction", x, "fraction") for x in NOT_NUMBERS],
    *[("fraction", x, "fraction") for x in [0, -0.0, -0.5, 1.0000001, 2, "1.5"]],
    *[("reason", x, "reason") for x in [None, "", "  ", 3, "r\x1b[31m", "z" * 65, b"manual"]],
]


@pytest.mark.parametrize(("field", "value", "named"), CLOSE_CASES, ids=_id)
def test_close_args_refuse_naming_the_field(field: str, value: object, named: str) -> None:
    assert _case(close_args, VALID_CLOSE, field, value) == named


PREVIEW_CASES: list[tuple[str, object, str]] = [
    *[("amount", x, "size") for x in NOT_NUMBERS],
    *[("leverage", x, "leverage") for x in NOT_NUMBERS],  # preview has no default leverage: None is refused
    *[("price", x, "price") for x in NOT_NUMBERS if x is not None],
    *[("account", x, "account") for x in NOT_NAMES],
    *[("market", x, "market") for x in NOT_NAMES],
    ("action", "hold", "side"), ("order_type", "stop", "order_type"),
]


@pytest.mark.parametrize(("field", "value", "named"), PREVIEW_CASES, ids=_id)
def test_preview_args_refuse_naming_the_field(field: str, value: object, named: str) -> None:
    assert _case(preview_args, VALID_PREVIEW, field, value) == named


def test_every_named_field_is_a_known_one() -> None:
    named = {c[2] for c in TRADE_CASES + CLOSE_CASES + PREVIEW_CASES}
    assert named <= FIELDS


def test_a_limit_order_needs_a_price() -> None:
    with pytest.raises(DomainError) as info:
        trade_args("buy", 1.0, M, "paper", order_type="limit")
    assert info.value.field == "price"


def test_a_pinned_venue_must_be_configured_when_the_service_says_which_are() -> None:
    assert trade_args(**VALID_TRADE, venue="mango_v3").venue == "mango_v3"  # well-formed, nothing to check against
    with pytest.raises(DomainError) as info:
        trade_args(**VALID_TRADE, venue="mango_v3", venues={"paper"})
    assert info.value.field == "venue" and "not configured" in str(info.value)


def test_messages_stay_short_and_never_fail_to_render() -> None:
    class Hostile:
        def __repr__(self) -> str:
            raise RuntimeError("no repr for you")

    for value in (10**5000, "x" * 10_000, Hostile(), list(range(100_000))):
        for fn, valid, field in ((trade_args, VALID_TRADE, "amount"), (close_args, VALID_CLOSE, "account")):
            with pytest.raises(DomainError) as info:
                fn(**{**valid, field: value})
            assert len(str(info.value)) < 120


@pytest.mark.parametrize(
    ("value", "expected"),
    [(2, 2.0), (2.5, 2.5), ("2.5", 2.5), (" 3 ", 3.0), (Decimal("1.5"), 1.5), (Fraction(3, 2), 1.5), (10**20, 1e20)],
    ids=_id,
)
def test_real_numbers_in_every_accepted_form_become_floats(value: object, expected: float) -> None:
    args = trade_args("buy", value, M, "paper", leverage=value, price=value)
    assert (args.amount, args.leverage, args.price) == (expected, expected, expected)
    assert all(type(x) is float for x in (args.amount, args.leverage, args.price))


def test_numpy_numbers_are_numbers_and_numpy_bools_are_not() -> None:
    np = pytest.importorskip("numpy")
    assert trade_args("buy", np.float64(2.0), M, "paper", leverage=np.int64(3)).leverage == 3.0
    with pytest.raises(DomainError) as info:
        trade_args("buy", np.bool_(True), M, "paper")
    assert info.value.field == "size"
    with pytest.raises(DomainError):
        trade_args("buy", np.array([1.0, 2.0]), M, "paper")


def test_clean_values_are_normalized() -> None:
    tc = TradeConditions(stop_loss=90.0)
    args = trade_args(Side.LONG, "1", f"  {M} ", " paper ", None, OrderType.LIMIT, 100, tc, True, "paper", " tp ")
    assert args.side is OrderSide.BUY and args.order_type is OrderType.LIMIT
    assert (args.market, args.account, args.venue, args.purpose) == (M, "paper", "paper", "tp")
    assert args.conditions is tc and args.reduce_only is True and args.leverage is None
    assert trade_args(**{**VALID_TRADE, "action": " SELL "}, order_type=" Market ").side is OrderSide.SELL

    class Sneaky(str):
        def __str__(self) -> str:
            return "DOGE-PERP"

    assert type(trade_args(**{**VALID_TRADE, "market": Sneaky(M)}).market) is str
    assert trade_args(**{**VALID_TRADE, "market": Sneaky(M)}).market == M
    close = close_args("paper", M, Decimal("0.5"), "stop_loss")
    assert (close.fraction, close.reason) == (0.5, "stop_loss")
    assert close_args("paper", M, 1).fraction == 1.0


@pytest.mark.parametrize(
    "changes",
    [dict(take_profit=10**400), dict(stop_loss=True), dict(entry_below=NAN), dict(trailing_percent="x"),
     dict(take_profit_percent=b"5"), dict(stop_loss=-1.0), dict(trailing_percent=100)],
)
def test_trade_conditions_refuse_odd_values_naming_the_field(changes: dict[str, object]) -> None:
    with pytest.raises(DomainError) as info:
        TradeConditions(**changes)  # type: ignore[arg-type]
    assert info.value.field == next(iter(changes))


# ----- through the service: refused as a result (execute_trade, close_position) or DomainError (preview)
ODD_ACCOUNTS = [10**20, None, "", "x" * 65, "a\x00b", b"paper"]


@pytest.mark.parametrize("account", ODD_ACCOUNTS, ids=_id)
async def test_service_refuses_odd_accounts_without_raising_or_journaling(services, account: object) -> None:
    trading = services.trading
    result = await trading.execute_trade("buy", 1.0, M, account)  # type: ignore[arg-type]
    assert not result.success and result.reasons[0].startswith("account: "), result.reasons
    result = await trading.close_position(account, M)  # type: ignore[arg-type]
    assert not result.success and result.reasons[0].startswith("account: "), result.reasons
    with pytest.raises(DomainError) as info:
        trading.preview("buy", 1.0, M, account, leverage=2.0)  # type: ignore[arg-type]
    assert info.value.field == "account"
    assert services.store.orders.page(limit=10) == []


async def test_service_refuses_close_of_none_market_and_foreign_conditions(services) -> None:
    trading, account = services.trading, services.account
    assert (await trading.close_position(None, M)).reasons[0].startswith("account: ")  # type: ignore[arg-type]
    assert (await trading.close_position(account, None)).reasons[0].startswith("market: ")  # type: ignore[arg-type]
    result = await trading.execute_trade("buy", 1.0, M, account, conditions={"stop_loss": 90.0})  # type: ignore[arg-type]
    assert not result.success and result.reasons[0].startswith("conditions: ")
    result = await trading.execute_trade("buy", 1.0, M, account, venue="mango_v3")
    assert not result.success and result.reasons[0].startswith("venue: ") and "not configured" in result.reasons[0]
    assert await services.paper.positions(account) == []


async def test_clean_values_in_other_forms_still_trade(services) -> None:
    trading, account = services.trading, services.account
    opened = await trading.execute_trade(" BUY ", Decimal("2"), f" {M}", f"{account} ", leverage="2")
    assert opened.success, opened.message
    assert opened.order is not None and opened.order.request.size == 2.0 and opened.order.request.market == M
    closed = await trading.close_position(account, M, Fraction(1, 2), reason="manual")
    assert closed.success, closed.message
    [pos] = await services.paper.positions(account)
    assert pos.size == pytest.approx(1.0)
