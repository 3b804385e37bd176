"""Sides, order types and statuses as enums; string values are what the journal stores."""

from __future__ import annotations

from enum import Enum


class Side(str, Enum):
    """Direction of a position."""

    LONG = "long"
    SHORT = "short"

    @property
    def sign(self) -> int:
        return 1 if self is Side.LONG else -1

    @property
    def opposite(self) -> Side:
        return Side.SHORT if self is Side.LONG else Side.LONG

    @classmethod
    def parse(cls, value: object) -> Side:
        """Accept the enum, "long"/"short", or an order side ("buy" opens long, "sell" short)."""
        if isinstance(value, Side):
            return value
        if isinstance(value, OrderSide):
            return value.position_side
        text = str(value).strip().lower()
        if text in ("long", "buy"):
            return cls.LONG
        if text in ("short", "sell"):
            return cls.SHORT
        from grace_desktop.domain.errors import DomainError

        raise DomainError("side", f"must be 'long' or 'short', got {value!r}")


class OrderSide(str, Enum):
    BUY = "buy"
    SELL = "sell"

    @property
    def position_side(self) -> Side:
        return Side.LONG if self is OrderSide.BUY else Side.SHORT

    @property
    def sign(self) -> int:
        return 1 if self is OrderSide.BUY else -1

    @property
    def opposite(self) -> OrderSide:
        return OrderSide.SELL if self is OrderSide.BUY else OrderSide.BUY

    @classmethod
    def closing(cls, position_side: Side) -> OrderSide:
        """The order side that reduces a position of `position_side`."""
        return cls.SELL if position_side is Side.LONG else cls.BUY

    @classmethod
    def parse(cls, value: object) -> OrderSide:
        if isinstance(value, OrderSide):
            return value
        if isinstance(value, Side):
            return cls.BUY if value is Side.LONG else cls.SELL
        text = str(value).strip().lower()
        if text in ("buy", "long"):
            return cls.BUY
        if text in ("sell", "short"):
            return cls.SELL
        from grace_desktop.domain.errors import DomainError

        raise DomainError("side", f"must be 'buy' or 'sell', got {value!r}")


class OrderType(str, Enum):
    MARKET = "market"
    LIMIT = "limit"

    @classmethod
    def parse(cls, value: object) -> OrderType:
        if isinstance(value, OrderType):
            return value
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            from grace_desktop.domain.errors import DomainError

            raise DomainError("order_type", f"must be 'market' or 'limit', got {value!r}") from None


class OrderStatus(str, Enum):
    INTENT = "intent"  # written to the journal, not yet acknowledged by a venue
    OPEN = "open"  # resting on the venue
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"  # refused by risk checks or by the venue
    FAILED = "failed"  # never reached the venue (or the venue has no record of it)

    @property
    def is_final(self) -> bool:
        return self in (OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.FAILED)


class MarketKind(str, Enum):
    PERP = "perp"
    SPOT = "spot"
