"""What the journal recorded in a time window: fills, funding and the monitor's decisions (for the
"while you were away" report). Round trips come from `TradeRepository.page(since=, until=)`.

Windows are [since, until) in epoch seconds, like every journal query.
"""

from __future__ import annotations

from dataclasses import dataclass

from grace_desktop.domain import validation as v
from grace_desktop.storage.base import Repository


@dataclass(frozen=True, slots=True)
class FillTally:
    venue: str
    account: str
    market: str
    side: str
    count: int
    size: float
    fees: float
    liquidations: int


@dataclass(frozen=True, slots=True)
class FundingTally:
    venue: str
    account: str
    market: str
    count: int
    amount: float  # > 0 received, < 0 paid


@dataclass(frozen=True, slots=True)
class DecisionTally:
    rule: str
    action: str
    count: int


def _window(since: float, until: float) -> tuple[float, float]:
    since, until = v.finite("since", since), v.finite("until", until)
    if until < since:
        raise ValueError(f"until ({until}) is before since ({since})")
    return since, until


class RecapRepository(Repository):
    def fills(self, since: float, until: float) -> list[FillTally]:
        rows = self._store.query(
            "SELECT venue, account, market, side, COUNT(*) AS n, SUM(size) AS size, SUM(fee) AS fees, "
            "SUM(liquidation) AS liqs FROM fills WHERE ts >= ? AND ts < ? "
            "GROUP BY venue, account, market, side ORDER BY venue, account, market, side",
            _window(since, until),
        )
        return [FillTally(r["venue"], r["account"], r["market"], r["side"], int(r["n"]), float(r["size"]),
                          float(r["fees"]), int(r["liqs"])) for r in rows]

    def funding(self, since: float, until: float) -> list[FundingTally]:
        rows = self._store.query(
            "SELECT venue, account, market, COUNT(*) AS n, SUM(amount) AS amount FROM funding "
            "WHERE ts >= ? AND ts < ? GROUP BY venue, account, market ORDER BY venue, account, market",
            _window(since, until),
        )
        return [FundingTally(r["venue"], r["account"], r["market"], int(r["n"]), float(r["amount"])) for r in rows]

    def decisions(self, since: float, until: float) -> list[DecisionTally]:
        rows = self._store.query(
            "SELECT rule, action, COUNT(*) AS n FROM decisions WHERE ts >= ? AND ts < ? "
            "GROUP BY rule, action ORDER BY n DESC, rule, action",
            _window(since, until),
        )
        return [DecisionTally(r["rule"], r["action"], int(r["n"])) for r in rows]
