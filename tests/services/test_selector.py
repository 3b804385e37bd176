"""VenueSelector routing and health, on real paper venues."""

from __future__ import annotations

import pytest

from grace_desktop.domain.settings import AccountSettings
from grace_desktop.services.selector import UNHEALTHY_AFTER, NoVenueError, VenueSelector
from grace_desktop.venues.paper import PaperVenue


class SpotOnlyVenue(PaperVenue):
    """A paper venue that says it has no perps, standing in for a spot router."""

    name = "spot"
    supports_leverage = False


def test_leverage_goes_to_the_primary_perp_venue_and_says_why():
    selector = VenueSelector({"paper": PaperVenue()}, primary="paper")
    choice = selector.select(leverage_trade=True, settings=AccountSettings())
    assert choice.name == "paper" and "configured perp venue" in choice.reason


def test_never_routes_leverage_to_a_venue_without_perps():
    selector = VenueSelector({"spot": SpotOnlyVenue()}, primary="spot")
    with pytest.raises(NoVenueError, match="no perpetual markets"):
        selector.select(leverage_trade=True, settings=AccountSettings())


def test_unhealthy_primary_falls_back_to_paper_only_when_allowed():
    venues = {"mango_v3": PaperVenue(), "paper": PaperVenue()}
    selector = VenueSelector(venues, primary="mango_v3")
    for _ in range(UNHEALTHY_AFTER):
        selector.record_failure("mango_v3", "HTTP 502")
    with pytest.raises(NoVenueError, match="HTTP 502.*no allowed fallback"):
        selector.select(leverage_trade=True, settings=AccountSettings())
    choice = selector.select(leverage_trade=True, settings=AccountSettings(allow_paper_fallback=True))
    assert choice.name == "paper" and "falling back" in choice.reason
    selector.record_success("mango_v3")
    assert selector.select(leverage_trade=True, settings=AccountSettings()).name == "mango_v3"


def test_spot_trades_use_the_spot_venue_when_configured():
    venues = {"paper": PaperVenue(), "spot": SpotOnlyVenue()}
    selector = VenueSelector(venues, primary="paper", spot="spot")
    assert selector.select(leverage_trade=False, settings=AccountSettings()).name == "spot"
    assert selector.select(leverage_trade=True, settings=AccountSettings()).name == "paper"
