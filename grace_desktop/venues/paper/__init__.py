"""The embedded paper venue: a simulated perp + spot exchange behind the Venue protocol."""

from grace_desktop.venues.paper.venue import PaperVenue

__all__ = ["PaperVenue"]
