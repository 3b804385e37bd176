"""Small builders shared by the venue tests."""

from __future__ import annotations

from typing import Any

from grace_desktop.domain.models import Order, OrderRequest
from grace_desktop.venues.paper import PaperVenue


class Clock:
    def __init__(self, t: float = 1_700_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> float:
        self.t += seconds
        return self.t


_ids = iter(range(1, 1_000_000))


def order(market: str, side: str, size: float, *, account: str = "alice", leverage: float = 1.0,
          client_id: str | None = None, **kwargs: Any) -> OrderRequest:
    return OrderRequest(account, market, side, size, leverage=leverage,
                        client_id=client_id or f"t-{next(_ids)}", **kwargs)


async def place(venue: PaperVenue, market: str, side: str, size: float, **kwargs: Any) -> Order:
    return await venue.place_order(order(market, side, size, **kwargs))
