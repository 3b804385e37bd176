"""Start-up failures as a user meets them: separate processes, one line on stderr, exit code 2."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from grace_desktop.app import display_problem
from grace_desktop.storage import DB_FILENAME, open_storage
from grace_desktop.storage.instance_lock import LOCK_FILENAME
from tests.startup import helpers as h

NO_DISPLAY = ("grace-desktop: no display found (DISPLAY is not set); run with --headless to keep the "
              "monitor running without a window")
# The window is exercised through --gui-smoke: the same start-up path, minus the dialog (tested in-process).
MODES = {"headless": ("--headless",), "self-test": ("--self-test",), "window": ("--gui-smoke",)}
OFFSCREEN = {"QT_QPA_PLATFORM": "offscreen"}


def run_mode(mode: str, *args: str) -> tuple[int, str, str]:
    proc = h.run_cli(*MODES[mode], *args, env=h.cli_env(**OFFSCREEN))
    return proc.returncode, proc.stdout, proc.stderr


def test_the_window_without_a_display_says_so_in_one_line(tmp_path: Path) -> None:
    env = h.cli_env(DISPLAY=None, WAYLAND_DISPLAY=None, QT_QPA_PLATFORM=None)
    proc = h.run_cli("--data-dir", str(tmp_path / "data"), env=env)
    assert proc.returncode == 2
    assert proc.stderr == NO_DISPLAY + "\n" and proc.stdout == ""
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize(("environ", "problem"), [
    ({}, "DISPLAY is not set"),
    ({"DISPLAY": ":0"}, None),
    ({"WAYLAND_DISPLAY": "wayland-0"}, None),
    ({"QT_QPA_PLATFORM": "offscreen"}, None),
    ({"QT_QPA_PLATFORM": "vnc:size=800x600"}, None),
    ({"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "wayland-0"}, "DISPLAY is not set"),
    ({"QT_QPA_PLATFORM": "wayland"}, "WAYLAND_DISPLAY is not set"),
    ({"QT_QPA_PLATFORM": "wayland;xcb", "DISPLAY": ":1"}, None),
])
def test_display_problem_reads_the_environment_qt_will_use(environ: dict[str, str], problem: str | None) -> None:
    found = display_problem(environ, "linux")
    assert (found is None) if problem is None else (problem in found and "--headless" in found)
    assert display_problem({}, "win32") is None and display_problem({}, "darwin") is None


@pytest.mark.parametrize("mode", MODES)
def test_a_spot_venue_without_a_wallet_is_refused_and_leaves_no_files_behind(tmp_path: Path, mode: str) -> None:
    code, _out, err = run_mode(mode, "--venue", "spot", "--data-dir", str(tmp_path / "fresh"))
    assert code == 2
    assert h.one_line(err) == ("grace-desktop: the spot venue needs the wallet's keypair: pass --keypair FILE "
                               "(a Solana CLI key file only you can read) or import it in Settings")
    assert not (tmp_path / "fresh").exists()


@pytest.mark.parametrize("mode", ["headless", "self-test"])
def test_an_unreachable_mango_service_is_one_line_and_leaves_no_files(tmp_path: Path, mode: str) -> None:
    code, _out, err = run_mode(mode, "--venue", "mango_v3", "--mango-url", "http://127.0.0.1:9/api",
                               "--data-dir", str(tmp_path / "fresh"))
    assert code == 2
    line = h.one_line(err)
    assert line.startswith("grace-desktop: the mango_v3 venue cannot use the mango-v3-service at "
                           "http://127.0.0.1:9/api") and "--mango-url" in line
    assert not (tmp_path / "fresh").exists()


@pytest.mark.parametrize("mode", MODES)
def test_a_foreign_grace_db_is_one_line_and_stays_byte_identical(tmp_path: Path, mode: str) -> None:
    path = tmp_path / DB_FILENAME
    h.foreign_schema(path)
    before = h.digest(path)
    code, _out, err = run_mode(mode, "--data-dir", str(tmp_path))
    assert code == 2
    assert h.one_line(err).startswith(f"grace-desktop: {path} belongs to another application")
    assert h.digest(path) == before and h.sidecars(path) == []


@pytest.mark.parametrize("build", [h.corrupt, h.truncated, h.not_sqlite, h.newer_schema],
                         ids=lambda b: b.__name__)
def test_every_kind_of_bad_file_is_one_line_in_headless_mode(tmp_path: Path, build) -> None:
    path = tmp_path / DB_FILENAME
    build(path)
    before = h.digest(path)
    code, _out, err = run_mode("headless", "--data-dir", str(tmp_path))
    assert code == 2 and str(path) in h.one_line(err)
    assert h.digest(path) == before and h.sidecars(path) == []


def test_debug_adds_the_traceback_before_the_line(tmp_path: Path) -> None:
    h.corrupt(tmp_path / DB_FILENAME)
    code, _out, err = run_mode("self-test", "--debug", "--data-dir", str(tmp_path))
    assert code == 2
    assert "Traceback (most recent call last):" in err and "CorruptDatabaseError" in err  # DEBUG log lines too
    assert err.splitlines()[-1].startswith(f"grace-desktop: {tmp_path / DB_FILENAME} is damaged")


def test_a_data_dir_that_is_a_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("not a folder")
    for mode in MODES:
        code, _out, err = run_mode(mode, "--data-dir", str(tmp_path / "data"))
        assert code == 2
        assert h.one_line(err) == (f"grace-desktop: the data dir {tmp_path / 'data'} exists and is a file, "
                                   "not a folder; move it away or pass another --data-dir")


# -- read-only: as root, permission bits do not bind, so a read-only bind mount is used -----------

_READ_ONLY_MOUNT = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'


def _run_with_read_only(target: Path, *args: str) -> tuple[int, str]:
    """Run the CLI with `target` (folder or file) read-only: chmod for a user, a private ro mount for root."""
    command = [sys.executable, "-m", "grace_desktop", *args]
    if os.geteuid() != 0:
        before = stat.S_IMODE(target.stat().st_mode)
        os.chmod(target, 0o500 if target.is_dir() else 0o400)
        try:
            proc = subprocess.run(command, cwd=h.ROOT, env=h.cli_env(), capture_output=True, text=True, timeout=60)
        finally:
            os.chmod(target, before)
        return proc.returncode, proc.stderr
    if shutil.which("unshare") is None:
        pytest.skip("running as root without unshare(1): cannot make a folder read-only for root")
    probe = subprocess.run(["unshare", "--mount", "sh", "-c", _READ_ONLY_MOUNT, "sh", str(target), "true"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"running as root and no private read-only mount here: {probe.stderr.strip()}")
    proc = subprocess.run(["unshare", "--mount", "sh", "-c", _READ_ONLY_MOUNT, "sh", str(target), *command],
                          cwd=h.ROOT, env=h.cli_env(), capture_output=True, text=True, timeout=60)
    return proc.returncode, proc.stderr


@pytest.mark.parametrize("what", ["folder", "file"])
def test_a_read_only_folder_or_file_is_one_line_and_left_alone(tmp_path: Path, what: str) -> None:
    data = tmp_path / "data"
    with open_storage(data) as store:
        store.accounts.ensure("paper", "paper")
    (data / LOCK_FILENAME).unlink()
    path = data / DB_FILENAME
    before = h.digest(path)
    shown = data if what == "folder" else path
    code, err = _run_with_read_only(shown, "--headless", "--data-dir", str(data))
    assert code == 2
    assert h.one_line(err).startswith(f"grace-desktop: the database {what} {shown} is read-only; make it writable")
    assert h.digest(path) == before and h.sidecars(path) == []
