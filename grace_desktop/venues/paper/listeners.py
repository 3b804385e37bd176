"""The paper venue's synchronous listeners: callbacks run right after the venue applied a tick or
a change, on the caller's stack. The services read `events()` instead; these serve the paper
venue's own tests and embedders that want the engine's events without a subscription."""

from __future__ import annotations

from collections.abc import Callable

from grace_desktop.venues.base import Tick
from grace_desktop.venues.paper.events import FillEvent, FundingEvent, LiquidationEvent, OrderEvent
from grace_desktop.venues.paper.reporting import Listener, Listeners


class SyncListeners:
    """Mixed into PaperVenue, which owns `_tick_listeners` and `_listeners`."""

    _tick_listeners: list[Callable[[Tick], None]]
    _listeners: Listeners

    def add_tick_listener(self, callback: Callable[[Tick], None]) -> Callable[[], None]:
        """callback(tick) runs synchronously after the venue applied the tick."""
        self._tick_listeners.append(callback)
        return lambda: self.remove_tick_listener(callback)

    def remove_tick_listener(self, callback: Callable[[Tick], None]) -> None:
        if callback in self._tick_listeners:
            self._tick_listeners.remove(callback)

    def add_fill_listener(self, callback: Callable[[FillEvent], None]) -> Callable[[], None]:
        return self._add(FillEvent, callback)

    def add_liquidation_listener(self, callback: Callable[[LiquidationEvent], None]) -> Callable[[], None]:
        return self._add(LiquidationEvent, callback)

    def add_funding_listener(self, callback: Callable[[FundingEvent], None]) -> Callable[[], None]:
        return self._add(FundingEvent, callback)

    def add_order_listener(self, callback: Callable[[OrderEvent], None]) -> Callable[[], None]:
        return self._add(OrderEvent, callback)

    def _add(self, kind: type, callback: Listener) -> Callable[[], None]:
        return self._listeners.add(kind, callback)
