"""The arguments of TradingService's doors, checked and normalized before anything acts on them.

One function per entry point (`execute_trade`, `close_position`, `preview`). Each returns a
frozen record of clean values or raises `DomainError(field, message)`; nothing else escapes,
whatever the caller passes (NaN, bools, bytes, huge ints, containers, foreign objects).

Fields are named as the order itself names them, so a refusal reads the same whichever check
catches it: `action` is reported as "side" and `amount` as "size" (as OrderRequest does); the
others by their parameter names. `FIELDS` lists every name a refusal from here can start with.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from grace_desktop.domain import validation as v
from grace_desktop.domain.enums import OrderSide, OrderType, Side, TimeInForce
from grace_desktop.domain.errors import DomainError
from grace_desktop.services.trade_types import TradeConditions

FIELDS = frozenset({
    "side", "size", "market", "account", "leverage", "order_type", "price", "conditions", "reduce_only",
    "venue", "purpose", "fraction", "reason", "trigger_price", "position_before", "time_in_force",
})
MAX_REASON_LENGTH = 64
# What a configured venue's name looks like ("paper", "mango_v3", "spot"): checked before the
# name is looked up, so an odd value is refused as malformed rather than as "not configured".
_VENUE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{0,63}")


@dataclass(frozen=True, slots=True)
class TradeArgs:
    side: OrderSide
    amount: float
    market: str
    account: str
    leverage: float | None  # None: the account's default (perps) or 1x (spot), decided by the service
    order_type: OrderType
    price: float | None
    conditions: TradeConditions | None
    reduce_only: bool
    venue: str | None
    purpose: str

    def unpacked(self) -> tuple[OrderSide, float, str, str, float | None, OrderType, float | None,
                                TradeConditions | None, bool, str | None, str]:
        """The values in `execute_trade`'s parameter order, to rebind its arguments in one line."""
        return (self.side, self.amount, self.market, self.account, self.leverage, self.order_type, self.price,
                self.conditions, self.reduce_only, self.venue, self.purpose)


@dataclass(frozen=True, slots=True)
class CloseArgs:
    account: str
    market: str
    fraction: float
    reason: str

    def unpacked(self) -> tuple[str, str, float, str]:
        return self.account, self.market, self.fraction, self.reason


@dataclass(frozen=True, slots=True)
class PreviewArgs:
    side: OrderSide
    amount: float
    market: str
    account: str
    leverage: float
    order_type: OrderType
    price: float | None

    def unpacked(self) -> tuple[OrderSide, float, str, str, float, OrderType, float | None]:
        return self.side, self.amount, self.market, self.account, self.leverage, self.order_type, self.price


def trade_args(
    action: object, amount: object, market: object, account: object, leverage: object = None,
    order_type: object = "market", price: object = None, conditions: object = None, reduce_only: object = False,
    venue: object = None, purpose: object = "", *, venues: Collection[str] | None = None,
) -> TradeArgs:
    """`venues`, when given, are the configured venue names a pinned `venue` must be one of."""
    account_, market_ = _account_market(account, market)
    side = _side(action)
    size = v.real_positive("size", amount)
    lev = None if leverage is None else _leverage(leverage)
    kind = _order_type(order_type)
    price_ = _price(price, kind)
    if conditions is not None and not isinstance(conditions, TradeConditions):
        raise DomainError("conditions", f"must be TradeConditions or None, got {v.shown(conditions)}")
    if not isinstance(reduce_only, bool):
        raise DomainError("reduce_only", f"must be true or false, got {v.shown(reduce_only)}")
    venue_ = None if venue is None else _venue(venue, venues)
    purpose_ = v.name("purpose", purpose, max_length=MAX_REASON_LENGTH, allow_empty=True)
    return TradeArgs(side, size, market_, account_, lev, kind, price_, conditions, reduce_only, venue_, purpose_)


def close_args(account: object, market: object, fraction: object = 1.0, reason: object = "manual") -> CloseArgs:
    account_, market_ = _account_market(account, market)
    share = v.real("fraction", fraction)
    if not 0 < share <= 1:
        raise DomainError("fraction", f"must be in (0, 1], got {share:g}")
    why = v.name("reason", reason, max_length=MAX_REASON_LENGTH)
    return CloseArgs(account_, market_, share, why)


def preview_args(
    action: object, amount: object, market: object, account: object, leverage: object,
    order_type: object = "market", price: object = None,
) -> PreviewArgs:
    account_, market_ = _account_market(account, market)
    side = _side(action)
    size = v.real_positive("size", amount)
    lev = _leverage(leverage)
    kind = _order_type(order_type)
    return PreviewArgs(side, size, market_, account_, lev, kind, _price(price, kind))


def time_in_force_arg(value: object, kind: OrderType) -> TimeInForce:
    """'gtc' | 'ioc' | 'post_only' (or the enum); anything but 'gtc' needs a limit order."""
    if not isinstance(value, (str, TimeInForce)) or (isinstance(value, str) and len(value) > 16):
        raise DomainError("time_in_force", f"must be 'gtc', 'ioc' or 'post_only', got {v.shown(value)}")
    tif = TimeInForce.parse(value if isinstance(value, TimeInForce) else str.__str__(value))
    if tif is not TimeInForce.GTC and kind is not OrderType.LIMIT:
        raise DomainError("time_in_force", f"{tif.value} applies to limit orders only")
    return tif


# ----- one check per kind of argument ----------------------------------------------------
def _account_market(account: object, market: object) -> tuple[str, str]:
    return v.name("account", account), v.name("market", market)


def _side(action: object) -> OrderSide:
    if isinstance(action, (OrderSide, Side)):
        return OrderSide.parse(action)
    if not isinstance(action, str) or len(action) > 16:
        raise DomainError("side", f"must be 'buy' or 'sell', got {v.shown(action)}")
    return OrderSide.parse(str.__str__(action))


def _leverage(value: object) -> float:
    lev = v.real("leverage", value)
    if lev < 1:
        raise DomainError("leverage", f"must be >= 1, got {lev:g}")
    return lev


def _order_type(value: object) -> OrderType:
    if isinstance(value, OrderType):
        return value
    if not isinstance(value, str) or len(value) > 16:
        raise DomainError("order_type", f"must be 'market' or 'limit', got {v.shown(value)}")
    return OrderType.parse(str.__str__(value))


def _price(value: object, kind: OrderType) -> float | None:
    if value is None:
        if kind is OrderType.LIMIT:
            raise DomainError("price", "a limit order needs a price")
        return None
    return v.real_positive("price", value)


def _venue(value: object, venues: Collection[str] | None) -> str:
    name = v.name("venue", value)
    if _VENUE_NAME.fullmatch(name) is None:
        raise DomainError("venue", f"must be a venue name like 'paper', got {v.shown(value)}")
    if venues is not None and name not in venues:
        known = ", ".join(sorted(venues)) or "none"
        raise DomainError("venue", f"{name!r} is not configured (configured: {known})")
    return name
