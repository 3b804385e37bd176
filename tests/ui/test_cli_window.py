"""`grace-desktop --gui-smoke` as a user (or the packaged binary) would run it: a separate process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_gui_smoke_opens_paints_and_exits_cleanly(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run(
        [sys.executable, "-m", "grace_desktop", "--gui-smoke", "--data-dir", str(tmp_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "gui-smoke ok: first paint after" in proc.stdout
    for noise in ("Traceback", "Task was destroyed", "Event loop is closed", "never awaited"):
        assert noise not in proc.stderr, proc.stderr
    assert (tmp_path / "grace.db").exists()
