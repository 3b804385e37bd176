"""`--venue spot --self-test` as a user runs it: a separate process given the router's root, the RPC
and a key file, against the loopback Jupiter/RPC stand-ins (tests/venues/spot). It buys about 1 USDC
of SOL, sells it back, checks the journal and exits 0 — with exactly two swaps on the chain."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from solders.keypair import Keypair

from grace_desktop.venues.spot.tokens import SOL_MINT, USDC_MINT
from tests.startup import helpers as h
from tests.venues.spot.chain import Chain
from tests.venues.spot.servers import Loopback
from tests.venues.spot.stack import START_LAMPORTS, START_USDC


def key_file(path: Path, keypair: Keypair) -> Path:
    path.write_text(json.dumps(list(bytes(keypair))))
    os.chmod(path, 0o600)
    return path


@pytest.mark.slow
def test_the_spot_self_test_from_the_command_line(tmp_path: Path) -> None:
    keypair = Keypair()
    chain = Chain()
    chain.fund(keypair.pubkey(), USDC_MINT, START_USDC * 10**6)
    chain.fund(keypair.pubkey(), SOL_MINT, START_LAMPORTS + 2 * 10**9)  # and 2 SOL the user holds
    loopback = Loopback(chain)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "grace_desktop", "--self-test", "--venue", "spot", "--spot-router", "jupiter",
             "--router-url", loopback.router_url, "--rpc-url", loopback.rpc_url,
             "--keypair", str(key_file(tmp_path / "id.json", keypair)), "--data-dir", str(tmp_path / "data")],
            cwd=h.ROOT, env=h.cli_env(), capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "self-test OK" in proc.stdout and "venue spot" in proc.stdout
        assert len(set(chain.landed)) == 2  # one buy, one sell
        assert chain.balance(str(keypair.pubkey()), SOL_MINT) >= START_LAMPORTS + 2 * 10**9 - 10**7  # theirs kept
        secret = bytes(keypair)[:32].hex()
        for path in (tmp_path / "data").rglob("*"):
            if path.is_file():
                assert secret not in path.read_bytes().hex(), path  # the key is in no file the app wrote
        assert str(keypair) not in proc.stdout + proc.stderr
    finally:
        loopback.close()


@pytest.mark.slow
def test_the_spot_self_test_says_why_there_is_no_price(tmp_path: Path) -> None:
    keypair = Keypair()
    chain = Chain()
    chain.fund(keypair.pubkey(), USDC_MINT, START_USDC * 10**6)
    chain.fund(keypair.pubkey(), SOL_MINT, START_LAMPORTS)
    loopback = Loopback(chain)
    try:
        loopback.fault("price", "429", times=50)  # Jupiter's price API: too many requests, every time
        proc = subprocess.run(
            [sys.executable, "-m", "grace_desktop", "--self-test", "--venue", "spot",
             "--router-url", loopback.router_url, "--rpc-url", loopback.rpc_url,
             "--keypair", str(key_file(tmp_path / "id.json", keypair)), "--data-dir", str(tmp_path / "data")],
            cwd=h.ROOT, env=h.cli_env(), capture_output=True, text=True, timeout=120)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "no price for SOL/USDC after 10 s (prices: " in proc.stdout and "429" in proc.stdout, proc.stdout
        assert len(chain.landed) == 0
    finally:
        loopback.close()
