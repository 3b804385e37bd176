"""Price sources for the paper venue: a simulated process, a replay of shipped candles, and live
public prices (Hyperliquid's `/info`) that fall back to simulated prices when unreachable."""

from __future__ import annotations

import time
from collections.abc import AsyncIterable, Callable, Iterable

from grace_desktop.venues.base import Tick
from grace_desktop.venues.feeds.fallback import FallbackFeed, FeedNotice
from grace_desktop.venues.feeds.live import LiveFeed
from grace_desktop.venues.feeds.replay import ReplayFeed
from grace_desktop.venues.feeds.simulated import PriceProcess, SimulatedFeed, round_to_tick

FEED_KINDS = ("simulated", "replay", "live")

__all__ = [
    "FEED_KINDS", "FallbackFeed", "FeedNotice", "LiveFeed", "PriceProcess", "ReplayFeed", "SimulatedFeed",
    "make_feed", "round_to_tick",
]  # fmt: skip


def make_feed(
    kind: str, url: str | None = None, markets: Iterable[str] | None = None, *,
    on_notice: Callable[[FeedNotice], None] | None = None, seed: int | None = None,
) -> AsyncIterable[Tick]:
    """The paper venue's price source for `kind` ("simulated", "replay" or "live").

    `url`: the live source's `/info` endpoint (default Hyperliquid's), or a candle file/folder for
    replay (default: the shipped sample). A live feed falls back to simulated prices when it cannot
    be reached at start-up; `on_notice` hears about that (and about later interruptions).
    """
    seed = int(time.time()) if seed is None else seed
    if kind == "simulated":
        return SimulatedFeed(seed=seed)
    if kind == "replay":
        return ReplayFeed(url, markets=markets, repeat=True)
    if kind == "live":
        return FallbackFeed(LiveFeed(url, markets=markets), lambda: SimulatedFeed(seed=seed), on_notice=on_notice)
    raise ValueError(f"feed: one of {', '.join(FEED_KINDS)}, got {kind!r}")
