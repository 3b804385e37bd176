"""Fixed-size price history per market (numpy ring buffers) for the chart; no Qt here."""

from __future__ import annotations

import numpy as np


class Ring:
    """The last `capacity` (ts, price) points, read back oldest first without copying twice."""

    __slots__ = ("ts", "px", "n", "head", "capacity")

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.ts = np.empty(capacity, dtype=np.float64)
        self.px = np.empty(capacity, dtype=np.float64)
        self.n = 0
        self.head = 0  # next write position

    def append(self, ts: float, price: float) -> None:
        self.ts[self.head] = ts
        self.px[self.head] = price
        self.head = (self.head + 1) % self.capacity
        self.n = min(self.n + 1, self.capacity)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        if self.n < self.capacity:
            return self.ts[: self.n], self.px[: self.n]
        order = np.r_[self.head : self.capacity, 0 : self.head]
        return self.ts[order], self.px[order]

    def last(self) -> float | None:
        if self.n == 0:
            return None
        return float(self.px[(self.head - 1) % self.capacity])


class PriceHistory:
    def __init__(self, capacity: int = 3000) -> None:
        self.capacity = capacity
        self._rings: dict[str, Ring] = {}

    def add(self, market: str, ts: float, price: float) -> None:
        ring = self._rings.get(market)
        if ring is None:
            ring = self._rings[market] = Ring(self.capacity)
        ring.append(ts, price)

    def arrays(self, market: str) -> tuple[np.ndarray, np.ndarray]:
        ring = self._rings.get(market)
        if ring is None:
            return np.empty(0), np.empty(0)
        return ring.arrays()

    def last(self, market: str) -> float | None:
        ring = self._rings.get(market)
        return ring.last() if ring else None

    def __len__(self) -> int:
        return len(self._rings)
