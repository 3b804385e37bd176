"""Per-market resting trigger prices, indexed so one tick touches only what it fires.

Each market keeps two heaps: triggers that fire when the price falls to them (a max-heap,
whose top is the highest such trigger) and triggers that fire when the price rises to them
(a min-heap). A tick pops from the tops while they are crossed: O(log n) per fired trigger
and O(1) when nothing fires. Cancelling is O(1) (the heap entry is left stale and skipped);
re-arming pushes a fresh entry, O(log n). Stale entries are compacted once they outnumber
live ones, so memory stays proportional to what is armed.
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field
from itertools import count

from grace_desktop.domain import validation as v
from grace_desktop.domain.conditions import Direction


@dataclass(slots=True)
class _Armed:
    market: str
    price: float
    direction: Direction
    seq: int


@dataclass(slots=True)
class _MarketHeaps:
    below: list[tuple[float, int, Hashable]] = field(default_factory=list)  # (-price, seq, key)
    above: list[tuple[float, int, Hashable]] = field(default_factory=list)  # (price, seq, key)
    live_below: int = 0
    live_above: int = 0


class TriggerBook:
    """Resting one-shot triggers keyed by any hashable key; `on_tick` returns and removes the crossed ones."""

    def __init__(self) -> None:
        self._armed: dict[Hashable, _Armed] = {}
        self._markets: dict[str, _MarketHeaps] = {}
        self._seq = count()

    def __len__(self) -> int:
        return len(self._armed)

    def __contains__(self, key: object) -> bool:
        return key in self._armed

    def markets(self) -> set[str]:
        return {m for m, h in self._markets.items() if h.live_below or h.live_above}

    def get(self, key: Hashable) -> tuple[str, float, Direction] | None:
        armed = self._armed.get(key)
        return None if armed is None else (armed.market, armed.price, armed.direction)

    def keys(self) -> Iterator[Hashable]:
        return iter(list(self._armed))

    def arm(self, key: Hashable, market: str, price: float, direction: Direction) -> None:
        """Arm (or re-arm, replacing the old price) the trigger `key`."""
        price = v.finite("trigger_price", price)
        direction = Direction(direction)
        self.cancel(key)
        seq = next(self._seq)
        self._armed[key] = _Armed(market, price, direction, seq)
        heaps = self._markets.get(market)
        if heaps is None:
            heaps = self._markets[market] = _MarketHeaps()
        if direction is Direction.AT_OR_BELOW:
            heapq.heappush(heaps.below, (-price, seq, key))
            heaps.live_below += 1
        else:
            heapq.heappush(heaps.above, (price, seq, key))
            heaps.live_above += 1

    def cancel(self, key: Hashable) -> bool:
        armed = self._armed.pop(key, None)
        if armed is None:
            return False
        heaps = self._markets[armed.market]
        if armed.direction is Direction.AT_OR_BELOW:
            heaps.live_below -= 1
            if len(heaps.below) > 2 * heaps.live_below + 64:
                heaps.below = self._compact(heaps.below)
        else:
            heaps.live_above -= 1
            if len(heaps.above) > 2 * heaps.live_above + 64:
                heaps.above = self._compact(heaps.above)
        return True

    def _compact(self, heap: list[tuple[float, int, Hashable]]) -> list[tuple[float, int, Hashable]]:
        kept = [e for e in heap if self._is_live(e[2], e[1])]
        heapq.heapify(kept)
        return kept

    def _is_live(self, key: Hashable, seq: int) -> bool:
        armed = self._armed.get(key)
        return armed is not None and armed.seq == seq

    def peek(self, market: str) -> tuple[float | None, float | None]:
        """The nearest live triggers: (highest at-or-below, lowest at-or-above)."""
        heaps = self._markets.get(market)
        if heaps is None:
            return (None, None)
        for heap in (heaps.below, heaps.above):
            while heap and not self._is_live(heap[0][2], heap[0][1]):
                heapq.heappop(heap)
        below = -heaps.below[0][0] if heaps.below else None
        above = heaps.above[0][0] if heaps.above else None
        return (below, above)

    def on_tick(self, market: str, price: float) -> list[Hashable]:
        """Remove and return every trigger of `market` that `price` crosses."""
        heaps = self._markets.get(market)
        if heaps is None:
            return []
        fired: list[Hashable] = []
        below = heaps.below
        while below and -below[0][0] >= price:
            _, seq, key = heapq.heappop(below)
            if self._is_live(key, seq):
                del self._armed[key]
                heaps.live_below -= 1
                fired.append(key)
        above = heaps.above
        while above and above[0][0] <= price:
            _, seq, key = heapq.heappop(above)
            if self._is_live(key, seq):
                del self._armed[key]
                heaps.live_above -= 1
                fired.append(key)
        return fired
