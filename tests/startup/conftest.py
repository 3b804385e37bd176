"""Start-up tests: most run grace-desktop as a separate process; the window's dialogs run offscreen
on a qasync loop (the same loop-factory hook as tests/ui)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import asyncio  # noqa: E402
from collections.abc import Callable  # noqa: E402

import pytest  # noqa: E402


def _qasync_loop() -> asyncio.AbstractEventLoop:
    from grace_desktop.ui.qt import QApplication, create_qapp

    app = QApplication.instance() or create_qapp()
    # Our subclass: its close() frees the loop's Qt timers on this thread (see ui/event_loop.py);
    # qasync's own left them to the garbage collector, which crashed a later test now and then.
    from grace_desktop.ui.event_loop import QEventLoop

    return QEventLoop(app)


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> dict[str, Callable[[], asyncio.AbstractEventLoop]]:
    return {"qasync": _qasync_loop}
