"""domain/ stays pure: no Qt, asyncio, sqlite or HTTP, checked by importing it in a fresh interpreter."""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import grace_desktop.domain as domain_pkg

IMPURE = ["PySide6", "shiboken6", "qasync", "pyqtgraph", "asyncio", "sqlite3", "sqlite_utils", "httpx",
          "socket", "platformdirs", "keyring", "grace_desktop.storage", "grace_desktop.venues",
          "grace_desktop.services", "grace_desktop.ui", "grace_desktop.app"]
DOMAIN_DIR = Path(domain_pkg.__file__).parent
MODULES = sorted(f"grace_desktop.domain.{m.name}" for m in pkgutil.iter_modules([str(DOMAIN_DIR)]))

_PROBE = """
import json, sys
baseline = set(sys.modules)
for name in json.loads(sys.argv[1]):
    __import__(name)
print(json.dumps({"baseline": sorted(baseline), "after": sorted(sys.modules)}))
"""


def _loaded(name: str, modules: list[str]) -> bool:
    return any(m == name or m.startswith(name + ".") for m in modules)


def test_importing_every_domain_module_loads_nothing_impure():
    assert "grace_desktop.domain.margin" in MODULES and len(MODULES) >= 10
    out = subprocess.run(
        [sys.executable, "-E", "-c", _PROBE, json.dumps(MODULES)],
        capture_output=True, text=True, timeout=60, check=True, cwd=DOMAIN_DIR.parents[1],
    )
    seen = json.loads(out.stdout)
    for name in MODULES:
        assert name in seen["after"]
    # Whatever the interpreter loads at start-up is not the domain's doing; anything new is.
    added = [m for m in seen["after"] if m not in seen["baseline"]]
    offenders = [name for name in IMPURE if _loaded(name, added)]
    assert offenders == [], f"domain imports pull in {offenders}"
    assert not [name for name in IMPURE if _loaded(name, seen["baseline"])], "probe baseline is not clean"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_domain_sources_import_only_stdlib_and_domain():
    # Also catches imports hidden inside functions, which a module-load probe would miss.
    for path in sorted(DOMAIN_DIR.glob("*.py")):
        for name in _imports(path):
            top = name.split(".")[0]
            if name.startswith("grace_desktop."):
                assert name.startswith("grace_desktop.domain"), f"{path.name} imports {name}"
            else:
                assert top in sys.stdlib_module_names, f"{path.name} imports non-stdlib {name}"
                assert not _loaded(top, IMPURE), f"{path.name} imports {name}"
