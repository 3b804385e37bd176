"""Loading the user's keypair: key files checked for ownership and permissions, secrets never shown."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest
from solders.keypair import Keypair

from grace_desktop.venues.spot import KeyRefused, load_keypair


def key_file(tmp_path: Path, keypair: Keypair, mode: int) -> Path:
    path = tmp_path / "id.json"
    path.write_text(json.dumps(list(bytes(keypair))))
    os.chmod(path, mode)
    return path


def test_a_private_key_file_loads(tmp_path: Path) -> None:
    keypair = Keypair()
    wallet = load_keypair(key_file(tmp_path, keypair, 0o600))
    assert wallet.pubkey == keypair.pubkey()
    assert repr(wallet) == f"Wallet({keypair.pubkey()})" and str(keypair) not in repr(wallet)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_key_file_others_can_read_is_refused_with_the_fix(tmp_path: Path) -> None:
    path = key_file(tmp_path, Keypair(), 0o644)
    with pytest.raises(KeyRefused, match=f"chmod 600 {path}"):
        load_keypair(path)


def test_a_base58_secret_loads_and_a_bad_one_is_refused_without_echoing_it(caplog: pytest.LogCaptureFixture) -> None:
    keypair = Keypair()
    secret = str(keypair)  # solders' str() is the base58 secret
    assert load_keypair(secret).pubkey == keypair.pubkey()
    caplog.set_level(logging.DEBUG)
    bad = secret[:-4] + "0OIl"
    with pytest.raises(KeyRefused) as refused:
        load_keypair(bad)
    assert bad not in str(refused.value) and secret[:20] not in str(refused.value)
    assert secret[:20] not in caplog.text


def test_a_wallet_cannot_be_pickled() -> None:
    import pickle

    with pytest.raises(TypeError):
        pickle.dumps(load_keypair(str(Keypair())))
