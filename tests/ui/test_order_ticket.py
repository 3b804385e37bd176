"""The order ticket's live labels equal domain math; submit is disabled with the policy's reason."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grace_desktop.domain import margin, sizing
from grace_desktop.domain.enums import Side
from grace_desktop.domain.models import Position
from grace_desktop.domain.settings import AccountSettings
from grace_desktop.ui import formatting as fmt
from grace_desktop.ui.order_ticket import LEVERAGE_SCALE, OrderTicket
from grace_desktop.ui.qt import QLabel, QPushButton, QSlider, Qt
from tests.ui.domain_backend import SPECS, DomainBackend


@pytest.fixture
def ticket(qtbot):
    backend = DomainBackend()
    widget = OrderTicket()
    qtbot.addWidget(widget)
    widget.set_backend(backend, ["paper"])
    widget.set_market("BTC-PERP")
    return widget


def label(widget, name: str) -> str:
    return widget.findChild(QLabel, name).text()


def test_named_widgets_exist(ticket):
    for name in ("leverageSlider",):
        assert ticket.findChild(QSlider, name) is not None
    assert ticket.objectName() == "orderTicket"
    assert ticket.findChild(QPushButton, "submitOrderButton") is not None
    assert ticket.leverage_spin.objectName() == "leverageSpin"
    assert ticket.size_edit.objectName() == "sizeEdit"


def test_slider_range_is_allowed_leverage_and_default_from_settings(ticket):
    # min(market max 20, settings max 20), no volatility cap.
    assert ticket.leverage_slider.maximum() == 20 * LEVERAGE_SCALE
    assert ticket.leverage() == 2.0
    assert not ticket.cap_label.isVisible()


@pytest.mark.parametrize("side", ["buy", "sell"])
def test_slider_moves_liquidation_label_to_domain_value(ticket, qtbot, side):
    ticket.set_side(side)
    for lev in (1, 3, 7.5, 12, 20):
        ticket.leverage_slider.setValue(round(lev * LEVERAGE_SCALE))
        assert ticket.leverage_spin.value() == pytest.approx(lev)
        expected = margin.liquidation_price(Side.parse(side), 60_000.0, lev, SPECS["BTC-PERP"].maint_margin)
        assert label(ticket, "liquidationPriceLabel") == fmt.liquidation(expected, SPECS["BTC-PERP"].tick_size)


def test_one_x_long_has_no_liquidation_price(ticket):
    ticket.leverage_slider.setValue(LEVERAGE_SCALE)
    assert margin.liquidation_price("long", 60_000.0, 1, 0.025) == 0
    assert label(ticket, "liquidationPriceLabel") == "none"
    assert label(ticket, "liquidationDistanceLabel") == "—"
    ticket.set_side("sell")  # a 1x short is still liquidated on a rally
    assert label(ticket, "liquidationPriceLabel") == fmt.price(margin.liquidation_price("short", 60_000.0, 1, 0.025), 0.5)


def test_spin_drives_slider(ticket):
    ticket.leverage_spin.setValue(5.5)
    assert ticket.leverage_slider.value() == 55
    ticket.leverage_slider.setValue(80)
    assert ticket.leverage_spin.value() == pytest.approx(8.0)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lev=st.integers(min_value=10, max_value=200),
    size_lots=st.integers(min_value=1, max_value=3000),
    side=st.sampled_from(["buy", "sell"]),
)
def test_every_label_equals_domain(ticket, lev, size_lots, side):
    backend: DomainBackend = ticket.backend
    spec = SPECS["BTC-PERP"]
    size = size_lots * spec.lot_size
    ticket.set_side(side)
    ticket.leverage_slider.setValue(lev)
    ticket.size_edit.setText(f"{size:.4f}")
    leverage = lev / LEVERAGE_SCALE
    decision = backend.preview(side, round(size, 4), "BTC-PERP", "paper", leverage=leverage)
    liq = margin.liquidation_price(Side.parse(side), 60_000.0, leverage, spec.maint_margin)
    assert label(ticket, "liquidationPriceLabel") == fmt.liquidation(liq, spec.tick_size)
    assert label(ticket, "requiredMarginLabel") == fmt.money(decision.required_margin)
    assert label(ticket, "freeCollateralAfterLabel") == fmt.money(decision.free_collateral_after)
    assert label(ticket, "accountLeverageAfterLabel") == fmt.leverage(decision.account_leverage_after)
    assert label(ticket, "feeLabel") == fmt.money(decision.fee)
    dist = margin.distance_to_liquidation_pct(Side.parse(side), 60_000.0, liq)
    expected_dist = fmt.percent(dist) if liq > 0 else "—"  # a 1x long has no liquidation price
    assert label(ticket, "liquidationDistanceLabel").startswith(expected_dist)
    assert ticket.submit_button.isEnabled() == decision.approved
    if not decision.approved:
        assert decision.explain() in ticket.reason_label.text()


def test_refused_order_disables_submit_with_reason(ticket):
    ticket.leverage_slider.setValue(10)  # 1x
    ticket.size_edit.setText("1")  # 60,000 notional at 1x > 10,000 balance
    assert not ticket.submit_button.isEnabled()
    assert "required margin" in ticket.reason_label.text()
    ticket.size_edit.setText("0.05")  # 3,000 notional: fits
    assert ticket.submit_button.isEnabled()
    assert ticket.reason_label.text() == ""


def test_bad_size_text_is_refused_by_name(ticket):
    ticket.size_edit.setText("abc")
    assert not ticket.submit_button.isEnabled()
    assert "size" in ticket.reason_label.text()
    ticket.size_edit.setText("0.00005")  # below the 0.0001 lot
    assert "lot size" in ticket.reason_label.text()


def test_volatility_cap_lowers_slider_max_and_is_shown(qtbot):
    backend = DomainBackend(vols={"BTC-PERP": 0.09})  # above the 8 % tier -> 5x
    ticket = OrderTicket()
    qtbot.addWidget(ticket)
    ticket.set_backend(backend, ["paper"])
    ticket.set_market("BTC-PERP")
    ticket.show()
    assert ticket.leverage_slider.maximum() == 5 * LEVERAGE_SCALE
    assert ticket.cap_label.isVisible()
    assert "volatility" in ticket.cap_label.text() and "5x" in ticket.cap_label.text()
    # Distance in daily-volatility multiples is shown next to the percent.
    ticket.leverage_slider.setValue(50)
    liq = margin.liquidation_price("long", 60_000.0, 5, 0.025)
    dist = margin.distance_to_liquidation_pct("long", 60_000.0, liq)
    assert fmt.vol_multiple(dist / 100 / 0.09) in label(ticket, "liquidationDistanceLabel")


def test_safe_and_max_buttons(ticket, qtbot):
    ticket.leverage_slider.setValue(50)
    qtbot.mouseClick(ticket.safe_button, Qt.MouseButton.LeftButton)
    expected = sizing.safe_position_size(10_000.0, 60_000.0, 5.0, 0.0001)
    assert float(ticket.size_edit.text()) == pytest.approx(expected)
    assert ticket.submit_button.isEnabled()
    qtbot.mouseClick(ticket.max_button, Qt.MouseButton.LeftButton)
    biggest = float(ticket.size_edit.text())
    assert ticket.submit_button.isEnabled()
    # One more lot would be refused by the same policy.
    decision = ticket.backend.preview("buy", biggest + 0.0001, "BTC-PERP", "paper", leverage=5.0)
    assert not decision.approved


def test_max_respects_account_leverage(qtbot):
    backend = DomainBackend(account_settings=AccountSettings(max_leverage=20, max_account_leverage=2))
    ticket = OrderTicket()
    qtbot.addWidget(ticket)
    ticket.set_backend(backend, ["paper"])
    ticket.set_market("BTC-PERP")
    ticket.leverage_slider.setValue(100)
    ticket.fill_max_size()
    size = float(ticket.size_edit.text())
    assert ticket.submit_button.isEnabled()
    assert backend.preview("buy", size, "BTC-PERP", "paper", leverage=10).account_leverage_after <= 2


def test_conditions_validated_against_side(ticket):
    ticket.size_edit.setText("0.01")
    ticket.exits.setChecked(True)
    ticket.tp_edit.setText("59000")  # below entry for a long
    assert not ticket.submit_button.isEnabled()
    assert "take_profit" in ticket.reason_label.text()
    ticket.tp_edit.setText("63000")
    ticket.sl_edit.setText("58000")
    assert ticket.submit_button.isEnabled()
    ticket.trailing_edit.setText("150")
    assert "trailing_percent" in ticket.reason_label.text()


def test_submit_emits_order_with_conditions(ticket, qtbot):
    ticket.set_side("sell")
    ticket.size_edit.setText("0.02")
    ticket.leverage_slider.setValue(30)
    ticket.exits.setChecked(True)
    ticket.tp_pct_edit.setText("4")
    ticket.sl_edit.setText("61000")
    with qtbot.waitSignal(ticket.submit_requested, timeout=1000) as sig:
        qtbot.mouseClick(ticket.submit_button, Qt.MouseButton.LeftButton)
    order = sig.args[0]
    assert (order.action, order.market, order.size, order.leverage) == ("sell", "BTC-PERP", 0.02, 3.0)
    c = order.conditions
    assert c.take_profit_percent == 4 and c.stop_loss == 61000 and c.take_profit is None
    assert not ticket.submit_button.isEnabled()  # busy until the window reports back
    ticket.show_result(True, "filled")
    assert ticket.submit_button.isEnabled()


def test_limit_order_uses_limit_price(ticket):
    ticket.limit_type.setChecked(True)
    assert ticket.price_edit.isEnabled()
    ticket.size_edit.setText("0.01")
    assert not ticket.submit_button.isEnabled() and "price" in ticket.reason_label.text()
    ticket.price_edit.setText("50000")
    ticket.leverage_slider.setValue(100)
    assert label(ticket, "liquidationPriceLabel") == fmt.liquidation(margin.liquidation_price("long", 50_000, 10, 0.025), 0.5)
    ticket.price_edit.setText("50000.3")  # off the 0.5 tick
    assert "tick size" in ticket.reason_label.text()


def test_spot_market_has_no_leverage(ticket):
    ticket.set_market("SOL/USDC")
    assert not ticket.leverage_slider.isEnabled()
    assert label(ticket, "liquidationPriceLabel") == "none (spot)"


def test_existing_position_reduces_required_margin(qtbot):
    backend = DomainBackend(positions=[Position("paper", "BTC-PERP", "long", 0.1, 60_000.0, 5, 1200.0)])
    ticket = OrderTicket()
    qtbot.addWidget(ticket)
    ticket.set_backend(backend, ["paper"])
    ticket.set_market("BTC-PERP")
    ticket.set_side("sell")
    ticket.size_edit.setText("0.05")
    decision = backend.preview("sell", 0.05, "BTC-PERP", "paper", leverage=ticket.leverage())
    assert label(ticket, "requiredMarginLabel") == fmt.money(decision.required_margin)
    assert decision.required_margin == pytest.approx(decision.fee)


def test_negative_free_collateral_after_is_shown_as_an_error(ticket):
    ticket.size_edit.setText("5")  # far more than the paper account can margin
    label = ticket.free_after_label
    assert label.text().startswith("-") and label.property("role") == "error"
    ticket.size_edit.setText("0.01")
    assert label.property("role") == "value"
