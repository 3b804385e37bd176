"""Found driving the real window under Xvfb: clipped combos, a settings panel wider than a
1366-px window, fields not marked, stale messages, paging buttons that did nothing."""

from __future__ import annotations

import pytest

from grace_desktop.domain.settings import AccountSettings
from grace_desktop.storage import TradeRecord, open_storage
from grace_desktop.ui.journal_panel import PAGE_SIZE, JournalPanel
from grace_desktop.ui.order_ticket import OrderTicket
from grace_desktop.ui.qt import QScrollArea
from grace_desktop.ui.settings_panel import SettingsPanel
from grace_desktop.ui.tasks import TaskKeeper
from tests.ui.domain_backend import DomainBackend


def fits(combo) -> bool:
    """The combo is wide enough for its longest item plus the drop-down arrow."""
    widest = max(combo.fontMetrics().horizontalAdvance(combo.itemText(i)) for i in range(combo.count()))
    return combo.sizeHint().width() >= widest + 20


def test_combos_filled_after_show_fit_their_items(qtbot):
    # Services start after the window is shown, so the combos get their items late.
    ticket = OrderTicket()
    qtbot.addWidget(ticket)
    ticket.show()
    ticket.set_backend(DomainBackend(), ["paper"])
    assert fits(ticket.market_combo) and fits(ticket.account_combo)
    journal = JournalPanel(TaskKeeper())
    qtbot.addWidget(journal)
    journal.show()
    journal.account_filter.addItems(["All accounts", "paper"])
    journal.market_filter.addItems(["All markets", "BTC-PERP"])
    assert fits(journal.account_filter) and fits(journal.market_filter)


@pytest.fixture
def ticket(qtbot):
    widget = OrderTicket()
    qtbot.addWidget(widget)
    widget.set_backend(DomainBackend(), ["paper"])
    widget.set_market("BTC-PERP")
    return widget


@pytest.mark.parametrize("text", ["abc", "-1", "0"])
def test_bad_size_marks_the_field_and_stays_out_of_the_caption(ticket, text):
    ticket.size_edit.setText(text)
    assert ticket.size_edit.property("invalid") is True
    assert not ticket.submit_button.isEnabled()
    assert ticket.submit_button.text() == "Buy BTC-PERP"
    assert ticket.reason_label.text().startswith("size: ")


def test_empty_size_is_not_marked_and_a_good_one_is_in_the_caption(ticket):
    assert ticket.size_edit.text() == ""
    assert not ticket.size_edit.property("invalid")
    ticket.size_edit.setText("0.01")
    assert not ticket.size_edit.property("invalid")
    # The caption is the parsed size written to the lot (BTC-PERP: 0.0001), not the text as typed.
    assert ticket.submit_button.text() == "Buy 0.0100 BTC-PERP"
    assert ticket.submit_button.isEnabled()


def test_wrong_side_take_profit_is_marked_and_names_the_full_entry(ticket):
    ticket.exits.setChecked(True)
    ticket.size_edit.setText("0.01")
    ticket.tp_edit.setText("59000")  # below the 60,000 mark: wrong side for a long
    assert ticket.tp_edit.property("invalid") is True
    assert not ticket.sl_edit.property("invalid")
    assert "above the entry 60000" in ticket.reason_label.text()
    assert not ticket.submit_button.isEnabled()
    ticket.tp_edit.setText("61000")
    assert not ticket.tp_edit.property("invalid")
    assert ticket.submit_button.isEnabled()


def test_leverage_spin_keeps_room_for_its_text(ticket):
    ticket.show()
    line = ticket.leverage_spin.lineEdit()
    assert line.width() >= line.fontMetrics().horizontalAdvance(ticket.leverage_spin.text())


@pytest.fixture
def settings_panel(qtbot, tmp_path):
    store = open_storage(tmp_path)
    store.accounts.ensure("paper", "paper")
    panel = SettingsPanel(TaskKeeper())
    qtbot.addWidget(panel)

    async def saver(account, settings):
        store.settings.save(account, settings)

    panel.bind(["paper"], store.settings.get, saver)
    yield panel
    store.close()


def test_settings_fit_a_small_screen_bottom_dock(settings_panel):
    # At 1366x768 the bottom dock is ~960 px wide (the ticket takes the rest); the Venues
    # column used to overflow it, hiding the router key's "Forget" button.
    body = settings_panel.findChild(QScrollArea).widget()
    assert body.minimumSizeHint().width() <= 900


def test_stale_refusal_cleared_when_stored_settings_are_shown(settings_panel):
    settings_panel.editors["max_leverage"].setText("-3")
    assert settings_panel.save() is None
    assert settings_panel.status.text().startswith("Not saved")
    # e.g. auto-trading switched on from the menu re-shows the stored values
    settings_panel.show_settings(AccountSettings())
    assert settings_panel.status.text() == ""
    assert settings_panel.editors["max_leverage"].text() == f"{AccountSettings().max_leverage:g}"


async def test_paging_buttons_follow_the_tab_on_show(qtbot, tmp_path):
    store = open_storage(tmp_path)
    closed = 1_700_000_000
    store.trades.record_many([
        TradeRecord("paper", "BTC-PERP", "long", 0.1, 60_000, 60_100, 10.0, 1.0, closed + i - 60, closed + i)
        for i in range(PAGE_SIZE + 5)
    ])
    journal = JournalPanel(TaskKeeper())
    qtbot.addWidget(journal)
    await journal.bind(store, ["paper"], ["BTC-PERP"])
    assert journal.older_button.isEnabled()  # a full page of trades, more behind it
    journal.tabs.setCurrentIndex(1)  # no orders: "Older" would do nothing there
    assert not journal.older_button.isEnabled()
    journal.tabs.setCurrentIndex(0)
    await journal.page(+1)
    assert journal.newer_button.isEnabled()
    journal.tabs.setCurrentIndex(1)
    assert not journal.newer_button.isEnabled()
    store.close()
