"""The one async protocol every venue adapter implements (paper, Mango V3, spot router).

Contract: all methods are coroutines except `subscribe_prices` (an async iterator) and
`last_price`; none blocks the event loop; values returned are immutable domain records.
Every order carries a client id chosen before sending, so after a crash or a timeout the
caller can ask `order_by_client_id` whether the venue already has it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from grace_desktop.domain.models import MarketSpec, Order, OrderRequest, Portfolio, Position


@dataclass(frozen=True, slots=True)
class Tick:
    market: str
    price: float
    ts: float


@dataclass(frozen=True, slots=True)
class VenueHealth:
    ok: bool
    detail: str = ""
    latency_ms: float | None = None


class VenueError(Exception):
    """A venue call failed. The message is for the user; `retryable` says whether trying again may help.

    Messages must never contain keys, secrets or signed payloads.
    """

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


class OrderRejected(VenueError):
    """The venue refused the order (bad market, size, reduce-only conflict, margin...)."""


@runtime_checkable
class Venue(Protocol):
    name: str
    supports_leverage: bool

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def markets(self) -> dict[str, MarketSpec]: ...

    def subscribe_prices(self, markets: Iterable[str] | None = None) -> AsyncIterator[Tick]: ...

    def last_price(self, market: str) -> float | None: ...

    async def portfolio(self, account: str) -> Portfolio: ...

    async def positions(self, account: str) -> list[Position]: ...

    async def open_orders(self, account: str) -> list[Order]: ...

    async def place_order(self, request: OrderRequest) -> Order: ...

    async def cancel_order(self, account: str, client_id: str) -> bool: ...

    async def order_by_client_id(self, account: str, client_id: str) -> Order | None: ...

    async def health(self) -> VenueHealth: ...
