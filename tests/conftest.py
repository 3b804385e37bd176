"""Fixtures shared by the storage and venue tests: a real SQLite file in the test's tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from grace_desktop.storage import Storage, open_storage


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def store(data_dir: Path) -> Iterator[Storage]:
    s = open_storage(data_dir)
    yield s
    s.close()
