"""Immutable trading records: market specs, order requests, orders, fills, positions, portfolios."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from grace_desktop.domain import validation as v
from grace_desktop.domain.enums import MarketKind, OrderSide, OrderStatus, OrderType, Side, TimeInForce
from grace_desktop.domain.errors import DomainError


@dataclass(frozen=True, slots=True)
class MarketSpec:
    """A tradable market. Margin fractions are of notional: init 0.05 = 20x, maint 0.025 = 40x."""

    name: str
    kind: MarketKind
    base: str
    quote: str
    tick_size: float
    lot_size: float
    init_margin: float = 1.0
    maint_margin: float = 0.0
    max_leverage: float = 1.0
    taker_fee: float = 0.0
    maker_fee: float = 0.0
    liquidation_fee: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", v.text("name", self.name))
        try:
            object.__setattr__(self, "kind", MarketKind(self.kind))
        except ValueError:
            raise DomainError("kind", f"must be 'perp' or 'spot', got {self.kind!r}") from None
        v.text("base", self.base)
        v.text("quote", self.quote)
        # Store the checked floats, so a spec built from text (config, JSON) computes like any other.
        set_ = object.__setattr__
        set_(self, "tick_size", v.positive("tick_size", self.tick_size))
        set_(self, "lot_size", v.positive("lot_size", self.lot_size))
        set_(self, "max_leverage", v.leverage("max_leverage", self.max_leverage))
        if self.kind is MarketKind.PERP:
            set_(self, "init_margin", v.fraction("init_margin", self.init_margin, allow_zero=False))
            set_(self, "maint_margin", v.fraction("maint_margin", self.maint_margin))
            if self.maint_margin >= self.init_margin:
                raise DomainError("maint_margin", "must be below init_margin")
        elif self.max_leverage != 1:
            raise DomainError("max_leverage", "spot markets trade at 1x only")
        # Maker rebates are negative fees, so only a lower bound applies.
        for name in ("taker_fee", "maker_fee"):
            fee = v.finite(name, getattr(self, name))
            if not -0.01 <= fee < 0.1:
                raise DomainError(name, f"must be within [-1%, 10%), got {fee:g}")
            set_(self, name, fee)
        set_(self, "liquidation_fee", v.fraction("liquidation_fee", self.liquidation_fee))

    @property
    def is_perp(self) -> bool:
        return self.kind is MarketKind.PERP

    def round_size_down(self, size: float) -> float:
        return _round_down(size, self.lot_size)

    def round_price(self, price: float) -> float:
        return round(round(price / self.tick_size) * self.tick_size, 12)


def _round_down(value: float, step: float) -> float:
    import math

    steps = math.floor(value / step + 1e-9)
    return round(steps * step, 12)


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """What a caller asks a venue to do. Checked at construction; see `checked` for market rules."""

    account: str
    market: str
    side: OrderSide
    size: float
    order_type: OrderType = OrderType.MARKET
    price: float | None = None
    leverage: float = 1.0
    reduce_only: bool = False
    client_id: str = ""
    # Limit orders only. Not journaled (the orders table predates it): it matters when the order
    # is placed, and an order still resting after that is a plain resting order.
    time_in_force: TimeInForce = TimeInForce.GTC

    def __post_init__(self) -> None:
        object.__setattr__(self, "account", v.text("account", self.account))
        object.__setattr__(self, "market", v.text("market", self.market))
        object.__setattr__(self, "side", OrderSide.parse(self.side))
        object.__setattr__(self, "order_type", OrderType.parse(self.order_type))
        object.__setattr__(self, "size", v.positive("size", self.size))
        object.__setattr__(self, "leverage", v.leverage("leverage", self.leverage))
        if self.order_type is OrderType.LIMIT:
            if self.price is None:
                raise DomainError("price", "a limit order needs a price")
            object.__setattr__(self, "price", v.positive("price", self.price))
        elif self.price is not None:
            object.__setattr__(self, "price", v.positive("price", self.price))
        if not isinstance(self.reduce_only, bool):
            raise DomainError("reduce_only", f"must be true or false, got {self.reduce_only!r}")
        if not isinstance(self.client_id, str):
            raise DomainError("client_id", f"must be a string, got {self.client_id!r}")
        object.__setattr__(self, "time_in_force", TimeInForce.parse(self.time_in_force))
        if self.time_in_force is not TimeInForce.GTC and self.order_type is not OrderType.LIMIT:
            raise DomainError("time_in_force", f"{self.time_in_force.value} applies to limit orders only")

    def check_market(self, markets: Mapping[str, MarketSpec]) -> MarketSpec:
        """The request's market spec, after checking the market exists and the lot/tick/leverage fit."""
        spec = markets.get(self.market)
        if spec is None:
            known = ", ".join(sorted(markets)) or "none"
            raise DomainError("market", f"unknown market {self.market!r} (known: {known})")
        if self.size < spec.lot_size - 1e-12:
            raise DomainError("size", f"{self.size:g} is below the lot size {spec.lot_size:g} of {spec.name}")
        if not v.is_multiple(self.size, spec.lot_size):
            raise DomainError("size", f"{self.size:g} is not a multiple of the lot size {spec.lot_size:g}")
        if self.price is not None and self.order_type is OrderType.LIMIT and not v.is_multiple(self.price, spec.tick_size):
            raise DomainError("price", f"{self.price:g} is not a multiple of the tick size {spec.tick_size:g}")
        if not spec.is_perp and self.leverage != 1:
            raise DomainError("leverage", f"{spec.name} is a spot market; leverage must be 1, got {self.leverage:g}")
        if self.leverage > spec.max_leverage + 1e-12:
            raise DomainError("leverage", f"{self.leverage:g}x exceeds {spec.name}'s maximum {spec.max_leverage:g}x")
        return spec

    @classmethod
    def checked(cls, markets: Mapping[str, MarketSpec], **fields: object) -> OrderRequest:
        request = cls(**fields)  # type: ignore[arg-type]
        request.check_market(markets)
        return request

    def with_client_id(self, client_id: str) -> OrderRequest:
        return replace(self, client_id=v.text("client_id", client_id))


