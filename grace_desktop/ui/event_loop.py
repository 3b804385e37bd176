"""The qasync event loop, with a close() that lets go of its Qt objects on the GUI thread.

qasync 0.28's QEventLoop.close() only flags its timer object as stopped: the Qt timers of
call_later handles still pending (an asyncio.sleep, a wait_for deadline) stay registered, and
the closed loop lives on in a reference cycle (its call-soon signal's slot captures it). The
cyclic garbage collector then frees it whenever it next runs — on whichever thread allocates,
often a storage or to_thread worker. ~QObject on that thread cannot unregister the timers
("Timers cannot be stopped from another thread"), so the GUI thread's timer list keeps a pointer
to freed memory and the next timer activation dies in QCoreApplication::notifyInternal2.
One loop per process never meets this; every async test starts and closes one, so the suite did
(a segfault in a later test, about 4 runs in 10). Deleting the timer object here, on the thread that closes
the loop, unregisters the timers while that is still allowed.
"""

from __future__ import annotations

from grace_desktop.ui.qt import QtCore  # before qasync: pins it to PySide6 (see ui/qt.py)

# isort: split
import qasync
import shiboken6


class QEventLoop(qasync.QEventLoop):  # type: ignore[misc,name-defined]
    def close(self) -> None:
        super().close()
        timer = getattr(self, "_timer", None)  # qasync's _SimpleTimer: the QObject owning the timers
        if isinstance(timer, QtCore.QObject) and shiboken6.isValid(timer):
            shiboken6.delete(timer)  # unregisters its timers now, on this thread
