"""packaging/trim_icu_data.py on the ICU data library of the installed PySide6 (Linux wheels ship
it): the package is parsed and rebuilt byte for byte, and Qt with the trimmed library preloaded
collates, names time zones and finds legacy codecs exactly as with the full one."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYSIDE_LIB = Path(importlib.util.find_spec("PySide6").origin).parent / "Qt" / "lib"  # type: ignore[arg-type, union-attr]
ICU_DATA = sorted(p for p in PYSIDE_LIB.glob("libicudata.so.*") if not p.is_symlink())

pytestmark = pytest.mark.skipif(
    not ICU_DATA or any(shutil.which(tool) is None for tool in ("objdump", "as", "ld")),
    reason="needs PySide6's bundled ICU (Linux wheels) and binutils (objdump, as, ld)",
)

# What Qt asks ICU for: collation, time-zone display names, codecs by name, locale case mapping.
PROBE = """
from PySide6.QtCore import QCollator, QLocale, QStringDecoder, QTimeZone
words = ["Äpfel", "apple", "Zebra", "Öl", "ob", "中文", "日本", "zoo", "Ångström", "aardvark"]
for loc in ("en_US", "sv_SE", "zh_CN"):
    print(loc, sorted(words, key=QCollator(QLocale(loc)).sortKey))
for tz in (b"Europe/Berlin", b"Asia/Tokyo"):
    for loc in ("en_US", "de_DE", "ja_JP"):
        zone, locale = QTimeZone(tz), QLocale(loc)
        print(tz, loc, zone.displayName(QTimeZone.StandardTime, QTimeZone.LongName, locale),
              zone.displayName(QTimeZone.StandardTime, QTimeZone.ShortName, locale))
print([(name, QStringDecoder(name).isValid()) for name in ("Shift_JIS", "GBK", "Big5", "windows-1251")])
print(len(QStringDecoder.availableCodecs()), len(QTimeZone.availableTimeZoneIds()))
print(QLocale("tr_TR").toUpper("istanbul"), QLocale("de_DE").toUpper("straße"))
"""


def _trim_icu_data() -> ModuleType:
    spec = importlib.util.spec_from_file_location("trim_icu_data", ROOT / "packaging" / "trim_icu_data.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _probe(preload: Path | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    if preload is not None:
        env["LD_PRELOAD"] = str(preload)
    # Proves the preloaded file is the one ICU read its data from.
    code = PROBE + "print([l.split()[-1] for l in open('/proc/self/maps') if 'libicudata' in l][:1])\n"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=True, timeout=120).stdout


def test_the_package_is_rebuilt_byte_for_byte() -> None:
    trim = _trim_icu_data()
    symbol, offset, size = trim.find_data_symbol(ICU_DATA[0])
    package = ICU_DATA[0].read_bytes()[offset:offset + size]
    header, items = trim.read_package(package)
    assert symbol.startswith("icudt") and len(items) > 1000
    assert trim.write_package(header, items) == package


def test_qt_reads_the_same_from_the_trimmed_library(tmp_path: Path) -> None:
    trim = _trim_icu_data()
    trimmed = tmp_path / ICU_DATA[0].name
    shutil.copy(ICU_DATA[0], trimmed)
    before, after = trim.trim_library(trimmed)
    assert after < before * 0.6

    _symbol, offset, size = trim.find_data_symbol(trimmed)
    _header, items = trim.read_package(trimmed.read_bytes()[offset:offset + size])
    trees = {name.split("/")[1] for name, _blob in items if name.count("/") > 1}
    assert trees == {"coll", "zone"}

    full, slim = _probe(None), _probe(trimmed)
    assert str(trimmed) in slim.splitlines()[-1]
    assert "Mitteleuropäische Normalzeit" in full and "Big5', True" in full
    assert slim.splitlines()[:-1] == full.splitlines()[:-1]
