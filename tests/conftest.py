"""Fixtures shared across the suite: a real SQLite file in the test's tmp_path, and in-process
keyrings so no test reads or writes the developer's own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.errors import PasswordDeleteError

from grace_desktop.storage import Storage, open_storage

B = TypeVar("B", bound=KeyringBackend)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def store(data_dir: Path) -> Iterator[Storage]:
    s = open_storage(data_dir)
    yield s
    s.close()


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.items:
            raise PasswordDeleteError("not found")  # as the OS keyrings do
        del self.items[(service, username)]


def _installed(backend: B) -> Iterator[B]:
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def ring() -> Iterator[MemoryKeyring]:
    """The keyring, held in memory; `ring.items` is what was stored."""
    yield from _installed(MemoryKeyring())


@pytest.fixture
def refusing_keyring() -> Iterator[KeyringBackend]:
    """keyring's "fail" backend, which refuses every call (a locked or missing OS keyring)."""
    yield from _installed(fail.Keyring())
