"""StalenessWatch: thresholds per market, changes reported once per outage, expected markets that never tick."""

from __future__ import annotations

import math

import pytest

from grace_desktop.domain.errors import DomainError
from grace_desktop.domain.staleness import StaleChange, StalenessWatch


def test_a_market_is_stale_only_strictly_after_its_threshold() -> None:
    watch = StalenessWatch(5.0)
    watch.seen("paper", "BTC-PERP", 100.0)
    assert not watch.is_stale("paper", "BTC-PERP", 105.0)  # exactly 5 s old: not older than 5 s
    assert watch.is_stale("paper", "BTC-PERP", 105.5)
    assert watch.age("paper", "BTC-PERP", 105.5) == 5.5
    assert watch.stale(105.5) == [("paper", "BTC-PERP", 5.5)]
    watch.seen("paper", "BTC-PERP", 105.5)
    assert not watch.is_stale("paper", "BTC-PERP", 110.0)
    assert watch.stale(110.0) == []


def test_check_reports_each_change_once_with_its_age() -> None:
    watch = StalenessWatch(10.0)
    watch.seen("paper", "BTC-PERP", 0.0)
    watch.seen("paper", "ETH-PERP", 4.0)
    assert watch.check(9.0) == []
    # At 12 s BTC is 12 s old (> 10), ETH 8 s old.
    assert watch.check(12.0) == [StaleChange("paper", "BTC-PERP", True, 12.0)]
    assert watch.check(13.0) == []  # still stale: no second alert
    # At 15 s ETH is 11 s old.
    assert watch.check(15.0) == [StaleChange("paper", "ETH-PERP", True, 11.0)]
    watch.seen("paper", "BTC-PERP", 16.0)
    assert watch.check(17.0) == [StaleChange("paper", "BTC-PERP", False, 1.0)]
    assert watch.check(18.0) == []
    assert watch.stale(18.0) == [("paper", "ETH-PERP", 14.0)]


def test_per_market_thresholds_override_the_default() -> None:
    watch = StalenessWatch(30.0, {"SOL-PERP": 2.0})
    assert watch.threshold("SOL-PERP") == 2.0 and watch.threshold("BTC-PERP") == 30.0
    watch.seen("mango", "SOL-PERP", 50.0)
    watch.seen("mango", "BTC-PERP", 50.0)
    assert watch.check(53.0) == [StaleChange("mango", "SOL-PERP", True, 3.0)]
    assert not watch.is_stale("mango", "BTC-PERP", 53.0)
    assert watch.check(81.0) == [StaleChange("mango", "BTC-PERP", True, 31.0)]


def test_the_same_market_on_two_venues_is_watched_separately() -> None:
    watch = StalenessWatch(5.0)
    watch.seen("paper", "BTC-PERP", 0.0)
    watch.seen("mango", "BTC-PERP", 4.0)
    assert watch.check(7.0) == [StaleChange("paper", "BTC-PERP", True, 7.0)]
    assert not watch.is_stale("mango", "BTC-PERP", 7.0)
    # Two markets stale at once: the longest silence is listed first.
    assert watch.stale(10.0) == [("paper", "BTC-PERP", 10.0), ("mango", "BTC-PERP", 6.0)]


def test_a_market_never_seen_nor_expected_is_never_stale() -> None:
    watch = StalenessWatch(1.0)
    assert not watch.is_stale("paper", "BTC-PERP", 1e9)
    assert watch.age("paper", "BTC-PERP", 1e9) is None
    assert watch.check(1e9) == [] and watch.stale(1e9) == [] and len(watch) == 0


def test_an_expected_market_that_never_ticks_goes_stale_from_since() -> None:
    watch = StalenessWatch(5.0)
    watch.expect("paper", "AVAX-PERP", 100.0)
    assert watch.check(104.0) == []
    assert watch.check(106.0) == [StaleChange("paper", "AVAX-PERP", True, 6.0)]
    watch.seen("paper", "AVAX-PERP", 107.0)
    assert watch.check(107.5) == [StaleChange("paper", "AVAX-PERP", False, 0.5)]


def test_expect_after_a_reconnect_does_not_hide_a_long_silence() -> None:
    watch = StalenessWatch(5.0)
    watch.seen("paper", "BTC-PERP", 0.0)
    assert watch.check(20.0) == [StaleChange("paper", "BTC-PERP", True, 20.0)]
    watch.expect("paper", "BTC-PERP", 20.0)  # re-subscribed: the last tick is still the one at 0 s
    assert watch.is_stale("paper", "BTC-PERP", 21.0)
    assert watch.check(21.0) == []


def test_a_stale_and_recovered_market_between_checks_is_not_reported() -> None:
    watch = StalenessWatch(5.0)
    watch.seen("paper", "BTC-PERP", 0.0)
    assert watch.check(1.0) == []
    assert watch.is_stale("paper", "BTC-PERP", 8.0)  # stale for a moment...
    watch.seen("paper", "BTC-PERP", 8.0)  # ...and back before anyone checked
    assert watch.check(9.0) == []


def test_forgetting_a_stale_market_clears_it_at_the_next_check() -> None:
    watch = StalenessWatch(5.0)
    watch.seen("paper", "BTC-PERP", 0.0)
    watch.seen("paper", "ETH-PERP", 0.0)
    assert len(watch.check(6.0)) == 2
    watch.forget("paper", "BTC-PERP")
    assert not watch.is_stale("paper", "BTC-PERP", 7.0)
    assert watch.check(7.0) == [StaleChange("paper", "BTC-PERP", False, 7.0, forgotten=True)]
    assert watch.check(8.0) == []
    watch.forget("paper", "SOL-PERP")  # never watched: nothing to clear
    watch.seen("paper", "ETH-PERP", 8.0)
    watch.forget("paper", "ETH-PERP")  # forgotten before the check that would clear it...
    assert watch.check(9.0) == [StaleChange("paper", "ETH-PERP", False, 1.0, forgotten=True)]
    assert len(watch) == 0


@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan, math.inf])
def test_thresholds_must_be_positive_and_finite(bad: float) -> None:
    with pytest.raises(DomainError, match="default_after"):
        StalenessWatch(bad)
    with pytest.raises(DomainError, match="BTC-PERP"):
        StalenessWatch(5.0, {"BTC-PERP": bad})
