#!/bin/sh
# A screenshot of the packaged app's window on a real X server (Xvfb), the way a user sees it:
#
#   packaging/screenshot_xvfb.sh [EXECUTABLE] [OUT.png] [PYTHON]
#
# EXECUTABLE defaults to the one-folder build; PYTHON (with PySide6, the dev venv) only grabs the
# screen. The app runs with a fresh data dir on the paper venue and is closed with SIGTERM.
set -eu
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
EXE="${1:-$ROOT/build/package/dist/grace-desktop/grace-desktop}"
SHOT="${2:-$ROOT/docs/screenshot-packaged.png}"
PY="${3:-$ROOT/.venv/bin/python}"
DISPLAY_NUM="${XVFB_DISPLAY:-:97}"
WORK="$(mktemp -d /tmp/grace-shot.XXXXXX)"
if [ -e "/tmp/.X11-unix/X${DISPLAY_NUM#:}" ]; then echo "screenshot: display $DISPLAY_NUM is in use (XVFB_DISPLAY=:N)"; exit 1; fi
Xvfb "$DISPLAY_NUM" -screen 0 1600x1000x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
XVFB=$!
APP=""
cleanup() {
  set +e  # a failed kill (the app already gone) must not skip stopping Xvfb
  if [ -n "$APP" ]; then kill -TERM "$APP" 2>/dev/null; wait "$APP" 2>/dev/null; fi
  kill "$XVFB" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
sleep 1
(cd "$WORK" && exec env -i HOME="$WORK" PATH=/usr/bin:/bin LANG=C.UTF-8 DISPLAY="$DISPLAY_NUM" QT_QPA_PLATFORM=xcb \
  "$EXE" --data-dir "$WORK/data") >"$WORK/app.log" 2>&1 &
APP=$!
sleep "${SHOT_DELAY:-8}"  # start-up, then a few seconds of simulated prices on the chart
kill -0 "$APP" 2>/dev/null || { cat "$WORK/app.log"; echo "screenshot: the app exited early"; exit 1; }
DISPLAY="$DISPLAY_NUM" QT_QPA_PLATFORM=xcb "$PY" - "$SHOT" <<'GRAB'
import sys
from PySide6.QtGui import QGuiApplication
app = QGuiApplication(sys.argv[:1])
image = app.primaryScreen().grabWindow(0).toImage()
assert not image.isNull(), "could not grab the screen"
# No window manager: the window sits at the top left; crop the black root window around it.
black = image.pixel(image.width() - 1, image.height() - 1)
right = max(x for x in range(image.width()) if image.pixel(x, 40) != black) + 1
bottom = max(y for y in range(image.height()) if image.pixel(40, y) != black) + 1
image = image.copy(0, 0, right, bottom)
assert image.save(sys.argv[1]), "could not save the screenshot"
print(f"screenshot: {image.width()}x{image.height()} -> {sys.argv[1]}")
GRAB
