"""What one price tick does to the paper exchange: resting limits, liquidations, funding.

Triggers come from the engine's TriggerBook, so a tick that crosses nothing costs O(1)
whatever the number of positions and orders. Liquidation uses exactly the price
`domain.margin.position_liquidation_price` gives (the one the ticket showed), confirmed by
`domain.margin.is_liquidatable`, and the position is closed at that price.
"""

from __future__ import annotations

import math

from grace_desktop.domain import funding, margin
from grace_desktop.domain.enums import OrderSide, OrderStatus, OrderType
from grace_desktop.domain.models import Fill, MarketSpec, Order, OrderRequest, Position
from grace_desktop.domain.positions import apply_fill, apply_funding
from grace_desktop.venues.base import OrderRejected
from grace_desktop.venues.paper.engine import PaperEngine, new_id
from grace_desktop.venues.paper.events import FundingEvent, LiquidationEvent, OrderEvent
from grace_desktop.venues.paper.state import Change


class FundingModel:
    """Premium-based funding with a slow EWMA of the perp's own price standing in for the oracle index.

    The paper feed has no separate oracle, so the index is the mark smoothed with a
    half-life of `index_halflife_s`: a perp running ahead of its recent average trades at a
    premium and its longs pay, as on Mango. Rates are clamped by domain.funding.
    Funding is periodic: every `interval_s` (of tick time) whoever holds a position pays or
    receives the whole interval's amount, like the 1-8 h funding of centralized venues.
    """

    def __init__(self, interval_s: float, index_halflife_s: float) -> None:
        self.interval_s = interval_s
        self._tau = index_halflife_s / math.log(2)
        self.index: dict[str, float] = {}
        self._last_ts: dict[str, float] = {}
        self._anchor: dict[str, float] = {}

    def observe(self, market: str, price: float, ts: float) -> None:
        last = self._last_ts.get(market)
        if last is None:
            self.index[market] = price
            self._anchor[market] = ts
        elif ts > last:
            alpha = 1.0 - math.exp(-(ts - last) / self._tau)
            self.index[market] += alpha * (price - self.index[market])
        if last is None or ts > last:
            self._last_ts[market] = ts

    def rate(self, market: str, price: float) -> float | None:
        index = self.index.get(market)
        return None if index is None else funding.premium_rate(price, index)

    def due(self, market: str, ts: float) -> float | None:
        """Seconds of funding owed when an interval has passed, else None."""
        anchor = self._anchor.get(market)
        if anchor is None or ts - anchor < self.interval_s:
            return None
        return ts - anchor

    def settle(self, market: str, ts: float) -> None:
        self._anchor[market] = ts


def plan_tick(engine: PaperEngine, model: FundingModel, market: str, price: float, ts: float) -> list[Change]:
    """Mark `market` at `price` and return one Change per account the tick affects (not yet applied)."""
    engine.marks[market] = price
    spec = engine.markets.get(market)
    if spec is None:
        return []
    if spec.is_perp:
        model.observe(market, price, ts)
    fired = engine.book.on_tick(market, price)
    elapsed = model.due(market, ts) if spec.is_perp else None
    if not fired and elapsed is None:
        return []  # most ticks: nothing crossed and no funding due
    drafts: dict[str, Change] = {}

    def draft(account: str) -> Change:
        change = drafts.get(account)
        if change is None:
            change = drafts[account] = Change.begin(account, engine.state(account))
        return change

    for key in fired:
        if key[0] == "order":
            order = engine.orders.get(key[1])
            if order is not None:
                change = draft(order.request.account)
                live = change.after.orders.get(order.client_id)
                if live is not None:
                    _fill_resting(engine, change, live, spec, ts)
        else:
            draft(key[1])

    # A limit fill in this tick may have moved a liquidation price, so check every touched position.
    for change in drafts.values():
        position = change.after.positions.get(market)
        if position is not None and spec.is_perp and margin.is_liquidatable(position, price, spec.maint_margin):
            _liquidate(change, spec, position, price, ts)

    if elapsed is not None:
        rate = model.rate(market, price) or 0.0
        index = model.index[market]
        for account in list(engine.accounts):
            holder = drafts[account].after if account in drafts else engine.accounts[account]
            position = holder.positions.get(market)
            if position is not None and rate != 0.0:
                _fund(draft(account), spec, position, index, rate, elapsed, ts)
        model.settle(market, ts)

    changes = []
    for account, change in drafts.items():
        if change.empty:
            engine.sync_triggers(account, {market})  # a fired trigger that did nothing is armed again
        else:
            changes.append(change)
    return changes


