"""Plain-Python service events and the bus that carries them to the UI, tray and logs."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from grace_desktop.domain.models import Order, Portfolio, Position
from grace_desktop.storage.records import AlertRecord, ConditionRecord, TradeRecord
from grace_desktop.venues.base import Tick

log = logging.getLogger(__name__)


# The venue's immutable tick is published as it is: no copy per tick on the hot path.
PriceTick = Tick


@dataclass(frozen=True, slots=True)
class PortfolioChanged:
    account: str
    portfolio: Portfolio
    venue: str = ""  # "" = the primary venue (the window's status bar and ticket quote it)


@dataclass(frozen=True, slots=True)
class OrderUpdated:
    """An order's journaled state changed (sent, unknown, resolved, filled...)."""

    account: str
    order: Order
    venue: str = ""
    purpose: str = ""
    has_exits: bool = False  # exits were staged with it and wait for its outcome


@dataclass(frozen=True, slots=True)
class PositionUpdated:
    """A venue reported (or a read found) the position in a market: None when flat."""

    venue: str
    account: str
    market: str
    position: Position | None


@dataclass(frozen=True, slots=True)
class ConditionArmed:
    """A new entry condition was journaled and must be armed in the monitor's trigger book."""

    condition: ConditionRecord


@dataclass(frozen=True, slots=True)
class SettingsChanged:
    account: str


@dataclass(frozen=True, slots=True)
class MarketStale:
    """No tick from `venue` for `market` for `age` seconds (stale=True), or prices are back (stale=False)."""

    venue: str
    market: str
    stale: bool
    age: float = 0.0


@dataclass(frozen=True, slots=True)
class TradeClosed:
    trade: TradeRecord


@dataclass(frozen=True, slots=True)
class AlertRaised:
    alert: AlertRecord


@dataclass(frozen=True, slots=True)
class VenueStatusChanged:
    venue: str
    ok: bool
    detail: str


Event = (PriceTick | PortfolioChanged | OrderUpdated | TradeClosed | AlertRaised | VenueStatusChanged | PositionUpdated
         | SettingsChanged | MarketStale | ConditionArmed)
Listener = Callable[[object], None]
AsyncListener = Callable[[object], Awaitable[None]]


class EventBus:
    """Fan-out on the loop thread. A failing listener is logged, never breaks the others.

    Plain listeners run synchronously inside `publish` (the tick path). Async listeners run when an
    event is published with `await publish_async(...)`: the publisher then waits until they are
    done, so e.g. an order's exits are armed by the time `execute_trade` returns.
    """

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._async_listeners: list[AsyncListener] = []
        # Listeners of one event type only: a tick published on the bus does not call them.
        self._typed: dict[type, list[Listener]] = {}

    def subscribe_async(self, listener: AsyncListener) -> Callable[[], None]:
        self._async_listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._async_listeners:
                self._async_listeners.remove(listener)

        return unsubscribe

    async def publish_async(self, event: object) -> None:
        self.publish(event)
        for listener in tuple(self._async_listeners):
            try:
                await listener(event)
            except Exception:
                log.exception("async event listener failed on %s", type(event).__name__)

    def subscribe(self, listener: Listener, only: type | None = None) -> Callable[[], None]:
        """`only`: call `listener` for events of exactly that type (and nothing else)."""
        listeners = self._listeners if only is None else self._typed.setdefault(only, [])
        listeners.append(listener)

        def unsubscribe() -> None:
            if listener in listeners:
                listeners.remove(listener)

        return unsubscribe

    def publish(self, event: object) -> None:
        typed = self._typed.get(type(event))
        for listener in (*self._listeners, *typed) if typed else tuple(self._listeners):
            try:
                listener(event)
            except Exception:  # a UI bug must not stop the monitor
                log.exception("event listener failed on %s", type(event).__name__)
