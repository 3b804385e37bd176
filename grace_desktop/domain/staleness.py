"""Which (venue, market) price streams have gone quiet for longer than their threshold.

A market is *stale* when the time since its last tick is strictly greater than its
threshold. Times are whatever monotonic clock the caller uses for both `seen` and `check`
(the receive time, not the venue's own timestamp: a venue whose clock lags must not look
stale, and one that replays old ticks must not look fresh).

`seen` runs on every tick, so it is one dict store; all the work happens in `check`, which
the caller runs on a slow timer (about once a second) and which reports only what changed
since the previous check, so an alert fires once per outage, not once per check.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from grace_desktop.domain import validation as v

_Key = tuple[str, str]  # (venue, market)


@dataclass(frozen=True, slots=True)
class StaleChange:
    """A market went stale (`stale=True`) or is fresh again; `age` is seconds since its last tick.

    A market that was stale and is no longer watched (`forget`) is reported once as fresh
    again with `forgotten=True`, so whoever shows it stale can clear it.
    """

    venue: str
    market: str
    stale: bool
    age: float
    forgotten: bool = False


class StalenessWatch:
    """Last tick time per (venue, market) and the stale/fresh changes between checks.

    A market is watched once it has ticked (`seen`) or once it was subscribed (`expect`):
    a market that was never seen nor expected is never stale, whereas a subscribed market
    that never ticks goes stale `threshold` seconds after `since`.
    """

    __slots__ = ("default_after", "_per_market", "_last", "_reported", "_forgotten")

    def __init__(self, default_after: float, per_market: Mapping[str, float] | None = None) -> None:
        self.default_after = v.positive("default_after", default_after)
        self._per_market = {
            market: v.positive(f"per_market[{market!r}]", after) for market, after in (per_market or {}).items()
        }
        self._last: dict[_Key, float] = {}
        self._reported: set[_Key] = set()  # stale as of the last check
        self._forgotten: dict[_Key, float] = {}  # reported stale, then forgotten: their last tick time

    def threshold(self, market: str) -> float:
        return self._per_market.get(market, self.default_after)

    def seen(self, venue: str, market: str, ts_monotonic: float) -> None:
        """A tick of `market` from `venue` arrived at `ts_monotonic`. O(1): the hot path."""
        self._last[(venue, market)] = ts_monotonic

    def expect(self, venue: str, market: str, since: float) -> None:
        """`market` was subscribed at `since`: it is stale if no tick arrives within its threshold.

        A market already watched keeps its last tick time: re-subscribing after a reconnect
        must not make a market that has been silent for minutes look fresh.
        """
        self._last.setdefault((venue, market), since)

    def forget(self, venue: str, market: str) -> None:
        """Stop watching `market` (unsubscribed). If it was reported stale, the next check clears it."""
        key = (venue, market)
        last = self._last.pop(key, None)
        if last is not None and key in self._reported:
            self._reported.discard(key)
            self._forgotten[key] = last

    def age(self, venue: str, market: str, now: float) -> float | None:
        """Seconds since the last tick (or since it was expected); None when not watched."""
        last = self._last.get((venue, market))
        return None if last is None else now - last

    def is_stale(self, venue: str, market: str, now: float) -> bool:
        last = self._last.get((venue, market))
        return last is not None and now - last > self.threshold(market)

    def stale(self, now: float) -> list[tuple[str, str, float]]:
        """Every stale market right now as (venue, market, age), oldest silence first."""
        found = [
            (venue, market, now - last)
            for (venue, market), last in self._last.items()
            if now - last > self.threshold(market)
        ]
        found.sort(key=lambda row: (-row[2], row[0], row[1]))
        return found

    def check(self, now: float) -> list[StaleChange]:
        """The changes since the previous check: newly stale markets and markets fresh again.

        A market that went stale and recovered between two checks is not reported: nobody
        was told it was stale, so there is nothing to take back.
        """
        changes = [
            StaleChange(venue, market, False, now - last, forgotten=True)
            for (venue, market), last in self._forgotten.items()
        ]
        self._forgotten.clear()
        reported = self._reported
        for key, last in self._last.items():
            age = now - last
            is_stale = age > self.threshold(key[1])
            if is_stale != (key in reported):
                changes.append(StaleChange(key[0], key[1], is_stale, age))
                if is_stale:
                    reported.add(key)
                else:
                    reported.discard(key)
        return changes

    def __len__(self) -> int:
        return len(self._last)
