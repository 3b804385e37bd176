"""One Grace Desktop per data dir: an OS file lock on DATA_DIR/grace.lock.

Two processes trading from one database would both close every position. The lock is an
advisory `flock` (POSIX) or `msvcrt.locking` (Windows) on an open file, so the kernel frees
it when the holder dies, even by SIGKILL: there is no stale lock to clean up. The file
says who holds it ("pid mode start-time") so a refused second instance can name the first.

Within one process the lock is counted, not re-taken: the window and a test may open the
same data dir twice, and they are one instance.
"""

from __future__ import annotations

import errno
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from grace_desktop.storage.errors import DataDirError, InstanceLockedError, ReadOnlyDatabaseError
from grace_desktop.storage.paths import FILE_MODE, tighten_file

LOCK_FILENAME = "grace.lock"
MODES = ("window", "headless", "self-test", "app")
# Windows locks are mandatory: lock a byte far past the holder's text so a second instance
# can still read who holds it.
_WINDOWS_LOCK_OFFSET = 1 << 20


@dataclass(frozen=True)
class LockHolder:
    pid: int
    mode: str
    since: float

    def describe(self) -> str:
        return f"pid {self.pid}, {self.mode}, since {time.strftime('%H:%M:%S', time.localtime(self.since))}"

    def encode(self) -> bytes:
        return f"{self.pid} {self.mode} {self.since:.3f}\n".encode()

    @classmethod
    def decode(cls, data: bytes) -> LockHolder | None:
        try:
            pid, mode, since = data.decode("utf-8", "replace").split()[:3]
            return cls(int(pid), mode, float(since))
        except ValueError:
            return None


@dataclass
class _Held:
    fd: int
    holder: LockHolder
    count: int


_held: dict[Path, _Held] = {}
_guard = threading.Lock()


class InstanceLock:
    """A counted handle on the data dir's lock. acquire() raises InstanceLockedError if another process has it."""

    def __init__(self, data_dir: str | Path, mode: str = "app") -> None:
        if mode not in MODES:
            raise ValueError(f"mode: expected one of {', '.join(MODES)}, got {mode!r}")
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / LOCK_FILENAME
        self.mode = mode
        self._key = Path(os.path.abspath(self.data_dir))
        self._acquired = False

    @property
    def held(self) -> bool:
        return self._acquired

    @property
    def holder(self) -> LockHolder | None:
        """Who holds the lock in this process (the first acquirer's mode), if anyone."""
        with _guard:
            held = _held.get(self._key)
            return held.holder if held else None

    def acquire(self) -> InstanceLock:
        if self._acquired:
            return self
        with _guard:
            held = _held.get(self._key)
            if held is not None:
                held.count += 1
            else:
                _held[self._key] = self._take()
        self._acquired = True
        return self

    def release(self) -> None:
        if not self._acquired:
            return
        self._acquired = False
        with _guard:
            held = _held[self._key]
            held.count -= 1
            if held.count == 0:
                del _held[self._key]
                _unlock(held.fd)
                os.close(held.fd)

    def __enter__(self) -> InstanceLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()

    def _take(self) -> _Held:
        # No O_TRUNC: the holder's text must survive a refused attempt to read it.
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, FILE_MODE)
        except PermissionError as exc:
            raise ReadOnlyDatabaseError(self.data_dir, "folder") from exc
        except OSError as exc:
            if exc.errno == errno.EROFS:
                raise ReadOnlyDatabaseError(self.data_dir, "folder") from exc
            raise DataDirError(self.data_dir, f"cannot create {self.path} ({exc.strerror or exc}); "
                                              "pass a --data-dir you can write to") from exc
        try:
            tighten_file(self.path)
            if not _try_lock(fd):
                raise InstanceLockedError(self.data_dir, _describe(read_holder(self.data_dir)))
            holder = LockHolder(os.getpid(), self.mode, time.time())
            os.ftruncate(fd, 0)
            _write_at_start(fd, holder.encode())
            return _Held(fd, holder, 1)
        except BaseException:
            os.close(fd)
            raise


def read_holder(data_dir: str | Path) -> LockHolder | None:
    """What the lock file says about its holder (None if missing or unreadable, e.g. while it is written)."""
    try:
        with open(Path(data_dir) / LOCK_FILENAME, "rb") as file:
            return LockHolder.decode(file.read(200))
    except OSError:
        return None


def _describe(holder: LockHolder | None) -> str:
    return holder.describe() if holder else "its pid is not known yet"


def _write_at_start(fd: int, data: bytes) -> None:
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, data)


if os.name == "nt":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        except OSError:
            pass

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
