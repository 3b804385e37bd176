"""Price sources for the paper venue: a simulated process, a replay of shipped candles, and live
public prices (Hyperliquid's `/info`) that fall back to simulated prices when unreachable.

The sources are imported when first named, not with the package: the live one brings httpx (and
with it rich, ~0.15 s), which the window's first paint must not wait for when prices are simulated.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import AsyncIterable, Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from grace_desktop.venues.base import Tick
    from grace_desktop.venues.feeds.fallback import FallbackFeed
    from grace_desktop.venues.feeds.live import LiveFeed
    from grace_desktop.venues.feeds.notice import FeedNotice
    from grace_desktop.venues.feeds.replay import ReplayFeed
    from grace_desktop.venues.feeds.simulated import PriceProcess, SimulatedFeed, round_to_tick

FEED_KINDS = ("simulated", "replay", "live")

_SOURCES = {
    "FallbackFeed": "fallback", "FeedNotice": "notice", "LiveFeed": "live", "PriceProcess": "simulated",
    "ReplayFeed": "replay", "SimulatedFeed": "simulated", "round_to_tick": "simulated",
}  # fmt: skip

__all__ = [
    "FEED_KINDS", "FallbackFeed", "FeedNotice", "LiveFeed", "PriceProcess", "ReplayFeed", "SimulatedFeed",
    "make_feed", "round_to_tick",
]  # fmt: skip


def __getattr__(name: str) -> Any:
    module = _SOURCES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


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
        from grace_desktop.venues.feeds.simulated import SimulatedFeed

        return SimulatedFeed(seed=seed)
    if kind == "replay":
        from grace_desktop.venues.feeds.replay import ReplayFeed

        return ReplayFeed(url, markets=markets, repeat=True)
    if kind == "live":
        from grace_desktop.venues.feeds.fallback import FallbackFeed
        from grace_desktop.venues.feeds.live import LiveFeed
        from grace_desktop.venues.feeds.simulated import SimulatedFeed

        return FallbackFeed(LiveFeed(url, markets=markets), lambda: SimulatedFeed(seed=seed), on_notice=on_notice)
    raise ValueError(f"feed: one of {', '.join(FEED_KINDS)}, got {kind!r}")
