"""Start-up: launch → first paint of the main window, from the venv and from the one-folder bundle,
plus where the import time before the first paint goes.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tests/benchmarks/bench_startup.py [--runs 5]

Each run is a fresh `grace-desktop --gui-smoke` process with an empty data dir; the figure is the
one it reports ("first paint after X s from launch": from the process's start time in /proc to
the window's first paintEvent, so the interpreter, every import and Qt are included). The bundle
is measured if `make package` built it (build/package/dist/grace-desktop). Then
`python -X importtime` of `grace_desktop.app` (what the first paint needs) and of the chart
(imported after it), summed per top-level package. Target: median first paint ≤ 1.0 s.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "build" / "package" / "dist" / "grace-desktop" / "grace-desktop"
TARGET_S = 1.0
PAINT = re.compile(r"first paint after ([0-9.]+)s from launch")


def first_paints(command: list[str], runs: int, env: dict[str, str]) -> list[float]:
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="grace-bench-startup-") as data:
            proc = subprocess.run([*command, "--gui-smoke", "--data-dir", data], cwd=data, env=env,
                                  capture_output=True, text=True, timeout=60)
            found = PAINT.search(proc.stdout)
            if proc.returncode != 0 or found is None:
                raise SystemExit(f"--gui-smoke failed (rc={proc.returncode}): {proc.stdout!r} {proc.stderr[-500:]!r}")
            times.append(float(found.group(1)))
    return times


def import_profile(statement: str, env: dict[str, str]) -> tuple[float, dict[str, float]]:
    """Total seconds of `statement`'s imports and the self time per top-level package."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", statement], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    per_package: dict[str, float] = defaultdict(float)
    total = 0.0
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, _cumulative, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
        top = name.split(".")[0]
        key = ".".join(name.split(".")[:2]) if top == "grace_desktop" else top
        per_package[key] += int(self_us) / 1e6
        total += int(self_us) / 1e6
    return total, dict(per_package)


def print_profile(title: str, total: float, per_package: dict[str, float], top: int = 12) -> None:
    print(f"  {title}: {total:.3f} s of imports (python -X importtime, self time summed per package)")
    for name, seconds in sorted(per_package.items(), key=lambda kv: -kv[1])[:top]:
        print(f"    {name:32s} {seconds * 1000:7.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"), PYTHONPATH=str(ROOT))
    ok = True
    print(f"bench_startup: launch → first paint, {args.runs} runs each (target median ≤ {TARGET_S:g} s)")
    targets = [("venv", [sys.executable, "-m", "grace_desktop"])]
    if BUNDLE.exists():
        targets.append(("bundle", [str(BUNDLE)]))
    else:
        print("  (no bundle at build/package/dist: `make package` builds it)")
    for label, command in targets:
        run_env = env if label == "venv" else {"PATH": "/usr/bin:/bin", "HOME": env.get("HOME", "/tmp"),
                                               "LANG": "C.UTF-8", "QT_QPA_PLATFORM": env["QT_QPA_PLATFORM"]}
        times = first_paints(command, args.runs, run_env)
        median = statistics.median(times)
        ok = ok and median <= TARGET_S
        print(f"  {label:6s} median {median:.3f} s   ({', '.join(f'{t:.2f}' for t in times)})")
    app_total, app_packages = import_profile("import grace_desktop.app", env)
    print_profile("before the first paint: import grace_desktop.app", app_total, app_packages)
    chart_total, chart_packages = import_profile(
        "import grace_desktop.app, time, sys; t = time.perf_counter(); import grace_desktop.ui.controller; "
        "print(time.perf_counter() - t, file=sys.stderr)", env)
    after = {k: v - app_packages.get(k, 0.0) for k, v in chart_packages.items() if v - app_packages.get(k, 0.0) > 0.0005}
    print_profile("after the first paint: the chart and controller", sum(after.values()), after, top=6)
    print("  result " + ("target met" if ok else "TARGET MISSED"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
