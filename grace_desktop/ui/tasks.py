"""Strong references for the tasks the UI starts (the loop only keeps weak ones; QT_NOTES §2.2)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)


class TaskKeeper:
    """Starts coroutines on the running loop, keeps them alive, reports failures, cancels on close."""

    def __init__(self, on_error: Callable[[str, BaseException], None] | None = None) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._on_error = on_error
        self._closed = False

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str = "ui task") -> asyncio.Task[Any] | None:
        if self._closed:
            coro.close()
            return None
        # Qt slots run inside qasync's run_forever, so the loop counts as running there. Not when
        # Qt delivers an event outside it (qasync's last processEvents after the loop stopped,
        # pytest-qt's between tests): then there is nothing to run the work on. Close the
        # coroutine, or it is reported as never awaited when it is collected.
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            log.debug("%s not started: no running event loop", name)
            coro.close()
            return None
        task = loop.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            log.error("%s failed", task.get_name(), exc_info=exc)
            if self._on_error is not None:
                self._on_error(task.get_name(), exc)

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def close(self, grace: float = 0.0) -> None:
        """Stop taking work; give running tasks `grace` seconds to finish (an order in flight
        should complete, not be cut off), then cancel the rest and wait for them to unwind."""
        self._closed = True
        tasks = list(self._tasks)
        if tasks and grace > 0:
            await asyncio.wait(tasks, timeout=grace)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
