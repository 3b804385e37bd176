#!/bin/sh
# macOS: "Grace Desktop.app" (PyInstaller BUNDLE: Info.plist, icon) and a compressed .dmg with an
# Applications link. Run from the repository root, with Python >= 3.11 (python.org or Homebrew):
#   sh packaging/macos/build.sh
# Signing: ad hoc (-) by default, enough to run on the machine that built it. For other Macs set
# CODESIGN_IDENTITY="Developer ID Application: ..." and notarize (see packaging/README.md).
set -eu
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[package]'
.venv/bin/python packaging/make_icons.py build/icons
.venv/bin/python -m PyInstaller --noconfirm --distpath build/package/dist --workpath build/package/work packaging/grace-desktop.spec
APP="build/package/dist/Grace Desktop.app"
"$APP/Contents/MacOS/grace-desktop" --self-test --data-dir "${TMPDIR:-/tmp}/grace-selftest"
codesign --force --deep --options runtime --sign "${CODESIGN_IDENTITY:--}" "$APP"
sh packaging/macos/make_dmg.sh "$APP"
