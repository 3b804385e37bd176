"""Cross-checks our Mango account health with the service's own figure (`/mango/account`).

Every number the app shows or gates on for a Mango account comes from domain.mango_health, built
from the balance and positions the service reports. The service also answers, per market, the
margin available it computes itself (`marketMarginAvailable`). When the two disagree beyond a
tolerance, our view of the account misses something (a deposit or borrow in another token, a
spot holding, settled funding, a parameter change): the user is told once per episode, and told
again when the figures agree. The check only reads; nothing here can stop trading or crash.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from grace_desktop.domain import mango_health
from grace_desktop.domain.mango_health import MarginMismatch
from grace_desktop.domain.models import MarketSpec, Portfolio
from grace_desktop.services.alerts import AlertStream
from grace_desktop.services.tasks import within
from grace_desktop.venues.base import VenueError

log = logging.getLogger(__name__)

TITLE = "Mango margin figures disagree"
AGAIN_TITLE = "Mango margin figures agree again"
DEFAULT_INTERVAL = 15.0
DEFAULT_REL_TOL = 0.02
# A mismatch must be seen this many checks running before it is raised: one read can straddle a fill.
CONFIRM_CHECKS = 2


class AccountVenue(Protocol):
    async def portfolio(self, account: str) -> Portfolio: ...
    async def open_orders(self, account: str) -> list[Any]: ...
    async def account_info(self) -> Any: ...  # .margin_available: dict[market, USDC]


def has_account_endpoint(venue: object) -> bool:
    return callable(getattr(venue, "account_info", None))


class MarginCrossCheck:
    def __init__(
        self, venue_name: str, venue: AccountVenue, account: str, specs: Callable[[], Mapping[str, MarketSpec]],
        alerts: AlertStream, *, interval: float = DEFAULT_INTERVAL, rel_tol: float = DEFAULT_REL_TOL,
        deadline: float = 10.0,
    ) -> None:
        self.venue_name = venue_name
        self.venue = venue
        self.account = account
        self.specs = specs
        self.alerts = alerts
        self.interval = interval
        self.rel_tol = rel_tol
        self.deadline = deadline
        self.disagreeing = False  # an episode is open: its alert has been raised
        self.strikes = 0
        self.checks = 0  # completed comparisons (skipped rounds not counted)

    async def check_once(self) -> list[MarginMismatch] | None:
        """One comparison; None when the round could not compare (reads failed, the account moved
        between them, or orders rest: their reserved margin is in the service's figure, not in ours)."""
        first = await within(self.venue.portfolio(self.account), self.deadline)
        info, orders = await asyncio.gather(within(self.venue.account_info(), self.deadline),
                                            within(self.venue.open_orders(self.account), self.deadline))
        second = await within(self.venue.portfolio(self.account), self.deadline)
        if orders or first.balance != second.balance or first.positions != second.positions:
            return None
        mismatches = mango_health.margin_available_mismatches(second, self.specs(), info.margin_available,
                                                              self.rel_tol)
        self.checks += 1
        self._judge(mismatches)
        return mismatches

    def _judge(self, mismatches: list[MarginMismatch]) -> None:
        where = f"{self.venue_name} account {self.account}"
        if not mismatches:
            self.strikes = 0
            if self.disagreeing:
                self.disagreeing = False
                self.alerts.info(AGAIN_TITLE, f"{where}: our margin available matches the service's again")
            return
        self.strikes += 1
        if self.strikes >= CONFIRM_CHECKS and not self.disagreeing:
            self.disagreeing = True
            shown = "; ".join(m.describe() for m in mismatches[:2])
            if len(mismatches) > 2:
                shown += f"; {len(mismatches) - 2} more market(s)"
            self.alerts.warning(TITLE, f"{where}: margin available differs from the service's ({shown}). "
                                "Liquidation prices and risk checks shown here may be off: check the "
                                "account on the service before trading larger", account=self.account)

    async def run(self) -> None:
        """Check every `interval` until cancelled; a failed round is logged and the next one runs."""
        last_error = ""
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.check_once()
                last_error = ""
            except (VenueError, TimeoutError) as exc:
                if str(exc) != last_error:  # the venue's own health shows outages; say each once here
                    log.info("%s: margin cross-check skipped: %s", self.venue_name, exc or "timed out")
                last_error = str(exc)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - a check must never take the services down
                log.exception("%s: margin cross-check failed", self.venue_name)
