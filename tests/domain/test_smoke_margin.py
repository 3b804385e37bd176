from grace_desktop.domain.margin import liquidation_price


def test_liquidation_long_10x():
    assert abs(liquidation_price("long", 100, 10, 0.05) - 94.73684210526316) < 1e-9
