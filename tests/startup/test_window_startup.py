"""The window's side of start-up: a dialog instead of a dead process, and uncaught errors shown in the window."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import signal
import time
import weakref
from pathlib import Path

import pytest

from grace_desktop import app as app_module
from grace_desktop.app import create_main_window
from grace_desktop.services.runner import install_error_hooks
from grace_desktop.storage import DB_FILENAME
from grace_desktop.ui.qt import QApplication, QtCore, QTimer, QtWidgets, create_qapp
from grace_desktop.ui.startup_dialogs import SECOND_INSTANCE, STARTUP_ERROR
from tests.startup import helpers as h


async def wait_until(predicate, timeout: float = 10.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while not (found := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)
    return found


def visible(name: str) -> QtWidgets.QWidget | None:
    return next((w for w in QApplication.topLevelWidgets() if w.objectName() == name and w.isVisible()), None)


def window_args(data_dir: Path) -> argparse.Namespace:
    return argparse.Namespace(data_dir=str(data_dir), venue="paper", mango_url=None, gui_smoke=False, debug=False)


@pytest.fixture
def as_in_main():
    """app.main's setting: the app quits when _run returns, not when its last window (the dialog) closes."""
    qapp = create_qapp()
    before = qapp.quitOnLastWindowClosed()
    qapp.setQuitOnLastWindowClosed(False)
    yield qapp
    qapp.setQuitOnLastWindowClosed(before)


async def run_until_dialog(data_dir: Path, name: str) -> tuple[asyncio.Task[int], QtWidgets.QMessageBox]:
    task = asyncio.ensure_future(app_module._run(create_qapp(), window_args(data_dir)))
    box = await wait_until(lambda: visible(name), what=f"the {name}")
    assert isinstance(box, QtWidgets.QMessageBox)
    assert not task.done()  # the window mode waits for the user to read it
    assert visible("mainWindow") is None
    return task, box


async def close_and_get_code(task: asyncio.Task[int], box: QtWidgets.QMessageBox) -> int:
    box.button(QtWidgets.QMessageBox.StandardButton.Close).click()
    code = await asyncio.wait_for(task, 10)
    await flush_qt()
    return code


async def flush_qt() -> None:
    """Run pending deleteLater()s and callbacks while this test's loop is still alive."""
    await asyncio.sleep(0.05)
    QApplication.sendPostedEvents(None, QtCore.QEvent.Type.DeferredDelete)
    await asyncio.sleep(0)


async def test_a_second_window_shows_who_has_the_data_dir_and_exits_2(tmp_path: Path, capsys, as_in_main) -> None:
    data = tmp_path / "data"
    headless = h.start_headless(data)
    try:
        task, box = await run_until_dialog(data, SECOND_INSTANCE)
        assert "already running" in box.text()
        assert f"(pid {headless.pid}, headless, since" in box.informativeText() and str(data) in box.informativeText()
        assert await close_and_get_code(task, box) == 2
    finally:
        headless.send_signal(signal.SIGTERM)
        headless.communicate(timeout=30)
    line = h.one_line(capsys.readouterr().err)
    assert line.startswith(f"grace-desktop: another Grace Desktop (pid {headless.pid}, headless")


async def test_a_refused_grace_db_shows_a_dialog_and_exits_2_leaving_the_file_alone(
    tmp_path: Path, capsys, as_in_main
) -> None:
    path = tmp_path / DB_FILENAME
    h.foreign_app_id(path)
    before = h.digest(path)
    task, box = await run_until_dialog(tmp_path, STARTUP_ERROR)
    assert box.text() == "Grace Desktop could not start."
    assert "belongs to another application" in box.informativeText()
    assert await close_and_get_code(task, box) == 2
    assert h.digest(path) == before and h.sidecars(path) == []
    assert "belongs to another application" in h.one_line(capsys.readouterr().err)


async def test_uncaught_errors_are_logged_and_shown_in_the_window(tmp_path: Path, caplog) -> None:
    win = await create_main_window(tmp_path, use_tray=False, feed=None)
    notifier = app_module._WindowNotifier()
    notifier.window = weakref.ref(win)
    loop = asyncio.get_running_loop()
    uninstall = install_error_hooks(loop, notifier)
    try:
        with caplog.at_level(logging.ERROR):
            async def fails() -> None:
                raise ValueError("boom in a task")

            task = loop.create_task(fails())
            await asyncio.sleep(0.05)
            del task  # never awaited: asyncio reports it to the loop's handler when it is collected
            gc.collect()
            await wait_until(lambda: "Task exception was never retrieved" in win.alerts.titles(), what="task alert")
            assert "boom in a task" in win.status.currentMessage()

            def slot() -> None:
                raise RuntimeError("boom in a slot")

            QTimer.singleShot(0, slot)  # Qt hands a slot's exception to sys.excepthook
            await wait_until(lambda: "Unexpected error" in win.alerts.titles(), what="slot alert")
            assert "RuntimeError: boom in a slot" in win.status.currentMessage()
        logged = [r for r in caplog.records if r.levelno == logging.ERROR and r.exc_info]
        assert {type(r.exc_info[1]) for r in logged} >= {ValueError, RuntimeError}  # with their tracebacks
    finally:
        uninstall()
        win.close()
        await asyncio.wait_for(win.wait_closed(), 10)
        await flush_qt()


def test_error_hooks_are_put_back(tmp_path: Path) -> None:
    import sys
    import threading

    loop = asyncio.new_event_loop()
    try:
        before = (sys.excepthook, threading.excepthook, loop.get_exception_handler())
        uninstall = install_error_hooks(loop)
        assert sys.excepthook is not before[0] and loop.get_exception_handler() is not None
        uninstall()
        assert (sys.excepthook, threading.excepthook, loop.get_exception_handler()) == before
    finally:
        loop.close()


async def test_the_window_settings_file_is_private(tmp_path: Path) -> None:
    from grace_desktop.ui.main_window import SETTINGS_FILE

    win = await create_main_window(tmp_path, use_tray=False, feed=None)
    win.close()
    await asyncio.wait_for(win.wait_closed(), 10)
    await flush_qt()
    ini = tmp_path / SETTINGS_FILE
    assert "window" in ini.read_text()  # the layout was saved into it
    assert ini.stat().st_mode & 0o777 == 0o600
