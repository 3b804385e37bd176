"""One Grace Desktop per data dir: the second one, in any mode, is refused and names the first."""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from grace_desktop.storage import open_storage
from grace_desktop.storage.errors import InstanceLockedError
from grace_desktop.storage.instance_lock import LOCK_FILENAME, InstanceLock, read_holder
from tests.startup import helpers as h

REFUSED = re.compile(r"grace-desktop: another Grace Desktop \(pid (\d+), (\S+), since \d\d:\d\d:\d\d\) "
                     r"is using (.+); stop it first, or pass another --data-dir to run a second one")


def test_a_second_instance_in_any_mode_is_refused_while_headless_runs(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = h.start_headless(data)
    try:
        for mode in ("--headless", "--self-test", "--gui-smoke"):
            proc = h.run_cli(mode, "--data-dir", str(data), env=h.cli_env(QT_QPA_PLATFORM="offscreen"))
            assert proc.returncode == 2, proc.stderr
            match = REFUSED.fullmatch(h.one_line(proc.stderr))
            assert match, proc.stderr
            assert (int(match[1]), match[2], match[3]) == (first.pid, "headless", str(data))
        assert first.poll() is None  # the first one was not disturbed
    finally:
        first.send_signal(signal.SIGTERM)
        _, err = first.communicate(timeout=30)
    assert first.returncode == 0 and "stopped cleanly" in err


def test_a_sigkilled_holder_frees_the_lock(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = h.start_headless(data)
    first.kill()  # SIGKILL: no cleanup code runs; the kernel drops the flock with the process
    first.wait(timeout=10)
    assert read_holder(data).pid == first.pid  # its note is still there, and means nothing now
    second = h.start_headless(data)
    try:
        assert read_holder(data).pid == second.pid
    finally:
        second.send_signal(signal.SIGTERM)
        second.communicate(timeout=30)
    assert second.returncode == 0


def test_within_one_process_the_lock_is_counted_and_the_file_names_its_holder(tmp_path: Path) -> None:
    first = InstanceLock(tmp_path, "headless").acquire()
    with open_storage(tmp_path) as store:  # same process, same instance: no conflict
        store.accounts.ensure("paper", "paper")
        holder = read_holder(tmp_path)
        assert (holder.pid, holder.mode) == (os.getpid(), "headless")
        assert stat.S_IMODE((tmp_path / LOCK_FILENAME).stat().st_mode) == 0o600
    assert _other_process_can_lock(tmp_path) is False  # `first` still holds it
    first.release()
    first.release()  # a second release is harmless
    assert _other_process_can_lock(tmp_path) is True


def test_another_process_holding_the_lock_is_an_instance_locked_error(tmp_path: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; from grace_desktop.storage.instance_lock import InstanceLock; "
                               f"InstanceLock({str(tmp_path)!r}, 'window').acquire(); print('locked', flush=True); "
                               "sys.stdin.read()"],
        cwd=h.ROOT, env=h.cli_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "locked"  # type: ignore[union-attr]
        with pytest.raises(InstanceLockedError, match=rf"\(pid {child.pid}, window, since") as info:
            open_storage(tmp_path)
        assert info.value.data_dir == tmp_path
        assert not (tmp_path / "grace.db").exists()  # refused before the database was touched
    finally:
        child.communicate("", timeout=10)
    with open_storage(tmp_path):
        pass


def test_an_unknown_mode_is_a_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="mode"):
        InstanceLock(tmp_path, "daemon")


def _other_process_can_lock(data_dir: Path) -> bool:
    code = ("import sys; from grace_desktop.storage.instance_lock import InstanceLock\n"
            "from grace_desktop.storage.errors import InstanceLockedError\n"
            f"try:\n    InstanceLock({str(data_dir)!r}, 'self-test').acquire()\n"
            "except InstanceLockedError:\n    sys.exit(3)\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=h.ROOT, env=h.cli_env(), timeout=30)
    assert result.returncode in (0, 3)
    return result.returncode == 0
