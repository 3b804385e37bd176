"""Keeps trailing stops' best prices in the database, so a restart never loosens a stop."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from grace_desktop.domain.models import Position
from grace_desktop.services.watch import Watch, arm_trailing
from grace_desktop.storage import Storage
from grace_desktop.storage.trailing import TrailingMark

log = logging.getLogger(__name__)

PositionKey = tuple[str, str, str]  # venue, account, market


class TrailingMarks:
    def __init__(self, store: Storage, clock: Callable[[], float]) -> None:
        self._store = store
        self._clock = clock
        self._dirty: dict[PositionKey, Watch] = {}
        self._pending_deletes: list[PositionKey] = []  # written by the next flush, off the tick path

    def moved(self, key: PositionKey, watch: Watch) -> None:
        """A new best price on the tick path: remembered now, written by the next flush."""
        self._dirty[key] = watch

    def forget(self, key: PositionKey) -> None:
        self._dirty.pop(key, None)
        self._pending_deletes.append(key)

    def resume(self, venue: str, position: Position, watch: Watch) -> None:
        """Continue from the best price saved for this very position (same side, same opening)."""
        assert watch.trailing is not None
        saved = self._store.trailing.get(venue, position.account, position.market)
        if saved is None or saved.side is not position.side or saved.opened_at != position.opened_at:
            return
        watch.trailing.update(saved.extreme)
        arm_trailing(watch)

    async def flush(self, live: Mapping[PositionKey, Watch]) -> None:
        """Write the best prices that moved since the last flush, in one transaction."""
        if not self._dirty and not self._pending_deletes:
            return
        dirty, self._dirty = self._dirty, {}
        deletes, self._pending_deletes = self._pending_deletes, []
        now = self._clock()
        marks = [
            TrailingMark(a, m, w.position.side, w.position.opened_at, w.trailing.extreme, now, venue=v)
            for (v, a, m), w in dirty.items() if w.trailing is not None and (v, a, m) in live
        ]

        def save() -> None:
            with self._store.transaction():
                for key in deletes:
                    self._store.trailing.delete(*key)
                self._store.trailing.save_many(marks)

        try:
            await self._store.write(save)
        except Exception:
            log.exception("could not save trailing stop levels; will retry")
            for key, watch in dirty.items():
                self._dirty.setdefault(key, watch)
            self._pending_deletes.extend(deletes)
