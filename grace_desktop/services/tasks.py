"""Background tasks the services start: held by strong references, their failures logged and alerted.

The loop keeps only weak references to tasks, and an exception in a task nobody awaits is
never seen: a conditional entry that failed, or a price stream that ended, would vanish.
Every long-lived or fire-and-forget coroutine goes through `TaskSupervisor.spawn`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

FailureHook = Callable[[str, BaseException], object]  # what it returns is ignored


async def within(aw: Awaitable[T], timeout: float | None) -> T:
    """`asyncio.wait_for` that never loses the caller's cancellation.

    Before Python 3.12, wait_for returns the result of an awaitable that finished in the loop
    turn its caller was cancelled, and the cancellation is lost: an order sent as the app
    stops (SIGTERM during a close) runs on in a task that was told to end, and whoever awaits
    that task after cancelling it waits for ever.
    """
    task = asyncio.ensure_future(aw)
    try:
        done, _ = await asyncio.wait((task,), timeout=timeout)
    except asyncio.CancelledError:
        task.cancel()
        await asyncio.wait((task,))  # as wait_for does: the call has ended when the cancellation goes on
        raise
    if not done:
        task.cancel()
        await asyncio.wait((task,))
        if task.cancelled():
            raise TimeoutError
    return task.result()  # a call that finished as its deadline passed counts, as with wait_for


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


def log_if_failed(what: str) -> Callable[[Future[Any]], None]:
    """A done-callback for a write nobody awaits (Storage.write_later): its failure is logged, not lost."""

    def done(future: Future[Any]) -> None:
        if not future.cancelled() and future.exception() is not None:
            log.error("could not journal %s: %s", what, future.exception())

    return done
