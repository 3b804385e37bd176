"""Errors raised by the domain layer; each names the field or rule at fault."""

from __future__ import annotations


class DomainError(ValueError):
    """A value the domain refuses. `field` names what was wrong so the UI can point at it."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.detail = message
        super().__init__(f"{field}: {message}")


class SizingError(DomainError):
    """A size that cannot be traded (e.g. rounds to zero at the market's lot size)."""
