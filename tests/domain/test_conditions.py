"""Entry and exit conditions: 0 is a bound and None is unset; long/short TP, SL and trailing stops."""

from __future__ import annotations

import pytest

from grace_desktop.domain.conditions import (
    Direction,
    EntryCondition,
    ExitLevels,
    ExitRule,
    TrailingStop,
    exit_direction,
    stop_loss_price,
    take_profit_price,
)
from grace_desktop.domain.enums import Side
from grace_desktop.domain.errors import DomainError


def test_direction_crossing_is_inclusive():
    assert Direction.AT_OR_BELOW.crossed(100, 100) and Direction.AT_OR_BELOW.crossed(100, 99.9)
    assert not Direction.AT_OR_BELOW.crossed(100, 100.1)
    assert Direction.AT_OR_ABOVE.crossed(100, 100) and Direction.AT_OR_ABOVE.crossed(100, 100.1)
    assert not Direction.AT_OR_ABOVE.crossed(100, 99.9)


def test_entry_price_below():
    entry = EntryCondition(price_below=90)
    assert entry.price_above is None
    assert not entry.is_met(90.01) and entry.is_met(90) and entry.is_met(50)
    assert entry.triggers() == [(90.0, Direction.AT_OR_BELOW)]


def test_entry_price_above():
    entry = EntryCondition(price_above=110)
    assert not entry.is_met(109.99) and entry.is_met(110) and entry.is_met(500)
    assert entry.triggers() == [(110.0, Direction.AT_OR_ABOVE)]


def test_entry_both_bounds_whichever_first():
    entry = EntryCondition(price_below=90, price_above=110)
    assert not entry.is_met(100)
    assert entry.is_met(90) and entry.is_met(110)
    assert entry.triggers() == [(90.0, Direction.AT_OR_BELOW), (110.0, Direction.AT_OR_ABOVE)]


def test_zero_is_a_bound_not_unset():
    # price_above=0 is met by every price; a truthiness check would have ignored it.
    above_zero = EntryCondition(price_above=0)
    assert above_zero.is_met(0.0001) and above_zero.is_met(1e9)
    assert above_zero.triggers() == [(0.0, Direction.AT_OR_ABOVE)]
    # price_below=0 is met by no real price, but it is still armed.
    below_zero = EntryCondition(price_below=0)
    assert not below_zero.is_met(0.0001)
    assert below_zero.triggers() == [(0.0, Direction.AT_OR_BELOW)]
    # With 0 below and a real bound above, the above bound still works.
    both = EntryCondition(price_below=0, price_above=120)
    assert not both.is_met(100) and both.is_met(120)


def test_none_is_unset_and_both_unset_is_refused():
    with pytest.raises(DomainError) as err:
        EntryCondition()
    assert err.value.field == "entry"
    with pytest.raises(DomainError) as err:
        EntryCondition(price_below=None, price_above=None)
    assert err.value.field == "entry"


def test_exit_directions():
    assert exit_direction("long", ExitRule.TAKE_PROFIT) is Direction.AT_OR_ABOVE
    assert exit_direction("long", ExitRule.STOP_LOSS) is Direction.AT_OR_BELOW
    assert exit_direction("short", ExitRule.TAKE_PROFIT) is Direction.AT_OR_BELOW
    assert exit_direction("short", ExitRule.STOP_LOSS) is Direction.AT_OR_ABOVE
    assert exit_direction(Side.LONG, ExitRule.LIQUIDATION_GUARD) is Direction.AT_OR_BELOW
    assert exit_direction(Side.SHORT, ExitRule.LIQUIDATION_GUARD) is Direction.AT_OR_ABOVE


def test_percent_levels_long_and_short():
    assert take_profit_price("long", 100, 5) == pytest.approx(105.0)
    assert stop_loss_price("long", 100, 3) == pytest.approx(97.0)
    assert take_profit_price("short", 100, 5) == pytest.approx(95.0)
    assert stop_loss_price("short", 100, 3) == pytest.approx(103.0)
    # A short's stop may be any distance above; a long's stop at -100 % would be at zero.
    assert stop_loss_price("short", 100, 150) == pytest.approx(250.0)
    with pytest.raises(DomainError) as err:
        stop_loss_price("long", 100, 100)
    assert err.value.field == "stop_loss_percent"
    # Symmetrically, a short's take-profit at -100 % would sit at zero and never fire.
    with pytest.raises(DomainError) as err:
        take_profit_price("short", 100, 100)
    assert err.value.field == "take_profit_percent"
    assert take_profit_price("long", 100, 150) == pytest.approx(250.0)


