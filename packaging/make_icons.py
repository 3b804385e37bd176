"""Render resources/icons/app.svg into the icon files installers need (deterministic, no extra tools):

    python packaging/make_icons.py OUT_DIR

writes OUT_DIR/hicolor/<n>x<n>/apps/grace-desktop.png (16…512, the freedesktop icon theme layout),
OUT_DIR/grace-desktop.png (256 px, for the AppDir), OUT_DIR/grace-desktop.ico (Windows; PNG
entries, readable since Vista) and OUT_DIR/grace-desktop.icns (macOS; PNG entries ic07…ic10).
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SVG = ROOT / "resources" / "icons" / "app.svg"
HICOLOR = (16, 24, 32, 48, 64, 128, 256, 512)
ICO = (16, 24, 32, 48, 64, 128, 256)
ICNS = {"ic07": 128, "ic08": 256, "ic09": 512, "ic10": 1024}


def render(renderer: QSvgRenderer, size: int) -> bytes:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def ico(pngs: dict[int, bytes]) -> bytes:
    """ICONDIR + one ICONDIRENTRY per size, each pointing at a PNG (a width of 0 means 256)."""
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = len(header) + 16 * len(pngs)
    entries, blobs = b"", b""
    for size, png in sorted(pngs.items()):
        entries += struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(png), offset + len(blobs))
        blobs += png
    return header + entries + blobs


def icns(pngs: dict[str, bytes]) -> bytes:
    body = b"".join(kind.encode("ascii") + struct.pack(">I", len(png) + 8) + png for kind, png in pngs.items())
    return b"icns" + struct.pack(">I", len(body) + 8) + body


def main(out: Path) -> int:
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        print(f"make_icons: cannot read {SVG}", file=sys.stderr)
        return 1
    sizes = sorted({*HICOLOR, *ICO, *ICNS.values()})
    png = {size: render(renderer, size) for size in sizes}
    for size in HICOLOR:
        target = out / "hicolor" / f"{size}x{size}" / "apps" / "grace-desktop.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(png[size])
    scalable = out / "hicolor" / "scalable" / "apps" / "grace-desktop.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    scalable.write_bytes(SVG.read_bytes())
    (out / "grace-desktop.png").write_bytes(png[256])
    (out / "grace-desktop.ico").write_bytes(ico({s: png[s] for s in ICO}))
    (out / "grace-desktop.icns").write_bytes(icns({kind: png[s] for kind, s in ICNS.items()}))
    print(f"make_icons: {len(HICOLOR)} hicolor sizes, .ico, .icns in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build" / "icons"))
