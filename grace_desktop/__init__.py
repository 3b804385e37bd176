"""Grace Desktop: a desktop trading terminal with event-driven auto-trading."""

__version__ = "0.1.0"
