""""While you were away": one summary, at start-up after reconciliation, of what changed since the app last ran.

The last run is a timestamp in the database (`app_meta`), written every `HEARTBEAT_S` while the
app runs and once more on a clean exit, so after a crash the window still starts at most a
heartbeat before the end of the last run (an event is reported twice rather than missed).
The report reads the journal over [last run, now): fills, round trips closed (by the rule that
closed them: take_profit, stop_loss, trailing_stop, liquidation_guard, manual, limit,
liquidation…), liquidations, funding, the monitor's decisions, plus the orders that start-up
reconciliation found at the venue or found lost. It is kept in the journal as one alert.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from grace_desktop.domain.enums import OrderStatus
from grace_desktop.domain.models import Order
from grace_desktop.storage import Storage, TradeRecord
from grace_desktop.storage.recap import DecisionTally, FillTally, FundingTally

log = logging.getLogger(__name__)

LAST_RUN_KEY = "last_run"
HEARTBEAT_S = 60.0
TITLE = "While you were away"
MAX_TRADES = 1000  # listed closes; a longer absence still counts them all in the totals' rows read


@dataclass(frozen=True, slots=True)
class AwayReport:
    since: float
    until: float
    fills: tuple[FillTally, ...] = ()
    closes: tuple[TradeRecord, ...] = ()
    funding: tuple[FundingTally, ...] = ()
    decisions: tuple[DecisionTally, ...] = ()
    found: tuple[Order, ...] = ()  # orders reconciliation settled from what the venue knows
    lost: tuple[Order, ...] = ()  # orders the venue never got (failed: not found, not sent)
    closes_by_rule: dict[str, int] = field(default_factory=dict)

    @property
    def liquidations(self) -> tuple[TradeRecord, ...]:
        return tuple(t for t in self.closes if t.close_reason == "liquidation")

    @property
    def realized_pnl(self) -> float:
        return sum(t.realized_pnl - t.fees for t in self.closes)

    @property
    def funding_total(self) -> float:
        return sum(f.amount for f in self.funding)

    @property
    def empty(self) -> bool:
        return not (self.fills or self.closes or self.funding or self.found or self.lost or self.decisions)

    def lines(self) -> list[str]:
        """The summary as short lines, most serious first (liquidations, lost orders), each readable alone."""
        out: list[str] = []
        for t in self.liquidations:
            out.append(f"Liquidated: {t.side.value} {t.size:g} {t.market} at {t.exit_price:,.6g} "
                       f"(PnL {t.realized_pnl - t.fees:+,.2f})")
        for o in self.lost:
            r = o.request
            out.append(f"Lost: {r.side.value} {r.size:g} {r.market} never reached the venue ({o.reason or o.status.value})")
        if self.closes:
            rules = ", ".join(f"{n} by {rule.replace('_', ' ')}" for rule, n in self.closes_by_rule.items())
            out.append(f"Closed {len(self.closes)} position(s): {rules}; net PnL {self.realized_pnl:+,.2f}")
        fill_count = sum(f.count for f in self.fills)
        if fill_count:
            markets = sorted({f.market for f in self.fills})
            fees = sum(f.fees for f in self.fills)
            out.append(f"{fill_count} fill(s) in {', '.join(markets)}; fees {fees:,.2f}")
        if self.funding:
            n = sum(f.count for f in self.funding)
            total = self.funding_total
            amount = f"{abs(total):,.2f}" if abs(total) >= 0.01 else f"{abs(total):.2g}"
            out.append(f"Funding: {'received' if total >= 0 else 'paid'} {amount} over {n} payment(s)")
        for o in self.found:
            r = o.request
            at = f" at {o.avg_fill_price:,.6g}" if o.avg_fill_price else ""
            out.append(f"Found at the venue: {r.side.value} {r.size:g} {r.market} {o.status.value}{at}")
        acted = sum(d.count for d in self.decisions)
        if acted:
            top = ", ".join(f"{d.rule.replace('_', ' ')} {d.action} ×{d.count}" for d in self.decisions[:3])
            out.append(f"Auto-trader: {acted} decision(s) ({top})")
        return out

    def text(self) -> str:
        away = _duration(self.until - self.since)
        body = self.lines() or ["Nothing changed."]
        return f"Away {away}.\n" + "\n".join(body)


def _duration(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86_400:.1f} days"


def read_last_run(store: Storage) -> float | None:
    text = store.meta.get(LAST_RUN_KEY)
    try:
        return None if text is None else float(text)
    except ValueError:
        log.warning("ignoring an unreadable last-run time %r", text)
        return None


def build_report(store: Storage, since: float, until: float, settled: Sequence[Order] = ()) -> AwayReport:
    """Read the journal over [since, until) (call it on a reader thread: `await store.read(...)`)."""
    closes = tuple(reversed(store.trades.page(since=since, until=until, limit=MAX_TRADES)))  # oldest first
    lost = tuple(o for o in settled if o.status is OrderStatus.FAILED)
    found = tuple(o for o in settled if o.status is not OrderStatus.FAILED)
    by_rule = Counter(t.close_reason or "unknown" for t in closes)
    return AwayReport(
        since, until, tuple(store.recap.fills(since, until)), closes, tuple(store.recap.funding(since, until)),
        tuple(store.recap.decisions(since, until)), found, lost, dict(by_rule.most_common()),
    )


async def report_since_last_run(store: Storage, settled: Sequence[Order] = (), *,
                                clock: Callable[[], float] = time.time) -> AwayReport | None:
    """The report since the last run, or None on a first run (there was no "away")."""
    since = await store.read(read_last_run, store)
    if since is None:
        return None
    until = clock()
    # `until` is inclusive of what start-up itself journaled a moment ago (reconciled orders).
    return await store.read(build_report, store, since, max(since, until + 1e-3), list(settled))


class LastRunClock:
    """Writes "the app ran until now" every `interval` seconds and on stop (a clean exit)."""

    def __init__(self, store: Storage, *, interval: float = HEARTBEAT_S, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.interval = interval
        self.clock = clock
        self._task: asyncio.Task[None] | None = None

    async def mark(self) -> None:
        await self.store.write(self.store.meta.set, LAST_RUN_KEY, repr(self.clock()))

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._beat(), name="last-run heartbeat")

    async def _beat(self) -> None:
        while True:
            try:
                await self.mark()
            except Exception:  # disk full or closing: the next beat (or the exit) tries again
                log.warning("could not record the last-run time", exc_info=True)
            await asyncio.sleep(self.interval)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        try:
            await self.mark()
        except Exception:
            log.warning("could not record the last-run time at exit", exc_info=True)
