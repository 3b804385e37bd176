#!/bin/sh
# Linux packages over the PyInstaller one-folder build: the bundle, a .deb and an AppDir with its
# squashfs image (the AppImage's payload). Prints each one's size.
#
#   packaging/build_linux.sh [PYTHON]     (`make package` runs it with .venv/bin/python)
#
# Needs: pyinstaller in PYTHON's environment (the `package` extra), dpkg-deb, mksquashfs
# (squashfs-tools), desktop-file-validate (desktop-file-utils), strip, objdump, as and ld (binutils).
set -eu
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="${1:-$ROOT/.venv/bin/python}"
OUT="$ROOT/build/package"
DIST="$OUT/dist/grace-desktop"
VERSION="$("$PY" -c 'import tomllib,sys; print(tomllib.load(open(sys.argv[1],"rb"))["project"]["version"])' "$ROOT/pyproject.toml")"
ARCH="$(dpkg --print-architecture)"           # amd64, arm64 (Debian names)
MACHINE="$(uname -m)"                         # x86_64, aarch64 (AppImage names)
COMP="${SQUASHFS_COMP:-zstd}"                 # zstd (fast to start) or xz (a few MB smaller)

size() { du -sh --apparent-size "$1" | cut -f1; }

echo "== icons"
"$PY" "$ROOT/packaging/make_icons.py" "$ROOT/build/icons"
desktop-file-validate "$ROOT/packaging/linux/grace-desktop.desktop"

echo "== one-folder bundle (PyInstaller)"
(cd "$ROOT" && "$PY" -m PyInstaller --noconfirm --log-level WARN --distpath "$OUT/dist" --workpath "$OUT/work" \
  packaging/grace-desktop.spec)

echo "== .deb"
STAGE="$OUT/deb/grace-desktop_${VERSION}_${ARCH}"
rm -rf "$STAGE"
mkdir -p "$STAGE/DEBIAN" "$STAGE/opt" "$STAGE/usr/bin" "$STAGE/usr/share/applications" \
  "$STAGE/usr/share/icons" "$STAGE/usr/share/doc/grace-desktop"
cp -a "$DIST" "$STAGE/opt/grace-desktop"
ln -s /opt/grace-desktop/grace-desktop "$STAGE/usr/bin/grace-desktop"
install -m 0644 "$ROOT/packaging/linux/grace-desktop.desktop" "$STAGE/usr/share/applications/grace-desktop.desktop"
cp -r "$ROOT/build/icons/hicolor" "$STAGE/usr/share/icons/hicolor"
install -m 0644 "$ROOT/packaging/linux/copyright" "$STAGE/usr/share/doc/grace-desktop/copyright"
# The newest glibc symbol version any bundled binary needs (Python was built here, on Debian 12).
GLIBC="$(find "$DIST" -type f -name '*.so*' -o -type f -name grace-desktop | xargs objdump -T 2>/dev/null \
  | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)"
INSTALLED_KB="$(du -sk "$STAGE" | cut -f1)"
cat > "$STAGE/DEBIAN/control" <<CONTROL
Package: grace-desktop
Version: $VERSION
Architecture: $ARCH
Maintainer: Grace Desktop maintainers <grace-desktop@users.noreply.github.com>
Installed-Size: $INSTALLED_KB
Depends: libc6 (>= $GLIBC), libgl1, libegl1, libxcb1
Recommends: fonts-dejavu-core | fonts-liberation2, xkb-data, hicolor-icon-theme
Suggests: gnome-keyring | kwalletmanager
Section: misc
Priority: optional
Homepage: https://github.com/grace-desktop/grace-desktop
Description: desktop trading terminal with event-driven auto-trading
 Perpetual-futures and spot trading with take-profit, stop-loss, trailing stops,
 conditional entries and a liquidation guard that react on every tick. Trades on an
 embedded paper exchange with zero configuration. Self-contained: Python, Qt 6 and
 numpy are bundled in /opt/grace-desktop.
CONTROL
# The menu and icon caches are refreshed by the triggers of desktop-file-utils and hicolor-icon-theme.
dpkg-deb --root-owner-group -Zxz --build "$STAGE" "$OUT/grace-desktop_${VERSION}_${ARCH}.deb" >/dev/null

echo "== AppDir + squashfs image"
APPDIR="$OUT/AppDir"
rm -rf "$APPDIR"
mkdir -p "$APPDIR/usr/lib" "$APPDIR/usr/share/applications" "$APPDIR/usr/share/icons"
cp -a "$DIST" "$APPDIR/usr/lib/grace-desktop"
install -m 0755 "$ROOT/packaging/linux/AppRun" "$APPDIR/AppRun"
install -m 0644 "$ROOT/packaging/linux/grace-desktop.desktop" "$APPDIR/grace-desktop.desktop"
install -m 0644 "$ROOT/packaging/linux/grace-desktop.desktop" "$APPDIR/usr/share/applications/grace-desktop.desktop"
cp -r "$ROOT/build/icons/hicolor" "$APPDIR/usr/share/icons/hicolor"
install -m 0644 "$ROOT/build/icons/grace-desktop.png" "$APPDIR/grace-desktop.png"
ln -s grace-desktop.png "$APPDIR/.DirIcon"
IMAGE="$OUT/grace-desktop-${VERSION}-${MACHINE}.squashfs"
rm -f "$IMAGE"
# The options appimagetool uses for its own image (root-owned files, no xattrs, 128K blocks).
mksquashfs "$APPDIR" "$IMAGE" -comp "$COMP" -root-owned -noappend -no-xattrs -b 131072 -quiet >/dev/null

echo "== sizes"
printf '%-52s %s\n' "one-folder bundle (on disk)" "$(du -sh "$DIST" | cut -f1)" \
  ".deb ($(basename "$OUT"/grace-desktop_"${VERSION}"_"${ARCH}".deb))" "$(size "$OUT/grace-desktop_${VERSION}_${ARCH}.deb")" \
  "AppDir (on disk)" "$(du -sh "$APPDIR" | cut -f1)" \
  "squashfs image, $COMP ($(basename "$IMAGE"))" "$(size "$IMAGE")"
echo "AppImage: cat <type2-runtime> $IMAGE > Grace_Desktop-${VERSION}-${MACHINE}.AppImage (packaging/README.md)"
