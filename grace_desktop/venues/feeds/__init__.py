"""Price sources for the paper venue: a simulated process and a replay of shipped candles."""

from grace_desktop.venues.feeds.replay import ReplayFeed
from grace_desktop.venues.feeds.simulated import PriceProcess, SimulatedFeed, round_to_tick

__all__ = ["PriceProcess", "ReplayFeed", "SimulatedFeed", "round_to_tick"]
