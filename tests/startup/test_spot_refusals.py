"""`--venue spot` start-up refusals as a user meets them: a separate process, one line on stderr, exit
code 2, and no data dir made — an unreachable or wrong Solana RPC, GMGN without its route key."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from solders.keypair import Keypair

from grace_desktop.services.container import VenueUnavailableError
from grace_desktop.services.spot_options import probe_spot
from tests.startup import helpers as h
from tests.venues.spot.chain import Chain
from tests.venues.spot.servers import Loopback

MODES = {"headless": ("--headless",), "self-test": ("--self-test",), "window": ("--gui-smoke",)}
# No keyring of the developer's: a GMGN key saved there must not change what these runs see.
ENV = h.cli_env(QT_QPA_PLATFORM="offscreen", PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")


def key_file(path: Path) -> Path:
    path.write_text(json.dumps(list(bytes(Keypair()))))
    os.chmod(path, 0o600)
    return path


@pytest.fixture
def loopback() -> object:
    lb = Loopback(Chain())
    yield lb
    lb.close()


@pytest.mark.parametrize("mode", MODES)
def test_an_unreachable_rpc_is_one_line_naming_only_its_host_and_leaves_no_files(tmp_path: Path, mode: str) -> None:
    proc = h.run_cli(*MODES[mode], "--venue", "spot", "--rpc-url", "http://127.0.0.1:9/provider-token-123",
                     "--keypair", str(key_file(tmp_path / "id.json")), "--data-dir", str(tmp_path / "fresh"), env=ENV)
    assert proc.returncode == 2
    line = h.one_line(proc.stderr)
    assert line.startswith("grace-desktop: the spot venue cannot use the Solana RPC at http://127.0.0.1:9 ")
    assert "cannot connect" in line and "--rpc-url" in line
    assert "provider-token-123" not in proc.stderr + proc.stdout  # a provider's key in the path stays out
    assert not (tmp_path / "fresh").exists()


def test_a_url_that_is_not_solana_rpc_is_refused_before_any_file(tmp_path: Path, loopback: Loopback) -> None:
    proc = h.run_cli("--headless", "--venue", "spot", "--rpc-url", loopback.router_url,  # the router, not an RPC
                     "--keypair", str(key_file(tmp_path / "id.json")), "--data-dir", str(tmp_path / "fresh"), env=ENV)
    assert proc.returncode == 2
    line = h.one_line(proc.stderr)
    assert "cannot use the Solana RPC" in line and "(None)" not in line
    assert not (tmp_path / "fresh").exists()


@pytest.mark.parametrize("mode", ["headless", "self-test"])
def test_gmgn_without_its_route_key_says_where_it_goes_and_leaves_no_files(
        tmp_path: Path, loopback: Loopback, mode: str) -> None:
    proc = h.run_cli(*MODES[mode], "--venue", "spot", "--spot-router", "gmgn", "--router-url", loopback.router_url,
                     "--rpc-url", loopback.rpc_url, "--keypair", str(key_file(tmp_path / "id.json")),
                     "--data-dir", str(tmp_path / "fresh"), env=ENV)
    assert proc.returncode == 2
    assert h.one_line(proc.stderr) == (
        "grace-desktop: GMGN's router needs its route key (x-route-key): save it in Settings → Spot → GMGN route "
        "key (kept in the OS keyring), or use --spot-router jupiter")
    assert not (tmp_path / "fresh").exists()


async def test_the_probe_passes_a_node_that_knows_the_tokens_and_refuses_an_unknown_token(loopback: Loopback) -> None:
    await probe_spot({"rpc_url": loopback.rpc_url, "tokens": ("SOL",)})
    with pytest.raises(VenueUnavailableError, match="spot tokens: token 'NOPE'"):
        await probe_spot({"rpc_url": loopback.rpc_url, "tokens": ("NOPE",)})