@pytest.mark.parametrize(
    "side, tp_hits, sl_hits, quiet",
    [("long", [105, 120], [97, 80], [100, 97.01, 104.99]), ("short", [95, 80], [103, 120], [100, 95.01, 102.99])],
)
def test_exit_levels_from_percent_fire_the_right_rule(side, tp_hits, sl_hits, quiet):
    levels = ExitLevels.resolve(side, 100, take_profit_percent=5, stop_loss_percent=3)
    for price in tp_hits:
        assert levels.fired(price) is ExitRule.TAKE_PROFIT
    for price in sl_hits:
        assert levels.fired(price) is ExitRule.STOP_LOSS
    for price in quiet:
        assert levels.fired(price) is None


def test_absolute_levels_win_over_percent():
    levels = ExitLevels.resolve("long", 100, take_profit=130, take_profit_percent=5, stop_loss_percent=3)
    assert levels.take_profit == 130.0 and levels.stop_loss == pytest.approx(97.0)
    assert levels.fired(110) is None and levels.fired(130) is ExitRule.TAKE_PROFIT
    short = ExitLevels.resolve("short", 100, stop_loss=101, stop_loss_percent=10)
    assert short.take_profit is None and short.stop_loss == 101.0
    assert short.fired(101) is ExitRule.STOP_LOSS and short.fired(50) is None
    assert short.triggers() == [(ExitRule.STOP_LOSS, 101.0, Direction.AT_OR_ABOVE)]


def test_absolute_levels_long_and_short_triggers():
    long = ExitLevels("long", take_profit=110, stop_loss=95)
    assert long.triggers() == [
        (ExitRule.TAKE_PROFIT, 110.0, Direction.AT_OR_ABOVE),
        (ExitRule.STOP_LOSS, 95.0, Direction.AT_OR_BELOW),
    ]
    short = ExitLevels(Side.SHORT, take_profit=90, stop_loss=105)
    assert short.fired(90) is ExitRule.TAKE_PROFIT and short.fired(105) is ExitRule.STOP_LOSS
    assert short.fired(91) is None and short.fired(104) is None
    assert ExitLevels("long").triggers() == [] and ExitLevels("long").fired(1) is None


def test_stop_outranks_take_profit_when_both_fire():
    # A mis-set long (TP below SL) lets one price cross both: the stop wins.
    levels = ExitLevels("long", take_profit=90, stop_loss=95)
    assert levels.fired(92) is ExitRule.STOP_LOSS


def test_trailing_stop_long_follows_the_high_and_fires_on_the_retrace():
    trail = TrailingStop("long", 10, 100)
    assert trail.stop_price == pytest.approx(90.0)
    assert trail.stop_direction is Direction.AT_OR_BELOW and trail.ratchet_direction is Direction.AT_OR_ABOVE
    assert trail.update(120) is True
    assert trail.stop_price == pytest.approx(108.0)
    assert trail.update(115) is False  # a lower price never lowers the stop
    assert trail.extreme == 120 and trail.stop_price == pytest.approx(108.0)
    assert not trail.is_hit(108.5)
    assert trail.is_hit(107.99)
    assert trail.is_hit(trail.stop_price)


def test_trailing_stop_short_follows_the_low_and_fires_on_the_retrace():
    trail = TrailingStop(Side.SHORT, 10, 100)
    assert trail.stop_price == pytest.approx(110.0)
    assert trail.stop_direction is Direction.AT_OR_ABOVE and trail.ratchet_direction is Direction.AT_OR_BELOW
    assert trail.update(80) is True
    assert trail.stop_price == pytest.approx(88.0)
    assert trail.update(85) is False
    assert not trail.is_hit(87.9) and not trail.is_hit(85)
    assert trail.is_hit(88.01)
    assert trail.is_hit(trail.stop_price)


def test_trailing_stop_replays_a_path():
    trail = TrailingStop("long", 5, 100)
    fired_at = None
    for price in [101, 103, 102, 106, 104, 103, 100.6, 100.7, 99]:
        trail.update(price)
        if trail.is_hit(price):
            fired_at = price
            break
    assert trail.extreme == 106
    assert fired_at == 100.6  # 106·0.95 = 100.7 is the stop; 100.6 is the first price at or under it


@pytest.mark.parametrize(
    "build, field",
    [
        (lambda: TrailingStop("long", 0, 100), "trailing_percent"),
        (lambda: TrailingStop("long", 100, 100), "trailing_percent"),
        (lambda: TrailingStop("short", 5, 0), "start_price"),
        (lambda: TrailingStop("sideways", 5, 100), "side"),
        (lambda: ExitLevels("long", take_profit=-1), "take_profit"),
        (lambda: ExitLevels("short", stop_loss=float("nan")), "stop_loss"),
        (lambda: ExitLevels.resolve("long", 0, take_profit_percent=5), "entry_price"),
        (lambda: ExitLevels.resolve("long", 100, take_profit_percent=-5), "take_profit_percent"),
        (lambda: EntryCondition(price_below=-1), "price_below"),
        (lambda: EntryCondition(price_above=float("inf")), "price_above"),
    ],
)
def test_condition_inputs_are_checked(build, field):
    with pytest.raises(DomainError) as err:
        build()
    assert err.value.field == field
