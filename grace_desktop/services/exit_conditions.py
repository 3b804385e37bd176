"""Exits sent with a trade: stored before the order goes out, kept or dropped by its outcome.

Staging them between the journaled intent and the venue call means a crash at any point
leaves them tied to a client id that start-up reconciliation settles: kept if the venue
filled the order, cancelled if it never got it. Older exits of the same kind are replaced
only once the new order is in, so a refused order never strips a position of its stops.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from grace_desktop.services.trade_types import TradeConditions
from grace_desktop.storage import Storage
from grace_desktop.storage.records import ConditionRecord


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
    def __init__(self, store: Storage, resync: Callable[[str, str], Awaitable[None]],
                 clock: Callable[[], float]) -> None:
        self._store = store
        self._resync = resync
        self._clock = clock

    def stage(self, account: str, market: str, conditions: TradeConditions, client_id: str) -> None:
        now = self._clock()
        for kind, params in exit_records(conditions):
            self._store.conditions.add(
                ConditionRecord(account, market, kind, {**params, "client_id": client_id}, created_at=now)
            )

    async def confirm(self, account: str, market: str, client_id: str) -> None:
        """The order is in: its exits replace older ones of the same kind, and the position is re-planned."""
        armed = self._store.conditions.armed(account=account, market=market)
        kinds = {c.kind for c in armed if c.params.get("client_id") == client_id}
        for old in armed:
            if old.kind in kinds and old.params.get("client_id") != client_id and old.id is not None:
                self._store.conditions.set_status(old.id, "cancelled", reason="replaced", ts=self._clock())
        await self._resync(account, market)

    async def drop(self, account: str, market: str, client_id: str, reason: str) -> None:
        """The order never made it: its exits go, the position keeps the ones it had."""
        for cond in self._store.conditions.armed(account=account, market=market):
            if cond.params.get("client_id") == client_id and cond.id is not None:
                self._store.conditions.set_status(cond.id, "cancelled", reason=reason, ts=self._clock())
        await self._resync(account, market)

    async def attach(self, account: str, market: str, conditions: TradeConditions) -> None:
        """Exits for an existing position, not tied to an order."""
        tag = f"attached-{self._clock()!r}"
        self.stage(account, market, conditions, tag)
        await self.confirm(account, market, tag)
