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


class TimeInForce(str, Enum):
    """How long a limit order may live: rest until cancelled, fill now or never, or only ever rest."""

    GTC = "gtc"  # good till cancelled: rests on the book
    IOC = "ioc"  # immediate or cancel: fills what it can at once, the rest expires
    POST_ONLY = "post_only"  # maker only: refused if it would take liquidity

    @classmethod
    def parse(cls, value: object) -> TimeInForce:
        if isinstance(value, TimeInForce):
            return value
        try:
            return cls(str(value).strip().lower().replace("-", "_"))
        except ValueError:
            from grace_desktop.domain.errors import DomainError

            raise DomainError("time_in_force", f"must be 'gtc', 'ioc' or 'post_only', got {value!r}") from None


class OrderStatus(str, Enum):
    """An order's lifecycle: intent -> submitted -> partially_filled -> filled | cancelled | rejected | expired.

    UNKNOWN means "sent, outcome not known yet" (a timeout, a lost reply): it may still execute,
    so it is never final; it is resolved by client id, fills and positions, never by sending again.
    FAILED is kept only for an order the venue provably never got.
    """

    INTENT = "intent"  # written to the journal, not yet sent
    SUBMITTED = "submitted"  # the venue acknowledged it (or a chain took it), no fill known yet
    OPEN = "open"  # resting on the venue's book
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"  # refused by risk checks or by the venue
    EXPIRED = "expired"  # an IOC/time-bound order ended unfilled (or partly filled) at the venue
    UNKNOWN = "unknown"  # sent; the reply never came: outcome not known yet
    FAILED = "failed"  # provably never reached the venue

    @property
    def is_final(self) -> bool:
        return self in _FINAL

    @property
    def is_live(self) -> bool:
        """The venue may still fill (more of) it."""
        return self in (OrderStatus.SUBMITTED, OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED)

    @property
    def needs_resolution(self) -> bool:
        """Its outcome must still be found at the venue (by client id, fills, positions)."""
        return self in (OrderStatus.INTENT, OrderStatus.SUBMITTED, OrderStatus.UNKNOWN)


_FINAL = frozenset({OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.EXPIRED,
                    OrderStatus.FAILED})


class MarketKind(str, Enum):
    PERP = "perp"
    SPOT = "spot"
