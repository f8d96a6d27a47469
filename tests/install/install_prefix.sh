#!/usr/bin/env bash
# Installs the build into DEST with `meson install --destdir` and prints the installed prefix
# (DEST + the configured prefix): what the tests put first on PATH, as a user's install would be.
# usage: install_prefix.sh BUILD_DIR DEST
set -euo pipefail
build=$1 dest=$2
meson install -C "$build" --no-rebuild --quiet --destdir "$dest" >/dev/null
prefix=$(meson introspect "$build" --buildoptions | /usr/bin/python3 -c \
  'import json, sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))')
echo "$dest$prefix"
