"""The alert stream: journaled, published to the bus (UI panel, tray) and logged."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from grace_desktop.services.events import AlertRaised, EventBus
from grace_desktop.services.tasks import log_if_failed
from grace_desktop.storage import Storage
from grace_desktop.storage.records import AlertRecord

log = logging.getLogger("grace_desktop.alerts")

LEVELS = ("info", "warning", "error", "critical")
_LOG_LEVEL = {"info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR, "critical": logging.CRITICAL}


class AlertStream:
    def __init__(self, store: Storage, bus: EventBus, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._bus = bus
        self._clock = clock

    def raise_alert(self, level: str, title: str, text: str, *, account: str = "", market: str = "") -> AlertRecord:
        if level not in LEVELS:
            raise ValueError(f"alert level must be one of {LEVELS}, got {level!r}")
        alert = AlertRecord(ts=self._clock(), level=level, title=title, text=text, account=account, market=market)
        # Journaled behind the writes already queued, without holding up the caller (often the tick
        # path or a close in progress); the alert reaches the window and the log at once either way,
        # also when the journal cannot write (disk full).
        try:
            self._store.write_later(self._store.alerts.record, alert).add_done_callback(log_if_failed(f"alert {title!r}"))
        except Exception:
            log.exception("could not journal alert %r", title)
        log.log(_LOG_LEVEL[level], "%s: %s [%s %s]", title, text, account, market)
        self._bus.publish(AlertRaised(alert))
        return alert

    def info(self, title: str, text: str, **where: str) -> AlertRecord:
        return self.raise_alert("info", title, text, **where)

    def warning(self, title: str, text: str, **where: str) -> AlertRecord:
        return self.raise_alert("warning", title, text, **where)

    def error(self, title: str, text: str, **where: str) -> AlertRecord:
        return self.raise_alert("error", title, text, **where)

