"""The one async protocol every venue adapter implements (paper, Mango V3, spot router).

Every venue is treated as remote: slow, partial, sometimes silent. Contract:
- all methods are coroutines except `subscribe_prices` and `events` (async iterators, one
  new subscription per call), `last_price` and `new_client_id`; none blocks the event loop;
- every call has a deadline inside the adapter; a transport or parse failure, and a call
  that ran out of time, raise `VenueError` (never a bare httpx/OSError/TimeoutError);
- `VenueTimeout` means "sent, no answer": the outcome is unknown, not failed;
- every order carries a client id chosen before sending (`new_client_id`, in the venue's own
  format: Mango needs a number), so after a crash or a timeout the caller can ask
  `order_by_client_id`, `fills` and `positions` what happened. Nobody re-sends to find out;
- values returned are immutable domain records.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from grace_desktop.domain.models import Fill, MarketSpec, Order, OrderRequest, Portfolio, Position

if TYPE_CHECKING:
    from grace_desktop.venues.events import FundingPaid, VenueEvent


@dataclass(frozen=True, slots=True)
class Tick:
    market: str
    price: float
    ts: float
    venue: str = ""  # who quoted it: marks are kept per (venue, market)
    # The market's own clock when `ts` is not it: a replay paced faster than real time carries
    # the wall clock in `ts` (orders and funding line up with the app) and the candles' time here,
    # which volatility is measured in.
    market_ts: float | None = None

    @property
    def market_time(self) -> float:
        return self.ts if self.market_ts is None else self.market_ts


@dataclass(frozen=True, slots=True)
class VenueHealth:
    ok: bool
    detail: str = ""
    latency_ms: float | None = None


class Capability(str, Enum):
    """What a venue can do; the venue contract suite runs the cases a venue declares."""

    PERP = "perp"  # leveraged perpetuals
    SPOT = "spot"
    RESTING_ORDERS = "resting_orders"  # limit orders that rest on a book
    PARTIAL_FILLS = "partial_fills"  # an order may fill in parts
    CANCEL = "cancel"  # resting orders can be cancelled by client id
    IOC = "ioc"  # immediate-or-cancel limit orders
    POST_ONLY = "post_only"  # maker-only limit orders (refused if they would take)
    REDUCE_ONLY = "reduce_only"  # enforced by the venue (Mango's service accepts the flag and ignores it)


class VenueError(Exception):
    """A venue call failed. The message is for the user; `retryable` says whether trying again may help.

    Messages must never contain keys, secrets or signed payloads.
    """

    def __init__(self, message: str, *, retryable: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


class OrderRejected(VenueError):
    """The venue answered and refused the order (bad market, size, reduce-only conflict, margin...)."""


class VenueTimeout(VenueError):
    """No answer within the deadline, or the connection broke after sending: the outcome is unknown."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message, retryable=True, retry_after=retry_after)


class RateLimited(VenueError):
    """The venue (or a proxy in front of it) said 429; `retry_after` seconds until it may be asked again."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message, retryable=True, retry_after=retry_after)


class NotSent(VenueError):
    """The request provably never left this machine (connection refused, DNS failure): safe to call failed."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=True)


@runtime_checkable
class Venue(Protocol):
    name: str
    supports_leverage: bool
    capabilities: frozenset[Capability]
    # Seconds after sending by which an order the venue does not know can no longer execute
    # (0: it acts within the call or never). Until then, "not found" leaves an order UNKNOWN.
    landing_window: float

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def markets(self) -> dict[str, MarketSpec]: ...

    def subscribe_prices(self, markets: Iterable[str] | None = None) -> AsyncIterator[Tick]: ...

    def events(self) -> AsyncIterator[VenueEvent]: ...

    def last_price(self, market: str) -> float | None: ...

    def new_client_id(self) -> str: ...

    async def portfolio(self, account: str) -> Portfolio: ...

    async def positions(self, account: str) -> list[Position]: ...

    async def open_orders(self, account: str) -> list[Order]: ...

    async def fills(self, account: str, since: float | None = None) -> list[Fill]: ...

    async def funding(self, account: str, since: float | None = None) -> list[FundingPaid]: ...

    async def place_order(self, request: OrderRequest) -> Order: ...

    async def cancel_order(self, account: str, client_id: str) -> bool: ...

    async def order_by_client_id(self, account: str, client_id: str) -> Order | None: ...

    async def health(self) -> VenueHealth: ...
