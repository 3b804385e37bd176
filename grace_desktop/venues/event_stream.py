"""Fan-out of a venue's typed events to any number of `events()` subscriptions, never dropping one.

Unlike prices (where a newer tick supersedes an older one), every fill, order change,
position change and funding payment matters to the journal, so each subscription buffers
without a bound. A subscriber that stops reading must close its subscription (or leave the
`async for`), else its buffer grows; the venue ends every subscription when it closes.
"""

from __future__ import annotations

from collections.abc import Iterable

from grace_desktop.venues.buffered import BufferedStream
from grace_desktop.venues.events import VenueEvent


class EventSubscription(BufferedStream[VenueEvent]):
    """Async iterator of venue events, in the order the venue applied them; ends when closed."""

    def __init__(self, hub: EventHub | None = None) -> None:
        super().__init__(None if hub is None else hub._forget)

    def push(self, event: VenueEvent) -> None:
        if self._closed:
            return
        self._buffer.append(event)
        self._wake()


class EventHub:
    """What a venue publishes into; `subscribe()` backs its `events()`."""

    def __init__(self) -> None:
        self._subscriptions: list[EventSubscription] = []
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def subscribers(self) -> int:
        return len(self._subscriptions)

    def subscribe(self) -> EventSubscription:
        """A new subscription that sees every event published from now on (already ended if the hub closed)."""
        subscription = EventSubscription(self)
        if self._closed:
            subscription.close()
        else:
            self._subscriptions.append(subscription)
        return subscription

    def publish(self, events: Iterable[VenueEvent]) -> None:
        """Hand `events` to every subscription (synchronous, never blocks)."""
        events = tuple(events)
        if not events:
            return
        for subscription in tuple(self._subscriptions):
            for event in events:
                subscription.push(event)

    def close(self) -> None:
        self._closed = True
        for subscription in tuple(self._subscriptions):
            subscription.close()

    def _forget(self, subscription: EventSubscription) -> None:
        if subscription in self._subscriptions:
            self._subscriptions.remove(subscription)
