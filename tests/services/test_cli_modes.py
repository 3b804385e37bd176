"""The window-less CLI modes, run as a user would: separate processes on a fresh data dir."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

from grace_desktop.storage import open_storage

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, **kwargs) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "grace_desktop", *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


def test_self_test_places_and_closes_one_order_and_checks_the_journal(tmp_path):
    proc = run_cli("--self-test", "--data-dir", str(tmp_path))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, out + err
    assert "self-test OK" in out and "opened: buy" in out and "closed: sell" in out
    with open_storage(tmp_path) as store:
        orders = store.orders.page(account="self-test")
        assert len(orders) == 2 and all(r.order.status.value == "filled" for r in orders)
        assert len(store.trades.page(account="self-test")) == 1
        assert "self-test" not in [a.name for a in store.accounts.list()]  # internal: not the user's


def test_self_test_on_an_unavailable_venue_fails_with_a_reason(tmp_path):
    proc = run_cli("--self-test", "--venue", "mango_v3", "--data-dir", str(tmp_path / "data"))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert err.startswith("grace-desktop: the mango_v3 venue") and err.count("\n") == 1, err
    assert not (tmp_path / "data").exists()


def test_headless_runs_the_monitor_until_sigterm_and_stops_cleanly(tmp_path):
    proc = run_cli("--headless", "--data-dir", str(tmp_path))
    deadline = time.monotonic() + 30
    lines = []
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        lines.append(line)
        if "headless: monitoring" in line:
            break
    else:
        proc.kill()
        raise AssertionError("".join(lines))
    time.sleep(1.0)  # let prices flow and a sweep run...
    deadline = time.monotonic() + 20  # ...however slowly a loaded machine lets it (read as a second process)
    while not equity_rows(tmp_path / "grace.db") and time.monotonic() < deadline:
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    text = "".join(lines) + err
    assert proc.returncode == 0, text
    assert "stopped cleanly" in text
    assert "Task was destroyed" not in text and "Traceback" not in text
    with open_storage(tmp_path) as store:
        assert [a.name for a in store.accounts.list()] == ["paper"]
        assert store.equity.curve("paper")  # the sweep recorded equity while running


def equity_rows(db: Path) -> int:
    try:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)) as conn:
            return int(conn.execute("SELECT count(*) FROM equity WHERE account = 'paper'").fetchone()[0])
    except sqlite3.Error:
        return 0  # not created yet, or busy: asked again
