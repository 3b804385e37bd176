"""Background tasks the services start: held by strong references, their failures logged and alerted.

The loop keeps only weak references to tasks, and an exception in a task nobody awaits is
never seen: a conditional entry that failed, or a price stream that ended, would vanish.
Every long-lived or fire-and-forget coroutine goes through `TaskSupervisor.spawn`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)

FailureHook = Callable[[str, BaseException], None]


class TaskSupervisor:
    def __init__(self, on_failure: FailureHook | None = None) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self._long_lived: set[asyncio.Task[Any]] = set()  # run until stopped: never "pending work"
        self._on_failure = on_failure
        self.failures = 0

    def set_failure_hook(self, hook: FailureHook) -> None:
        self._on_failure = hook

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str = "", *, long_lived: bool = False) -> asyncio.Task[Any]:
        """`long_lived`: a loop that runs until the services stop (a stream consumer), not work in flight."""
        task = asyncio.get_running_loop().create_task(coro, name=name or None)
        self._tasks.add(task)
        if long_lived:
            self._long_lived.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        self._long_lived.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is None:
            return
        self.failures += 1
        name = task.get_name()
        log.error("background task %s failed", name, exc_info=exc)
        if self._on_failure is not None:
            try:
                self._on_failure(name, exc)
            except Exception:
                log.exception("could not report the failure of %s", name)

    def __len__(self) -> int:
        return len(self._tasks)

    def pending(self, exclude: set[asyncio.Task[Any]] | None = None) -> int:
        skip = exclude or set()
        return sum(1 for t in self._tasks if t not in skip and t not in self._long_lived and not t.done())

    async def cancel_all(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        self._long_lived.clear()
