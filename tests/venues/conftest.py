"""Paper venue fixtures: started venues on the shared `store` (tests/conftest.py) and a hand-moved clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from grace_desktop.storage import Storage
from grace_desktop.venues.paper import PaperVenue
from tests.venues.helpers import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()




@pytest.fixture
async def make_venue(store: Storage, clock: Clock) -> AsyncIterator[Callable[..., Any]]:
    """Build started PaperVenues on the test's store (several = restarts); all closed at the end."""
    venues: list[PaperVenue] = []

    async def build(**kwargs: Any) -> PaperVenue:
        kwargs.setdefault("slippage_bps", 0.0)
        kwargs.setdefault("clock", clock)
        venue = PaperVenue(kwargs.pop("store", store), **kwargs)
        await venue.start()
        venues.append(venue)
        return venue

    yield build
    for venue in venues:
        await venue.close()


@pytest.fixture
async def venue(make_venue: Callable[..., Any]) -> PaperVenue:
    return await make_venue()
