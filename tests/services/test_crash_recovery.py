"""Kill a process mid-trading with SIGKILL, restart, reconcile: no order lost or duplicated."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grace_desktop.domain.enums import OrderStatus
from grace_desktop.services.container import build_services
from grace_desktop.storage import open_storage

ROOT = Path(__file__).resolve().parents[2]
RUNS = 20


def start_child(data_dir: Path, seed: int) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("crash_child.py")), str(data_dir), str(seed)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT,
    )


async def check_consistency(data_dir: Path) -> tuple[int, int]:
    """Restart (which reconciles), then compare the venue's orders with the journal."""
    store = open_storage(data_dir)
    services = await build_services(store, "paper", feed=None, sweep_interval=3600)
    try:
        account = services.account
        venue_orders = {o.client_id: o for o in store.paper.orders(account)}
        journal = {r.order.client_id: r for r in store.orders.page(account=account, limit=100_000)}
        assert store.orders.pending_intents() == [], "an intent survived reconciliation"
        for client_id, order in venue_orders.items():
            assert client_id in journal, f"venue order {client_id} missing from the journal (lost)"
            assert journal[client_id].order.status is order.status
        failed = 0
        for client_id, record in journal.items():
            if record.order.status is OrderStatus.FILLED:
                assert client_id in venue_orders, f"journal says filled but the venue never had {client_id}"
            elif record.order.status is OrderStatus.FAILED:
                assert client_id not in venue_orders
                failed += 1
        # The position is exactly the sum of what was filled: nothing counted twice.
        net = sum(o.request.side.sign * o.filled_size for o in venue_orders.values())
        positions = await services.paper.positions(account)
        held = sum(p.side.sign * p.size for p in positions if p.market == "SOL-PERP")
        assert held == pytest.approx(net, abs=1e-9)
        return len(venue_orders), failed
    finally:
        await services.stop()
        store.close()


async def test_sigkill_at_random_points_loses_and_duplicates_nothing(tmp_path):
    rng = random.Random(1234)
    data_dir = tmp_path / "crash"
    orders = failed = 0
    for run in range(RUNS):
        child = start_child(data_dir, seed=run)
        line = child.stdout.readline()
        assert line.startswith("ready"), child.stderr.read()
        time.sleep(rng.uniform(0.02, 0.4))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        assert child.returncode == -signal.SIGKILL
        orders, failed = await check_consistency(data_dir)
    assert orders > RUNS  # the children really traded
    print(f"{RUNS} kills, {orders} venue orders, {failed} intents reconciled as never sent")
