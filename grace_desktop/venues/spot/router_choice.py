"""Which router quotes a swap: the first one, or, when the user allowed fallback and it cannot
answer, the next (Jupiter <-> GMGN). Nothing is signed or sent yet, so trying another is safe."""

from __future__ import annotations

from collections.abc import Sequence

from grace_desktop.venues.base import NotSent, OrderRejected, RateLimited, VenueError
from grace_desktop.venues.spot.routers import SpotRouter, SwapQuote


class RouterChoice:
    def __init__(self, routers: Sequence[SpotRouter], *, fallback: bool, quote_wait: float) -> None:
        if not routers:
            raise ValueError("spot venue: no router configured")
        self.routers = list(routers)
        self.fallback = fallback
        self.quote_wait = quote_wait
        self.errors: dict[str, str] = {}  # router name -> why its last quote failed (cleared when it answers)
        self.fallback_reason = ""  # why the last quote came from another router than the first; "" when not

    @property
    def all_failing(self) -> bool:
        return len(self.errors) >= len(self.routers)

    async def quote(self, *, in_mint: str, out_mint: str, in_units: int, taker: str,
                    slippage_bps: int) -> tuple[SwapQuote, SpotRouter]:
        order = self.routers if self.fallback else self.routers[:1]
        order = sorted(order, key=lambda rt: rt.name in self.errors)  # a failing router goes last
        failures: list[tuple[str, VenueError]] = []
        for router in order:
            try:
                # A slot (or a 429's Retry-After) further off than quote_wait: refused as not sent
                # now, instead of a trade that goes out long after it was asked for.
                quoted = await router.quote(input_mint=in_mint, output_mint=out_mint, in_units=in_units, taker=taker,
                                            slippage_bps=slippage_bps, max_wait=self.quote_wait)
            except OrderRejected:
                self.errors.pop(router.name, None)  # it answered: healthy, it just said no
                raise
            except VenueError as exc:
                self.errors[router.name] = str(exc)
                failures.append((router.name, exc))
                continue
            self.errors.pop(router.name, None)
            if router is not self.routers[0]:
                why = "; ".join(f"{n}: {e}" for n, e in failures) or f"{self.routers[0].name} is unhealthy"
                self.fallback_reason = f"swapping through {router.name}: {why}"
            else:
                self.fallback_reason = ""
            return quoted, router
        last = failures[-1][1]
        text = "; ".join(f"{n}: {e}" for n, e in failures)
        if isinstance(last, RateLimited):
            raise RateLimited(f"not sent: {text}", retry_after=last.retry_after)
        raise NotSent(f"not sent: no router could quote ({text})")