def _fill_resting(engine: PaperEngine, change: Change, order: Order, spec: MarketSpec, ts: float) -> None:
    request = order.request
    position = change.after.positions.get(spec.name)
    size = order.remaining
    if request.reduce_only or (not spec.is_perp and request.side is OrderSide.SELL):
        available = position.size if position is not None and request.side.position_side is not position.side else 0.0
        if available <= 0:
            _cancel(change, order, ts, f"cancelled when crossed: no {spec.name} position left to reduce")
            return
        size = min(size, available)
    assert request.price is not None  # only limits rest
    try:
        engine.fill(change, order, spec, request.price, maker=True, ts=ts, reason="limit", size=size)
    except OrderRejected as exc:
        _cancel(change, order, ts, f"cancelled when crossed: {exc}")


def _cancel(change: Change, order: Order, ts: float, reason: str) -> None:
    cancelled = order.with_status(OrderStatus.CANCELLED, reason=reason, updated_at=ts)
    change.record_order(cancelled)
    change.events.append(OrderEvent(change.account, cancelled))


def _liquidate(change: Change, spec: MarketSpec, position: Position, mark: float, ts: float) -> None:
    account, market = change.account, spec.name
    liq = margin.position_liquidation_price(position, spec.maint_margin)
    side = OrderSide.closing(position.side)
    client_id = new_id("liq")
    fee = margin.fee(position.size, liq, spec.liquidation_fee)
    outcome = apply_fill(
        position, spec=spec, account=account, side=side, size=position.size, price=liq, fee=fee,
        leverage=position.leverage, ts=ts, entry_fees=change.after.entry_fees.get(market, 0.0),
        client_id=client_id, reason="liquidation",
    )
    assert outcome.closed is not None and outcome.position is None
    change.after.balance += outcome.cash
    change.set_position(market, None)
    request = OrderRequest(account, market, side, position.size, OrderType.MARKET, leverage=position.leverage,
                           reduce_only=True, client_id=client_id)
    order = Order(
        request, OrderStatus.FILLED, venue_order_id=new_id("paper"), filled_size=position.size,
        avg_fill_price=liq, reason=f"liquidated: mark {mark:g} crossed the liquidation price {liq:g}",
        created_at=ts, updated_at=ts,
    )
    change.record_order(order)
    fill = Fill(client_id, market, side, position.size, liq, fee, ts, maker=False, liquidation=True,
                fill_id=f"{client_id}:1")
    change.events.append(
        LiquidationEvent(
            account=account, market=market, side=position.side, size=position.size,
            entry_price=position.entry_price, liquidation_price=liq, mark=mark, leverage=position.leverage,
            collateral=position.collateral, realized_pnl=outcome.closed.realized_pnl, liquidation_fee=fee,
            balance=change.after.balance, ts=ts, order=order, fill=fill, closed=outcome.closed,
        )
    )
    # Reported after the liquidation that made them pointless.
    for resting in list(change.after.orders.values()):
        if resting.request.market == market and resting.request.reduce_only:
            _cancel(change, resting, ts, "cancelled: the position it would reduce was liquidated")


def _fund(change: Change, spec: MarketSpec, position: Position, index: float, rate: float, elapsed: float,
          ts: float) -> None:
    paid = funding.funding_payment(position.side, position.size, index, rate, elapsed)
    change.after.balance -= paid
    funded = apply_funding(position, -paid)
    change.set_position(spec.name, funded, change.after.entry_fees.get(spec.name, 0.0))
    change.events.append(
        FundingEvent(change.account, spec.name, position.side, position.size, index, rate, elapsed, -paid,
                     change.after.balance, ts, funding_id=new_id("funding"), position=funded)
    )
