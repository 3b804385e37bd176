"""A ticket backend made of the real domain objects (RiskPolicy, Portfolio, EwmaVolatility).

It answers the same questions TradingService answers for the ticket, from the same domain
code, so widget tests run before (and independently of) the services layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from grace_desktop.domain.enums import MarketKind
from grace_desktop.domain.models import MarketSpec, Order, OrderRequest, Portfolio, Position
from grace_desktop.domain.order_checks import reserved_margin
from grace_desktop.domain.risk import RiskDecision, RiskPolicy
from grace_desktop.domain.settings import AccountSettings
from grace_desktop.domain.volatility import VolatilityCap
from grace_desktop.services.order_guards import apply_guards, entry_price
from grace_desktop.services.trade_types import TradeConditions

SPECS = {
    "BTC-PERP": MarketSpec("BTC-PERP", MarketKind.PERP, "BTC", "USDC", tick_size=0.5, lot_size=0.0001,
                           init_margin=0.05, maint_margin=0.025, max_leverage=20, taker_fee=0.0004,
                           maker_fee=-0.0003, liquidation_fee=0.0125),
    "SOL-PERP": MarketSpec("SOL-PERP", MarketKind.PERP, "SOL", "USDC", tick_size=0.001, lot_size=0.01,
                           init_margin=0.05, maint_margin=0.025, max_leverage=20, taker_fee=0.0004,
                           maker_fee=-0.0003, liquidation_fee=0.0125),
    "SOL/USDC": MarketSpec("SOL/USDC", MarketKind.SPOT, "SOL", "USDC", tick_size=0.001, lot_size=0.01),
}


@dataclass
class DomainBackend:
    balance: float = 10_000.0
    marks: dict[str, float] = field(default_factory=lambda: {"BTC-PERP": 60_000.0, "SOL-PERP": 150.0, "SOL/USDC": 150.0})
    positions: list[Position] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)  # resting orders (their margin is held back)
    vols: dict[str, float] = field(default_factory=dict)
    account_settings: AccountSettings = field(default_factory=lambda: AccountSettings(max_leverage=20, default_leverage=2))

    def markets(self) -> dict[str, MarketSpec]:
        return dict(SPECS)

    def mark(self, market: str) -> float | None:
        return self.marks.get(market)

    def daily_volatility(self, market: str) -> float | None:
        return self.vols.get(market)

    def _policy(self) -> RiskPolicy:
        return RiskPolicy(self.account_settings.risk_limits())

    def allowed_leverage(self, account: str, market: str) -> tuple[float, VolatilityCap | None]:
        return self._policy().allowed_leverage(SPECS[market], self.vols.get(market))

    def portfolio(self, account: str) -> Portfolio:
        return Portfolio(account, self.balance, tuple(self.positions), dict(self.marks))

    def settings(self, account: str) -> AccountSettings:
        return self.account_settings

    def order_options(self, account: str, market: str) -> frozenset[str]:
        return frozenset({"stop", "ioc", "post_only", "reduce_only"})

    def reserved_margin(self, account: str) -> float:
        return reserved_margin(self.orders, {p.market: p for p in self.positions}, SPECS)

    def preview(self, action: str, amount: float, market: str, account: str, *, leverage: float,
                order_type: str = "market", price: float | None = None, conditions: TradeConditions | None = None,
                reduce_only: bool = False) -> RiskDecision:
        request = OrderRequest(account, market, action, amount, order_type, price, leverage, reduce_only)
        mark = self.marks[market]
        check = entry_price(conditions) or mark
        decision = self._policy().evaluate(request, SPECS[market], self.portfolio(account), check,
                                           self.vols.get(market), self.reserved_margin(account))
        return apply_guards(decision, request, SPECS[market], self.account_settings, conditions, mark)
