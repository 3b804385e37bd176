"""The monitor's side of the trigger book: arming a watch's levels, taking them back, and acting at
once on levels the current price has already crossed.

A level armed after the tick that crossed it (a position's exits planned as it lands, new settings)
would otherwise wait for the next tick, which a quiet market or a slow price source (a spot price
polled every 10 s) may not send for long. Only at a fresh price: a stale one is what staleness
alerts are for, not a close.
"""

from __future__ import annotations

import time
from typing import Any

from grace_desktop.domain.trigger_book import TriggerBook
from grace_desktop.services.trading import TradingService
from grace_desktop.services.watch import Watch
from grace_desktop.venues.base import Tick

PositionKey = tuple[str, str, str]  # venue, account, market


class LevelArming:
    trading: TradingService
    books: dict[str, TriggerBook]
    _watches: dict[PositionKey, Watch]

    def is_blind(self, venue: str, market: str) -> bool:
        raise NotImplementedError

    def _handle(self, venue: str, fired: list[Any], tick: Tick) -> None:
        raise NotImplementedError

    def _arm_level(self, key: PositionKey, level: str, watch: Watch) -> None:
        price, direction = watch.levels[level]
        self.books[key[0]].arm(("exit", key[1], key[2], level), key[2], price, direction)

    def _disarm(self, key: PositionKey, watch: Watch) -> None:
        book = self.books[key[0]]
        for level in watch.levels:
            book.cancel(("exit", key[1], key[2], level))

    def _act_at_marks(self, account: str) -> None:
        """Levels new settings put beyond the current price act now: the user was told which positions
        saving would close and said yes."""
        for venue, market in {(k[0], k[2]) for k in self._watches if k[1] == account}:
            self._act_at_mark(venue, market)

    def _act_at_mark(self, venue: str, market: str) -> None:
        mark = self.trading.mark(market, venue)
        book = self.books.get(venue)
        if mark is None or book is None or self.is_blind(venue, market):
            return
        fired = book.on_tick(market, mark)
        if fired:
            self._handle(venue, fired, Tick(market, mark, time.time(), venue))
