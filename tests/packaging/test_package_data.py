"""The stylesheet, icons and sample candles travel with the package: in the sdist, in the wheel
built from it, and found through importlib.resources once that wheel is installed."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from grace_desktop import paths

ROOT = Path(__file__).resolve().parents[2]
SKIP = shutil.ignore_patterns(".venv", "build", "dist", "*.egg-info", "__pycache__", ".git", ".pytest_cache", "bundle")


def shipped_resources() -> set[str]:
    """Every file under resources/, relative to it (what the package must carry)."""
    base = ROOT / "resources"
    return {p.relative_to(base).as_posix() for p in base.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """An sdist and the wheel `build` makes from it, out of a copy of the working tree."""
    src = tmp_path_factory.mktemp("src") / "grace-desktop"
    shutil.copytree(ROOT, src, ignore=SKIP)
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(src)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "deprecated" not in (proc.stdout + proc.stderr).lower(), "the build warns about deprecated configuration"
    return next(out.glob("*.tar.gz")), next(out.glob("*.whl"))


@pytest.mark.slow
def test_sdist_and_wheel_carry_every_resource(built: tuple[Path, Path]) -> None:
    sdist, wheel = built
    expected = shipped_resources()
    assert {"style/dark.qss", "icons/app.svg", "candles/BTC-PERP_1m.csv"} <= expected
    with tarfile.open(sdist) as tar:
        top = tar.getnames()[0].split("/")[0]
        in_sdist = {n.split("/resources/", 1)[1] for n in tar.getnames() if n.startswith(f"{top}/resources/")}
    assert expected <= in_sdist
    with zipfile.ZipFile(wheel) as whl:
        names = whl.namelist()
    in_wheel = {n.removeprefix("grace_desktop/resources/") for n in names if n.startswith("grace_desktop/resources/")}
    assert expected <= in_wheel
    assert not any(n.startswith("resources/") for n in names), "resources/ must not become a top-level package"


@pytest.mark.slow
def test_installed_wheel_finds_its_resources_without_a_checkout(built: tuple[Path, Path], tmp_path: Path) -> None:
    _sdist, wheel = built
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    probe = ("from grace_desktop import paths; d = paths.resources_dir(); "
             "print(d); assert paths.asset('style/dark.qss') and paths.asset('icons/app.svg'); "
             "assert len(list((d / 'candles').glob('*.csv'))) >= 3")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(target)}
    proc = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert Path(proc.stdout.strip()) == target / "grace_desktop" / "resources"


def test_a_missing_asset_is_logged_not_silently_replaced(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="grace_desktop.paths"):
        assert paths.asset("icons/no-such-icon.svg") is None
    assert "resource missing: icons/no-such-icon.svg" in caplog.text
    assert paths.asset("style/dark.qss") == paths.resources_dir() / "style" / "dark.qss"
