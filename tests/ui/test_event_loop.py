"""The loop the UI tests (and start-up tests) run on releases its Qt timers when it closes."""

from __future__ import annotations

import asyncio
import gc
import threading

from grace_desktop.ui.event_loop import QEventLoop
from grace_desktop.ui.qt import QApplication


def test_a_closed_loop_collected_on_a_worker_thread_leaves_no_dangling_timer(qapp: QApplication) -> None:
    # A call_later still pending when the loop closes (an asyncio.sleep or wait_for deadline).
    # With qasync's own close() the timer stayed registered; the garbage collector, run here on a
    # worker thread as it may be by any allocating thread, freed its QObject without unregistering
    # it, and the next loop's timer activation dereferenced freed memory (a segfault, not a failure).
    async def leave_a_timer() -> None:
        asyncio.get_running_loop().call_later(0.2, lambda: None)
        await asyncio.sleep(0)

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(3):
            with asyncio.Runner(loop_factory=lambda: QEventLoop(qapp)) as runner:
                runner.run(leave_a_timer())
        worker = threading.Thread(target=gc.collect)
        worker.start()
        worker.join()
    finally:
        if was_enabled:
            gc.enable()
    with asyncio.Runner(loop_factory=lambda: QEventLoop(qapp)) as runner:
        runner.run(asyncio.sleep(0.4))  # the closed loops' timers would have fired in here