@dataclass(frozen=True, slots=True)
class Fill:
    client_id: str
    market: str
    side: OrderSide
    size: float
    price: float
    fee: float
    ts: float
    maker: bool = False
    liquidation: bool = False
    # The venue's own id for this fill (Mango: its fill event's sequence; paper: client id + n).
    # Journaling is idempotent on (venue, fill_id), so a fill polled or replayed twice counts once.
    fill_id: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "side", OrderSide.parse(self.side))
        object.__setattr__(self, "size", v.positive("size", self.size))
        object.__setattr__(self, "price", v.positive("price", self.price))
        object.__setattr__(self, "fee", v.finite("fee", self.fee))


@dataclass(frozen=True, slots=True)
class Order:
    """An order's state as the journal and venues know it."""

    request: OrderRequest
    status: OrderStatus
    venue_order_id: str | None = None
    filled_size: float = 0.0
    avg_fill_price: float | None = None
    reason: str = ""
    created_at: float = 0.0
    updated_at: float = 0.0

    @property
    def client_id(self) -> str:
        return self.request.client_id

    @property
    def remaining(self) -> float:
        return max(0.0, self.request.size - self.filled_size)

    def with_status(self, status: OrderStatus, **changes: object) -> Order:
        return replace(self, status=status, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Position:
    """An open position. `collateral` is the isolated margin posted for it (in quote currency)."""

    account: str
    market: str
    side: Side
    size: float
    entry_price: float
    leverage: float = 1.0
    collateral: float = 0.0
    realized_pnl: float = 0.0
    opened_at: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "side", Side.parse(self.side))
        object.__setattr__(self, "size", v.positive("size", self.size))
        object.__setattr__(self, "entry_price", v.positive("entry_price", self.entry_price))
        object.__setattr__(self, "leverage", v.leverage("leverage", self.leverage))
        object.__setattr__(self, "collateral", v.non_negative("collateral", self.collateral))

    @property
    def key(self) -> tuple[str, str]:
        return (self.account, self.market)

    def unrealized_pnl(self, mark: float) -> float:
        return self.side.sign * self.size * (mark - self.entry_price)

    def notional(self, mark: float) -> float:
        return self.size * mark


SPOT_WALLET = "spot"  # margin_mode of a wallet: its balance is the cash left after buying
MARGIN_MODES = ("isolated", "mango_cross", SPOT_WALLET)


@dataclass(frozen=True, slots=True)
class Portfolio:
    """Cash balance plus open positions and the marks they are valued at.

    `margin_mode`: "isolated" (each position backed by its own margin, the paper venue),
    "mango_cross" (Mango V3's account-wide health; see domain.mango_health) or "spot" (a wallet: the
    balance is the cash left after buying, so what the holdings cost is not in it; see domain.margin.equity).
    """

    account: str
    balance: float
    positions: tuple[Position, ...] = ()
    marks: Mapping[str, float] = field(default_factory=dict)
    margin_mode: str = "isolated"

    def __post_init__(self) -> None:
        if self.margin_mode not in MARGIN_MODES:
            raise DomainError("margin_mode", f"must be one of {', '.join(MARGIN_MODES)}, got {self.margin_mode!r}")

    def mark(self, market: str, default: float | None = None) -> float:
        price = self.marks.get(market, default)
        if price is None:
            raise DomainError("marks", f"no mark price for {market}")
        return price

    def position(self, market: str) -> Position | None:
        for position in self.positions:
            if position.market == market:
                return position
        return None
