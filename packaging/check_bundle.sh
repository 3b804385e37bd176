#!/bin/sh
# Proof that the packages work away from the repository and its virtual environment:
#   1. the one-folder bundle, copied to a temporary folder and run from there with `env -i`;
#   2. the .deb, installed with dpkg -i (root), run as /usr/bin/grace-desktop, its .desktop file
#      validated and its icons in place; removed again afterwards (KEEP_DEB=1 keeps it);
#   3. the squashfs image, unpacked with unsquashfs, run through its AppRun launcher.
# Each runs --self-test and --gui-smoke (offscreen: window, first prices, paint) and must exit 0;
# without a display the window must refuse with one line and exit 2.
#
#   packaging/check_bundle.sh [--no-build] [PYTHON]
set -eu
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD=1
if [ "${1:-}" = "--no-build" ]; then BUILD=0; shift; fi
PY="${1:-$ROOT/.venv/bin/python}"
OUT="$ROOT/build/package"
[ "$BUILD" = 1 ] && "$ROOT/packaging/build_linux.sh" "$PY"

WORK="$(mktemp -d /tmp/grace-check.XXXXXX)"
INSTALLED=0
cleanup() {
  if [ "$INSTALLED" = 1 ] && [ "${KEEP_DEB:-0}" != 1 ]; then dpkg -r grace-desktop >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
FAILED=0

# A clean environment: no virtualenv, no PYTHONPATH, a HOME of its own; only what a desktop session has.
run() {  # run LABEL EXPECTED_RC [VAR=value ...] COMMAND ARGS...
  label="$1"; expected="$2"; shift 2
  rc=0
  (cd "$WORK" && env -i HOME="$WORK/home" PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 "$@") \
    >"$WORK/out.txt" 2>"$WORK/err.txt" || rc=$?
  if [ "$rc" = "$expected" ]; then
    echo "ok    $label (exit $rc): $(grep -E 'ok|OK|grace-desktop' "$WORK/out.txt" "$WORK/err.txt" | tail -1 | cut -d: -f2-)"
  else
    echo "FAIL  $label: exit $rc, expected $expected"; sed 's/^/      /' "$WORK/out.txt" "$WORK/err.txt" | tail -20
    FAILED=1
  fi
}

check_exe() {  # check_exe NAME PATH
  run "$1 --version" 0 "$2" --version
  run "$1 --self-test" 0 "$2" --self-test --data-dir "$WORK/data-$1-selftest"
  run "$1 --gui-smoke" 0 QT_QPA_PLATFORM=offscreen "$2" --gui-smoke --data-dir "$WORK/data-$1-window"
  run "$1 without a display" 2 "$2" --data-dir "$WORK/data-$1-nodisplay"
  if ! grep -q "no display found" "$WORK/err.txt"; then echo "FAIL  $1: no 'no display found' line"; FAILED=1; fi
}

mkdir -p "$WORK/home"
echo "== one-folder bundle, copied to $WORK"
cp -a "$OUT/dist/grace-desktop" "$WORK/bundle"
check_exe bundle "$WORK/bundle/grace-desktop"

echo "== .deb"
DEB="$(ls "$OUT"/grace-desktop_*.deb)"
tries=0
until dpkg -i "$DEB" >"$WORK/dpkg.txt" 2>&1; do  # another apt/dpkg may hold the lock for a moment
  tries=$((tries + 1)); [ "$tries" -lt 10 ] || { cat "$WORK/dpkg.txt"; exit 1; }; sleep 3
done
INSTALLED=1
echo "ok    dpkg -i $(basename "$DEB")"
if desktop-file-validate /usr/share/applications/grace-desktop.desktop; then
  echo "ok    desktop-file-validate /usr/share/applications/grace-desktop.desktop"
else FAILED=1; fi
for icon in /usr/share/icons/hicolor/48x48/apps/grace-desktop.png /usr/share/icons/hicolor/256x256/apps/grace-desktop.png \
            /usr/share/icons/hicolor/scalable/apps/grace-desktop.svg; do
  [ -f "$icon" ] && echo "ok    $icon" || { echo "FAIL  missing $icon"; FAILED=1; }
done
check_exe deb /usr/bin/grace-desktop

echo "== squashfs image through AppRun"
IMAGE="$(ls "$OUT"/grace-desktop-*.squashfs)"
unsquashfs -q -n -d "$WORK/squashfs-root" "$IMAGE" >/dev/null
check_exe appdir "$WORK/squashfs-root/AppRun"

[ "$FAILED" = 0 ] && echo "check_bundle: all checks passed" || echo "check_bundle: FAILED"
exit "$FAILED"
