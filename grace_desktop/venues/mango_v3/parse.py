"""The service's JSON, read into typed records; anything malformed becomes a VenueError naming the field.

Numbers may arrive as JSON numbers or as strings (`entryPrice` is a Big.js string, fill rows from
the event-history API carry strings); both are read. Nothing here does I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from grace_desktop.venues.base import VenueError
from grace_desktop.venues.mango_v3.rounding import exact


class MalformedReply(VenueError):
    """The service answered something that is not the documented shape."""


def _bad(what: str, value: object) -> MalformedReply:
    text = repr(value)
    return MalformedReply(f"mango_v3: malformed reply: {what}: {text[:80]}", retryable=True)


def number(value: object, what: str, *, optional: bool = False) -> float | None:
    """A finite float from a JSON number or a numeric string (None if optional and null/absent)."""
    if value is None or value == "":
        if optional:
            return None
        raise _bad(what, value)
    if isinstance(value, bool):
        raise _bad(what, value)
    if isinstance(value, int | float):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            raise _bad(what, value) from None
    else:
        raise _bad(what, value)
    if not math.isfinite(result):
        raise _bad(what, value)
    return result


def req_number(value: object, what: str) -> float:
    result = number(value, what)
    assert result is not None
    return result


def text(value: object, what: str) -> str:
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise _bad(what, value)


def obj(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad(what, value)
    return value


def rows(value: object, what: str) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise _bad(what, value)
    return [obj(item, f"{what}[{i}]") for i, item in enumerate(value)]


def timestamp(value: object, what: str) -> float:
    """Unix seconds from an ISO string ("2021-09-23T07:35:48.000Z") or a number of seconds."""
    if isinstance(value, str) and not value.strip().lstrip("-").replace(".", "", 1).isdigit():
        try:
            return datetime.fromisoformat(value.strip().replace("Z", "+00:00")).timestamp()
        except ValueError:
            raise _bad(what, value) from None
    return req_number(value, what)


def client_id(value: object) -> str:
    """A numeric client id as text ("" for none: the service omits 0)."""
    if value is None or value == "" or value == 0 or value == "0":
        return ""
    if isinstance(value, bool):
        raise _bad("clientId", value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str) and value.strip().isdigit():
        return str(int(value.strip()))
    raise _bad("clientId", value)


@dataclass(frozen=True, slots=True)
class MarketInfo:
    name: str
    base: str
    kind: str  # "futures" (perp) or "spot"
    bid: float | None
    ask: float | None
    last: float | None
    price: float | None
    price_increment: Decimal
    size_increment: Decimal

    @property
    def is_perp(self) -> bool:
        return self.kind == "futures"

    @property
    def mid(self) -> float | None:
        """The mark: bid/ask midpoint (the service's `price` comes from an off-chain feed and may be null)."""
        if self.bid is not None and self.ask is not None and self.bid > 0 and self.ask > 0:
            return (self.bid + self.ask) / 2
        return None


def market(row: object) -> MarketInfo:
    r = obj(row, "market")
    name = text(r.get("name"), "market.name")
    price_inc = req_number(r.get("priceIncrement"), f"{name}.priceIncrement")
    size_inc = req_number(r.get("sizeIncrement"), f"{name}.sizeIncrement")
    if price_inc <= 0 or size_inc <= 0:
        raise _bad(f"{name} increments", (price_inc, size_inc))
    return MarketInfo(
        name=name,
        base=text(r.get("baseCurrency") or r.get("underlying") or name.split("-")[0], f"{name}.baseCurrency"),
        kind=text(r.get("type"), f"{name}.type"),
        bid=number(r.get("bid"), f"{name}.bid", optional=True),
        ask=number(r.get("ask"), f"{name}.ask", optional=True),
        last=number(r.get("last"), f"{name}.last", optional=True),
        price=number(r.get("price"), f"{name}.price", optional=True),
        price_increment=exact(price_inc),
        size_increment=exact(size_inc),
    )


@dataclass(frozen=True, slots=True)
class Book:
    asks: tuple[tuple[float, float], ...]
    bids: tuple[tuple[float, float], ...]


def book(value: object) -> Book:
    r = obj(value, "orderbook")

    def side(name: str) -> tuple[tuple[float, float], ...]:
        levels = r.get(name)
        if not isinstance(levels, list):
            raise _bad(f"orderbook.{name}", levels)
        out = []
        for level in levels:
            if not isinstance(level, list | tuple) or len(level) < 2:
                raise _bad(f"orderbook.{name} row", level)
            out.append((req_number(level[0], "price"), req_number(level[1], "size")))
        return tuple(out)

    return Book(side("asks"), side("bids"))


@dataclass(frozen=True, slots=True)
class Trade:
    price: float
    size: float
    side: str
    ts: float


def trade(row: object) -> Trade:
    r = obj(row, "trade")
    return Trade(req_number(r.get("price"), "trade.price"), req_number(r.get("size"), "trade.size"),
                 text(r.get("side"), "trade.side"), timestamp(r.get("time"), "trade.time"))


@dataclass(frozen=True, slots=True)
class Candle:
    ts: float
    open: float
    high: float
    low: float
    close: float
    volume: float


def candle(row: object) -> Candle:
    r = obj(row, "candle")
    return Candle(*(req_number(r.get(k), f"candle.{k}") for k in ("time", "open", "high", "low", "close", "volume")))


@dataclass(frozen=True, slots=True)
class Balance:
    coin: str
    free: float
    total: float
    borrow: float
    usd_value: float


def balance(row: object) -> Balance:
    r = obj(row, "balance")
    coin = text(r.get("coin"), "balance.coin")
    return Balance(coin, req_number(r.get("free", 0), f"{coin}.free"), req_number(r.get("total"), f"{coin}.total"),
                   req_number(r.get("spotBorrow", 0), f"{coin}.spotBorrow"),
                   req_number(r.get("usdValue", 0), f"{coin}.usdValue"))


@dataclass(frozen=True, slots=True)
class ServicePosition:
    market: str
    net_size: float  # signed base units
    entry_price: float | None  # average open price (None: the service could not compute it)
    break_even: float | None
    unrealized_pnl: float | None
    cost: float  # |net| x oracle


def position(row: object) -> ServicePosition:
    r = obj(row, "position")
    name = text(r.get("future"), "position.future")
    net = number(r.get("netSize"), f"{name}.netSize", optional=True)
    if net is None:  # netSize omitted: size and side say the same
        size = req_number(r.get("size"), f"{name}.size")
        net = -size if str(r.get("side", "")).lower() == "short" else size
    entry = number(r.get("entryPrice"), f"{name}.entryPrice", optional=True)
    return ServicePosition(
        name, net, entry if entry else None,  # the number 0 means "could not be computed"
        number(r.get("recentBreakEvenPrice"), f"{name}.recentBreakEvenPrice", optional=True),
        number(r.get("unrealizedPnl"), f"{name}.unrealizedPnl", optional=True),
        abs(number(r.get("cost"), f"{name}.cost", optional=True) or 0.0),
    )


@dataclass(frozen=True, slots=True)
class ServiceOrder:
    order_id: str
    client_id: str
    market: str
    side: str
    price: float
    size: float
    created_at: float | None


def open_order(row: object) -> ServiceOrder:
    r = obj(row, "order")
    name = text(r.get("market") or r.get("future"), "order.market")
    created = r.get("createdAt")
    return ServiceOrder(
        text(r.get("id"), f"{name} order.id"), client_id(r.get("clientId")), name,
        text(r.get("side"), f"{name} order.side").lower(), req_number(r.get("price"), f"{name} order.price"),
        req_number(r.get("size"), f"{name} order.size"),
        None if created in (None, "") else timestamp(created, f"{name} order.createdAt"),
    )


@dataclass(frozen=True, slots=True)
class FillRow:
    """One of Mango's perp fill events as the event-history API lists them (fees are rates)."""

    market: str
    seq: str
    ts: float
    taker: str
    maker: str
    taker_client_id: str
    maker_client_id: str
    taker_order_id: str
    maker_order_id: str
    taker_side: str  # "buy" / "sell"
    price: float
    quantity: float
    taker_fee: float
    maker_fee: float


def fill_row(row: object, market_name: str) -> FillRow:
    r = obj(row, "fill")
    side = text(r.get("takerSide"), "fill.takerSide").lower()
    side = {"bid": "buy", "ask": "sell"}.get(side, side)
    if side not in ("buy", "sell"):
        raise _bad("fill.takerSide", side)
    when = r.get("loadTimestamp", r.get("timestamp"))
    return FillRow(
        market=market_name, seq=text(r.get("seqNum"), "fill.seqNum"), ts=timestamp(when, "fill.timestamp"),
        taker=str(r.get("taker") or ""), maker=str(r.get("maker") or ""),
        taker_client_id=client_id(r.get("takerClientOrderId")), maker_client_id=client_id(r.get("makerClientOrderId")),
        taker_order_id=str(r.get("takerOrderId") or ""), maker_order_id=str(r.get("makerOrderId") or ""),
        taker_side=side, price=req_number(r.get("price"), "fill.price"),
        quantity=req_number(r.get("quantity"), "fill.quantity"),
        taker_fee=number(r.get("takerFee"), "fill.takerFee", optional=True) or 0.0,
        maker_fee=number(r.get("makerFee"), "fill.makerFee", optional=True) or 0.0,
    )


@dataclass(frozen=True, slots=True)
class AccountInfo:
    margin_available: dict[str, float]


def account(value: object) -> AccountInfo:
    r = obj(value, "mango account")
    margins = {}
    for row in rows(r.get("marketMarginAvailable", []), "marketMarginAvailable"):
        name = text(row.get("name"), "marketMarginAvailable.name")
        margins[name] = req_number(row.get("marginAvailable"), f"{name}.marginAvailable")
    return AccountInfo(margins)
