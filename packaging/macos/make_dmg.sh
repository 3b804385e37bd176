#!/bin/sh
# A drag-to-install disk image: the .app next to a link to /Applications, compressed (UDZO).
#   sh packaging/macos/make_dmg.sh "build/package/dist/Grace Desktop.app" [OUT.dmg]
set -eu
APP="$1"
VERSION="$(/usr/libexec/PlistBuddy -c 'Print :CFBundleShortVersionString' "$APP/Contents/Info.plist")"
OUT="${2:-build/package/Grace-Desktop-$VERSION.dmg}"
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
rm -f "$OUT"
hdiutil create -volname "Grace Desktop $VERSION" -srcfolder "$STAGE" -fs HFS+ -format UDZO -imagekey zlib-level=9 -ov "$OUT"
hdiutil verify "$OUT"
ls -lh "$OUT"
