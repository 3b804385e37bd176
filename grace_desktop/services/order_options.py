"""Which order options a venue supports, so the ticket offers only those and the service refuses the rest.

Post-only and IOC are the venue's (Capability.POST_ONLY / IOC); reduce-only is offered where the
venue enforces it; stop-market and stop-limit entries are held here as entry conditions and sent
when the mark reaches the trigger, so every venue has them.
"""

from __future__ import annotations

from grace_desktop.domain.enums import TimeInForce
from grace_desktop.domain.errors import DomainError
from grace_desktop.domain.models import OrderRequest
from grace_desktop.venues.base import Capability

_OPTIONS = {Capability.IOC: "ioc", Capability.POST_ONLY: "post_only", Capability.REDUCE_ONLY: "reduce_only"}
_NEEDS = {TimeInForce.IOC: Capability.IOC, TimeInForce.POST_ONLY: Capability.POST_ONLY}


def venue_order_options(venue: object | None) -> frozenset[str]:
    caps: frozenset[Capability] = getattr(venue, "capabilities", frozenset()) if venue is not None else frozenset()
    return frozenset({"stop"} | {name for cap, name in _OPTIONS.items() if cap in caps})


def check_order_options(name: str, venue: object, request: OrderRequest) -> None:
    """DomainError when `venue` cannot honour the request's time in force."""
    needed = _NEEDS.get(request.time_in_force)
    if needed is not None and needed not in getattr(venue, "capabilities", frozenset()):
        raise DomainError("time_in_force", f"{name} does not support {request.time_in_force.value} orders")
