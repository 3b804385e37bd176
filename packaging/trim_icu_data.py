"""Rebuild the ICU data library PySide6 ships (libicudata.so.NN, 31 MB) without the data trees
Qt never reaches, for the Linux bundle.

Qt 6 calls ICU for four things only (the ICU symbols libQt6Core imports): collation (ucol_*,
`coll/`), legacy text codecs (ucnv_*, the `*.cnv` tables), time-zone names and IDs (ucal_*,
`zone/` and the top-level zone tables) and locale case mapping (u_strToUpper/Lower, no data).
Its own CLDR tables give QLocale its names, numbers and currencies. So these trees go: break
iterator dictionaries (`brkitr/`, 3.4 MB, ubrk_* is not called), measurement units (`unit/`),
currency, language and region display names (`curr/`, `lang/`, `region/`), transliteration
(`translit/`) and spelled-out numbers (`rbnf/`): about 15 MB. Everything else is kept byte for byte.

The library is the ICU common data package ("CmnD", a table of contents of named items) exported
as one symbol, icudt<NN>_dat. It is read from the library, the table rewritten without the
dropped items and linked again with binutils' `as` and `ld`:

    python packaging/trim_icu_data.py path/to/libicudata.so.73
"""

from __future__ import annotations

import re
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

DROPPED_TREES = ("brkitr", "unit", "curr", "lang", "region", "translit", "rbnf")
ALIGN = 16  # ICU aligns every item to 16 bytes; its loaders rely on it.
PAD = b"\xaa"  # what icupkg pads with, so an untrimmed package is rebuilt byte for byte


def find_data_symbol(library: Path) -> tuple[str, int, int]:
    """(name, file offset, size) of the icudt<NN>_dat symbol, found with objdump and the ELF
    section headers (ELF64 little-endian: x86_64 and aarch64)."""
    table = subprocess.run(["objdump", "-T", str(library)], check=True, capture_output=True, text=True).stdout
    match = re.search(r"^([0-9a-f]+)\s+g\s+DO\s+\S+\s+([0-9a-f]+)\s+(icudt\d+_dat)\s*$", table, re.M)
    if match is None:
        raise ValueError(f"{library}: no icudt*_dat symbol")
    address, size, name = int(match[1], 16), int(match[2], 16), match[3]
    elf = library.read_bytes()
    if elf[:6] != b"\x7fELF\x02\x01":
        raise ValueError(f"{library}: not a little-endian ELF64 file")
    shoff, = struct.unpack_from("<Q", elf, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", elf, 0x3A)
    for index in range(shnum):
        _name, kind, _flags, sh_addr, sh_offset, sh_size = struct.unpack_from("<IIQQQQ", elf, shoff + index * shentsize)
        if kind == 1 and sh_addr <= address and address + size <= sh_addr + sh_size:  # SHT_PROGBITS
            return name, sh_offset + address - sh_addr, size
    raise ValueError(f"{library}: {name} is in no section")


def read_package(data: bytes) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The header and the (name, bytes) items of a little-endian CmnD package, in table order."""
    header_size, magic1, magic2 = struct.unpack_from("<HBB", data, 0)
    if (magic1, magic2) != (0xDA, 0x27) or data[12:16] != b"CmnD" or data[8] != 0:
        raise ValueError("not a little-endian ICU common data package")
    count, = struct.unpack_from("<I", data, header_size)
    entries = [struct.unpack_from("<II", data, header_size + 4 + 8 * i) for i in range(count)]
    ends = [offset for _name, offset in entries[1:]] + [len(data) - header_size]
    items = []
    for (name_offset, data_offset), end in zip(entries, ends, strict=True):
        start = header_size + name_offset
        name = data[start:data.index(b"\0", start)].decode("ascii")
        items.append((name, data[header_size + data_offset:header_size + end]))
    return data[:header_size], items


def write_package(header: bytes, items: list[tuple[str, bytes]]) -> bytes:
    """A CmnD package of these items: the table (names in the same sorted order, which ICU's binary
    search needs), the names, then each item at a 16-byte boundary."""
    names = b"".join(name.encode("ascii") + b"\0" for name, _data in items)
    table_size = 4 + 8 * len(items)
    data_start = -(-(table_size + len(names)) // ALIGN) * ALIGN
    # The table starts right after the header (144 bytes, a multiple of 16 like every offset here).
    entries, blobs, name_offset, data_offset = [], [], table_size, data_start
    for name, blob in items:
        entries.append(struct.pack("<II", name_offset, data_offset))
        name_offset += len(name) + 1
        padded = blob + PAD * (-len(blob) % ALIGN)
        blobs.append(padded)
        data_offset += len(padded)
    toc = struct.pack("<I", len(items)) + b"".join(entries) + names
    return header + toc + PAD * (data_start - len(toc)) + b"".join(blobs)


def is_dropped(name: str) -> bool:
    parts = name.split("/")  # "icudt73l/brkitr/cjdict.dict"
    return len(parts) > 2 and parts[1] in DROPPED_TREES


def soname_of(library: Path) -> str:
    headers = subprocess.run(["objdump", "-p", str(library)], check=True, capture_output=True, text=True).stdout
    match = re.search(r"^\s*SONAME\s+(\S+)", headers, re.M)
    return match[1] if match else library.name


def link_library(package: bytes, symbol: str, soname: str, out: Path) -> None:
    """A shared library exporting `symbol` as the package, as ICU's own pkgdata would build it."""
    with tempfile.TemporaryDirectory() as tmp:
        dat, asm, obj = Path(tmp, "icudt.dat"), Path(tmp, "icudt.s"), Path(tmp, "icudt.o")
        dat.write_bytes(package)
        asm.write_text(
            f'\t.section .note.GNU-stack,"",%progbits\n'
            f"\t.section .rodata\n\t.balign {ALIGN}\n\t.globl {symbol}\n\t.type {symbol}, %object\n"
            f"\t.size {symbol}, {len(package)}\n{symbol}:\n\t.incbin \"{dat}\"\n"
        )
        subprocess.run(["as", "-o", str(obj), str(asm)], check=True)
        subprocess.run(["ld", "-shared", "-soname", soname, "-o", str(out), str(obj)], check=True)


def trim_library(library: Path) -> tuple[int, int]:
    """Replace `library` with one holding only the kept items; returns (old size, new size) in bytes."""
    symbol, offset, size = find_data_symbol(library)
    header, items = read_package(library.read_bytes()[offset:offset + size])
    kept = [(name, blob) for name, blob in items if not is_dropped(name)]
    before = library.stat().st_size
    out = library.with_name(library.name + ".trimmed")
    link_library(write_package(header, kept), symbol, soname_of(library), out)
    out.replace(library)
    return before, library.stat().st_size


if __name__ == "__main__":
    for path in sys.argv[1:]:
        old, new = trim_library(Path(path))
        print(f"{path}: {old / 1e6:.1f} MB -> {new / 1e6:.1f} MB")
