"""The packaged app, built and run away from the repository (packaging/check_bundle.sh): the
one-folder bundle from a temporary folder under `env -i`, the installed .deb and the squashfs
image through its AppRun, each with --self-test and --gui-smoke exiting 0 and a one-line refusal
without a display.

It builds with PyInstaller, dpkg-deb and mksquashfs (about 4-5 minutes on 2 cores, most of it
compressing) and installs the .deb system-wide (root), so it runs only when asked:

    GRACE_CHECK_BUNDLE=1 .venv/bin/python -m pytest -q tests/packaging/test_bundle.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ("dpkg-deb", "mksquashfs", "unsquashfs", "desktop-file-validate", "objdump", "strip", "as", "ld")


def _why_not() -> str | None:
    if os.environ.get("GRACE_CHECK_BUNDLE") != "1":
        return "set GRACE_CHECK_BUNDLE=1 to build and install the packages (about 5 minutes, needs root)"
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        return f"`make package` installs the tools this needs; missing: {', '.join(missing)}"
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "installing the .deb needs root"
    return None


@pytest.mark.slow
@pytest.mark.skipif(_why_not() is not None, reason=_why_not() or "")
def test_packages_run_outside_the_repository() -> None:
    pytest.importorskip("PyInstaller", reason="pip install -e '.[package]'")
    proc = subprocess.run([str(ROOT / "packaging" / "check_bundle.sh"), sys.executable], cwd=ROOT,
                          capture_output=True, text=True, timeout=1800)
    report = proc.stdout + proc.stderr
    assert proc.returncode == 0, report[-6000:]
    assert "check_bundle: all checks passed" in proc.stdout
    for label in ("bundle", "deb", "appdir"):
        assert f"ok    {label} --self-test (exit 0)" in proc.stdout
        assert f"ok    {label} --gui-smoke (exit 0)" in proc.stdout
    assert "ok    desktop-file-validate" in proc.stdout
