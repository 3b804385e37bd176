"""`--venue mango_v3` without `--mango-url` probes the Mango URL saved in settings, before any file changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from grace_desktop.domain.venue_settings import VenueSettings
from grace_desktop.storage import DB_FILENAME, open_storage
from grace_desktop.storage.app_settings import peek_venue_settings
from tests.startup import helpers as h
from tests.venues.mango_service import MangoService

REFUSING = "http://127.0.0.1:9/api"  # the discard port: nothing answers there


def saved(data_dir: Path, url: str) -> None:
    store = open_storage(data_dir)
    try:
        store.run_write(store.app_settings.save_venue_settings, VenueSettings(mango_enabled=True, mango_url=url))
    finally:
        store.close()


def listing(folder: Path) -> dict[str, str]:
    return {p.name: h.digest(p) for p in sorted(folder.iterdir()) if p.is_file()}


def test_peek_reads_the_saved_settings_and_creates_nothing(tmp_path: Path) -> None:
    assert peek_venue_settings(tmp_path / "fresh") is None
    assert not (tmp_path / "fresh").exists()
    saved(tmp_path / "data", REFUSING)
    before = listing(tmp_path / "data")
    peeked = peek_venue_settings(tmp_path / "data")
    assert peeked is not None and peeked.mango_url == REFUSING and peeked.mango_enabled
    assert listing(tmp_path / "data") == before  # no -wal/-shm appeared, nothing rewritten
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / DB_FILENAME).write_bytes(b"not a database at all")
    assert peek_venue_settings(tmp_path / "junk") is None  # the full check at open says why, later


@pytest.mark.parametrize("mode", [("--headless",), ("--self-test",)])
def test_the_saved_url_is_probed_and_a_refusal_changes_no_file(tmp_path: Path, mode: tuple[str, ...]) -> None:
    data = tmp_path / "data"
    saved(data, REFUSING)
    before = listing(data)
    proc = h.run_cli(*mode, "--venue", "mango_v3", "--data-dir", str(data))
    assert proc.returncode == 2
    line = h.one_line(proc.stderr)
    assert f"the mango_v3 venue cannot use the mango-v3-service at {REFUSING}" in line, line
    assert listing(data) == before


@pytest.mark.slow
def test_self_test_trades_on_the_saved_url(tmp_path: Path) -> None:
    service = MangoService().start()
    try:
        service.state.set_price("MNGO-PERP", 0.02)
        saved(tmp_path, service.url)
        proc = h.run_cli("--self-test", "--venue", "mango_v3", "--data-dir", str(tmp_path), timeout=120)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "self-test OK" in proc.stdout
        assert sorted(service.place_calls.values()) == [1, 1] and service.state.holdings == {}
    finally:
        service.stop()
