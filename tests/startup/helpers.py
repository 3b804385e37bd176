"""Run grace-desktop as a user would (a separate process) and build the bad files it must refuse."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOBODY = 65534


def cli_env(**overrides: str | None) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1")
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run_cli(*args: str, timeout: float = 60, env: dict[str, str] | None = None,
            **popen: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "grace_desktop", *args], cwd=ROOT, env=env or cli_env(),
                          capture_output=True, text=True, timeout=timeout, **popen)  # type: ignore[call-overload]


def start_headless(data_dir: Path, timeout: float = 30) -> subprocess.Popen[str]:
    """A running `--headless` monitor on data_dir, returned once it says it is monitoring."""
    proc = subprocess.Popen([sys.executable, "-m", "grace_desktop", "--headless", "--data-dir", str(data_dir)],
                            cwd=ROOT, env=cli_env(), text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    lines = []
    while time.monotonic() < deadline:
        line = proc.stderr.readline()  # type: ignore[union-attr]
        lines.append(line)
        if "headless: monitoring" in line:
            return proc
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise AssertionError("headless did not start:\n" + "".join(lines))


def one_line(stderr: str) -> str:
    """The single `grace-desktop: ...` line a start-up failure prints, asserting there is nothing else."""
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("grace-desktop: "), stderr
    return lines[0]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sidecars(path: Path) -> list[str]:
    return [p.name for p in (Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")) if p.exists()]


# -- bad grace.db files: each builder writes one into `path` and leaves no -wal/-shm --------------

def foreign_app_id(path: Path) -> None:
    _foreign(path, "PRAGMA application_id = 305419896")  # 0x12345678: some other program's file


def foreign_schema(path: Path) -> None:
    _foreign(path, "SELECT 1")


def _foreign(path: Path, pragma: str) -> None:
    # WAL mode on purpose: a careless read-only open of a WAL file creates -wal and -shm.
    conn = sqlite3.connect(path)
    conn.execute(pragma)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.executemany("INSERT INTO notes (body) VALUES (?)", [(f"note {i}",) for i in range(200)])
    conn.commit()
    conn.close()


def not_sqlite(path: Path) -> None:
    path.write_bytes(b"my shopping list\n" * 400)


def ours(path: Path, trades: int = 400) -> None:
    """A real grace.db written by this Grace Desktop, closed cleanly (no -wal left)."""
    from grace_desktop.storage import Storage, TradeRecord

    with Storage(path) as store:
        store.accounts.ensure("paper", "paper")
        for i in range(trades):
            store.trades.record(TradeRecord("paper", "SOL-PERP", "long", 1.0, 100.0, 101.0, 1.0, 0.1,
                                            float(i), float(i + 1)))


def truncated(path: Path) -> None:
    ours(path)
    data = path.read_bytes()
    page_size = int.from_bytes(data[16:18], "big")
    path.write_bytes(data[: page_size * (len(data) // page_size // 2)])


def header_only(path: Path) -> None:
    ours(path)
    path.write_bytes(path.read_bytes()[:60])


def corrupt(path: Path) -> None:
    ours(path)
    data = bytearray(path.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    middle = page_size * (len(data) // page_size // 2)
    data[middle:middle + page_size] = bytes((i * 37 + 11) % 251 for i in range(page_size))
    path.write_bytes(bytes(data))


def newer_schema(path: Path) -> None:
    from grace_desktop.storage import LATEST_VERSION

    ours(path, trades=1)
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_version VALUES (?, 0)", (LATEST_VERSION + 1,))
    conn.commit()
    conn.close()
