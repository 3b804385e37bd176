"""What every venue subscription shares: a buffer filled synchronously by the venue and read with
`async for`, ending once it is closed and drained. Subclasses decide what `push` keeps."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Generic, Self, TypeVar

T = TypeVar("T")


class BufferedStream(Generic[T]):
    def __init__(self, on_close: Callable[[Self], None] | None = None) -> None:
        self._buffer: deque[T] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._closed = False
        self._on_close = on_close

    @property
    def closed(self) -> bool:
        return self._closed

    def __len__(self) -> int:
        return len(self._buffer)

    def close(self) -> None:
        """No more items: the reader drains what is buffered, then the iteration ends."""
        if self._closed:
            return
        self._closed = True
        self._wake()
        if self._on_close is not None:
            self._on_close(self)

    async def aclose(self) -> None:
        self.close()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def take_ready(self) -> T | None:
        """The next buffered item without waiting, or None when the buffer is empty."""
        return self._buffer.popleft() if self._buffer else None

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> T:
        while not self._buffer:
            if self._closed:
                raise StopAsyncIteration
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._buffer.popleft()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()
