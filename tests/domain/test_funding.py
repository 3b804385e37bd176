"""Premium funding: Mango's clamp(perp/index - 1, ±5 %/day), paid continuously on the index."""

from __future__ import annotations

import pytest

from grace_desktop.domain.errors import DomainError
from grace_desktop.domain.funding import MAX_DAILY_RATE, funding_payment, premium_rate


def test_premium_rate_is_the_clamped_premium() -> None:
    assert premium_rate(101.0, 100.0) == pytest.approx(0.01)
    assert premium_rate(99.0, 100.0) == pytest.approx(-0.01)
    assert premium_rate(110.0, 100.0) == MAX_DAILY_RATE == 0.05
    assert premium_rate(50.0, 100.0) == -0.05
    assert premium_rate(100.0, 100.0) == 0.0
    assert premium_rate(110.0, 100.0, cap=0.02) == 0.02


def test_longs_pay_shorts_receive_pro_rata_in_time() -> None:
    # 2 SOL on an index of 150 at 1 %/day for an hour: 2 * 150 * 0.01 / 24 = 0.125 USDC.
    assert funding_payment("long", 2.0, 150.0, 0.01, 3_600) == pytest.approx(0.125)
    assert funding_payment("short", 2.0, 150.0, 0.01, 3_600) == pytest.approx(-0.125)
    assert funding_payment("long", 2.0, 150.0, -0.01, 3_600) == pytest.approx(-0.125)
    assert funding_payment("long", 2.0, 150.0, 0.01, 0) == 0.0


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: premium_rate(0.0, 100.0), "perp_price"),
        (lambda: premium_rate(100.0, float("nan")), "index_price"),
        (lambda: funding_payment("long", -1.0, 100.0, 0.01, 60), "size"),
        (lambda: funding_payment("flat", 1.0, 100.0, 0.01, 60), "side"),
        (lambda: funding_payment("long", 1.0, 100.0, 0.01, -5), "elapsed_s"),
    ],
)
def test_bad_inputs_name_the_field(call, field: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as error:
        call()
    assert error.value.field == field
