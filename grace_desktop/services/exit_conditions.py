"""Exits sent with a trade: stored with its journaled intent, kept or dropped by its outcome.

They are written in the same transaction as the order's intent (OrderLifecycle), tied to its
client id, so a crash at any point leaves them to whatever the order turns out to be: kept
once the venue filled it (or it rests), cancelled once it provably did not. Until then —
an UNKNOWN order — they wait. Older exits of the same kind are replaced only once the new
order is in, so a refused order never strips a position of its stops.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from grace_desktop.domain.enums import OrderStatus
from grace_desktop.domain.models import Order, OrderRequest
from grace_desktop.services.trade_types import TradeConditions
from grace_desktop.storage import Storage
from grace_desktop.storage.records import ConditionRecord
from grace_desktop.venues.base import Venue, VenueError

# The exits an entry condition carries in its params, armed when it fires (monitor_entries).
ENTRY_EXIT_PARAMS = ("take_profit", "stop_loss", "take_profit_percent", "stop_loss_percent", "trailing_percent")


def entry_record(request: OrderRequest, conditions: TradeConditions, venue: str, now: float) -> ConditionRecord:
    """The armed entry condition for `request`: the order it sends when the mark reaches the trigger
    (stop-market, or stop-limit with a limit price) and the exits it then attaches."""
    params: dict[str, object] = {"side": request.side.value, "size": request.size, "leverage": request.leverage,
                                 "price_below": conditions.entry_below, "price_above": conditions.entry_above}
    for name in ENTRY_EXIT_PARAMS:
        params[name] = getattr(conditions, name)
    params["alert_only"] = sorted(conditions.alert_kinds - {"entry"})  # the exits it arms when it fires
    params["order_type"] = request.order_type.value
    params["price"] = request.price
    params["time_in_force"] = request.time_in_force.value
    return ConditionRecord(request.account, request.market, "entry", params, created_at=now, venue=venue,
                           alert_only="entry" in conditions.alert_kinds)


def exit_records(conditions: TradeConditions) -> list[tuple[str, dict[str, object]]]:
    records: list[tuple[str, dict[str, object]]] = []
    if conditions.take_profit is not None or conditions.take_profit_percent is not None:
        records.append(("take_profit", {"price": conditions.take_profit, "percent": conditions.take_profit_percent}))
    if conditions.stop_loss is not None or conditions.stop_loss_percent is not None:
        records.append(("stop_loss", {"price": conditions.stop_loss, "percent": conditions.stop_loss_percent}))
    if conditions.trailing_percent is not None:
        records.append(("trailing_stop", {"percent": conditions.trailing_percent}))
    return records


class ExitConditions:
    def __init__(self, store: Storage, clock: Callable[[], float]) -> None:
        self._store = store
        self._clock = clock

    async def attach(self, venue: str, account: str, market: str, conditions: TradeConditions) -> None:
        """Exits for an existing position, not tied to an order: they replace older ones of the same kind."""
        tag = f"attached-{self._clock()!r}"
        now = self._clock()

        def add() -> None:
            with self._store.transaction():
                for kind, params in exit_records(conditions):
                    self._store.conditions.add(ConditionRecord(account, market, kind, {**params, "client_id": tag},
                                                               created_at=now, venue=venue,
                                                               alert_only=kind in conditions.alert_kinds))

        await self._store.write(add)
        await self._store.write(settle_exits, self._store, tag, account, market, True, "attached", now)


def outcome_of(order: Order) -> bool | None:
    """Keep the exits staged with `order` (True), drop them (False), or wait (None: outcome unknown)."""
    if order.status in (OrderStatus.FILLED, OrderStatus.PARTIALLY_FILLED, OrderStatus.OPEN):
        return True
    if order.status.is_final:
        return order.filled_size > 0
    return None


def settle_exits(store: Storage, client_id: str, account: str, market: str, keep: bool, status: str,
                 now: float) -> list[ConditionRecord]:
    """In the caller's transaction: the order's exits replace older ones of the same kind (keep), or go."""
    armed = store.conditions.armed(account=account, market=market)
    mine = [c for c in armed if c.params.get("client_id") == client_id]
    if keep:
        kinds = {c.kind for c in mine}
        venue = mine[0].venue if mine else None
        for old in armed:
            if old.kind in kinds and old.params.get("client_id") != client_id and old.id is not None \
                    and old.venue == venue:
                store.conditions.set_status(old.id, "cancelled", reason="replaced", ts=now)
    else:
        for cond in mine:
            if cond.id is not None:
                store.conditions.set_status(cond.id, "cancelled", reason=f"order {status}", ts=now)
    return mine


def cancel_conditions(store: Storage, ids: tuple[int, ...], reason: str, now: float) -> None:
    """On the writer: the given armed conditions end as cancelled, all or none."""
    with store.transaction():
        for cond_id in ids:
            store.conditions.set_status(cond_id, "cancelled", reason=reason, ts=now)


async def end_orphans(store: Storage, venues: Mapping[str, Venue], primary: str, waiting: set[str],
                      clock: Callable[[], float]) -> int:
    """Cancel every armed exit whose position is gone at its venue, except those still waiting for
    their order's outcome (`waiting`: client ids). A venue that cannot be read keeps its exits."""
    armed = [c for c in await store.read(store.conditions.armed) if c.kind != "entry"]
    ended = 0
    held: dict[tuple[str, str], set[str]] = {}
    for cond in armed:
        venue = cond.venue or primary
        if venue not in venues or cond.params.get("client_id") in waiting:
            continue
        if (venue, cond.account) not in held:
            try:
                positions = await venues[venue].positions(cond.account)
            except VenueError:
                continue
            held[(venue, cond.account)] = {p.market for p in positions}
        if cond.market not in held[(venue, cond.account)] and cond.id is not None:
            await store.write(store.conditions.set_status, cond.id, "cancelled", reason="position gone at start-up",
                              ts=clock())
            ended += 1
    return ended
