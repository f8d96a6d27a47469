#!/usr/bin/env bash
# `meson install` as a packager uses it (docs/host.md, "Install"): DESTDIR, the layout under the
# prefix, a relocated install that still finds its models (no absolute path compiled in), the model
# search order, `cnnv3 models`, an unknown --model naming the known ones, the VapourSynth plugin
# finding the installed models from its own folder, and `ninja uninstall`.
# usage: install_test.sh BUILD_DIR SOURCE_ROOT VENV_PYTHON
set -uo pipefail
build=$1 src=$2 py=$3
source "$(dirname "${BASH_SOURCE[0]}")/../e2e_common.sh"  # $work: a scratch folder, the current directory
unset CNNV3_MODEL_PATH XDG_DATA_HOME   # the build tree's test setup sets it; an install must not need it
export XDG_CONFIG_HOME=${XDG_CONFIG_HOME:-$HOME/.config}  # VapourSynth's vapoursynth.toml (vspipe needs it)
export HOME=$work/home
mkdir -p "$HOME"
check() {  # check WHAT COMMAND...: runs the command, reports
  local what=$1; shift
  if "$@" > "$work/out" 2> "$work/err"; then echo "ok   $what"; else
    echo "FAIL $what"; echo "     command: $*"; sed 's/^/     | /' "$work/out" "$work/err" | head -20; fail=1; fi
}
has() { grep -qF -- "$1" "$2"; }

prefix=$(bash "$src/tests/install/install_prefix.sh" "$build" "$work/dest") || { echo "FAIL meson install"; exit 1; }
echo "installed into $prefix"
plugin=$(find "$work/dest" -name libcnnv3vs.so | head -n 1)
check "bin/cnnv3 and bin/cnnv3-shadergen are installed" test -x "$prefix/bin/cnnv3" -a -x "$prefix/bin/cnnv3-shadergen"
check "every shipped model is under share/cnnv3/weights, the test models are not" \
  bash -c 'for d in "$1"/weights/*/; do m=$(basename "$d"); case $m in test-*) test ! -e "$2/share/cnnv3/weights/$m";;
           *) test -f "$2/share/cnnv3/weights/$m/model.json";; esac || exit 1; done' _ "$src" "$prefix"
check "every preset of weights/presets.tsv is under share/cnnv3/glsl" \
  bash -c 'grep -v "^#" "$1/weights/presets.tsv" | while IFS=$'"'\t'"' read -r p _; do test -f "$2/share/cnnv3/glsl/$p.glsl" || exit 1; done' _ "$src" "$prefix"
check "every model with shipped presets has its preview.jpg (scripts/make-previews.sh)" \
  bash -c 'for m in $(grep -v "^#" "$1/weights/presets.tsv" | cut -f2 | uniq); do test -s "$2/share/cnnv3/weights/$m/preview.jpg" || exit 1; done' _ "$src" "$prefix"
check "the mpv files and the VapourSynth example are under share/cnnv3" \
  test -f "$prefix/share/cnnv3/mpv/cnnv3.lua" -a -f "$prefix/share/cnnv3/mpv/input.conf" -a -f "$prefix/share/cnnv3/vapoursynth/example.vpy"
check "the browser tool is under share/cnnv3/web, whole" diff -r "$src/web" "$prefix/share/cnnv3/web"
check "the browser tool's model list (web/app.js shippedModels) is the installed models" \
  bash -c 'list=$(sed -n "s/^export const shippedModels = \[\(.*\)\];/\1/p" "$1/share/cnnv3/web/app.js" | tr -d "\047 " | tr , "\n" | sort)
           installed=$(cd "$1/share/cnnv3/weights" && ls -d */ | tr -d / | sort); test -n "$list" && test "$list" = "$installed"' _ "$prefix"
check "nothing is installed outside DESTDIR+prefix except the VapourSynth plugin" \
  bash -c '! find "$1" -type f ! -path "$2/*" ! -name libcnnv3vs.so | grep .' _ "$work/dest" "$prefix"
check "the VapourSynth plugin is installed" test -n "$plugin"

# No absolute path to the models is compiled in: neither the source tree's weights/ nor the
# configured data folder appears in the installed programs or the plugin.
configured=${prefix#"$work/dest"}/share/cnnv3
check "no absolute models path compiled in ($src/weights, $configured)" \
  bash -c 'for f in "$1/bin/cnnv3" "$1/bin/cnnv3-shadergen" "$2"; do [ -f "$f" ] || continue
           ! grep -q -a -F -e "$3/weights" -e "$4" "$f" || { echo "$f"; exit 1; }; done' _ "$prefix" "$plugin" "$src" "$configured"

# The installed programs find their models relative to themselves (here under DESTDIR).
check "cnnv3 models --data-dir names the installed data folder" bash -c '[ "$("$1/bin/cnnv3" models --data-dir)" = "$1/share/cnnv3" ]' _ "$prefix"
check "cnnv3 models lists the installed models, the default marked" "$prefix/bin/cnnv3" models
has "toon-816  (default)" "$work/out" && has "in:      $prefix/share/cnnv3/weights/toon-816" "$work/out" \
  && has "styles:  cartoon (style_p0 = 0) -> colour pencil sketch (style_p0 = 1)" "$work/out" \
  && has "size:    [4,8] fast" "$work/out" && has "cnnv3_toon-48_pencil (1,0,0.3,1,1)" "$work/out" \
  || { echo "FAIL cnnv3 models: expected entries missing"; cat "$work/out"; fail=1; }

# An unknown model: one line, exit 1, naming the known models.
"$prefix/bin/cnnv3" stylize --model no-such-model in.mp4 "$work/o.mp4" > /dev/null 2> "$work/err"; rc=$?
if [ $rc -eq 1 ] && [ "$(wc -l < "$work/err")" -eq 1 ] && has "no-such-model" "$work/err" && has "toon-816" "$work/err" \
   && has "paint-48" "$work/err"; then echo "ok   an unknown --model lists the known names in one line"
else echo "FAIL unknown --model (exit $rc):"; cat "$work/err"; fail=1; fi

# Search order: $CNNV3_MODEL_PATH, then $XDG_DATA_HOME/cnnv3/weights, then the installed models.
mkdir -p "$work/xdg/cnnv3/weights" "$work/mine"
cp -r "$src/weights/test-chelsea-48" "$work/xdg/cnnv3/weights/toon-48"
cp -r "$src/weights/test-chelsea-48" "$work/xdg/cnnv3/weights/only-xdg"
cp -r "$src/weights/test-chelsea-816" "$work/mine/toon-48"
XDG_DATA_HOME=$work/xdg "$prefix/bin/cnnv3" models > "$work/xdg.txt"
CNNV3_MODEL_PATH=/nonexistent::$work/mine XDG_DATA_HOME=$work/xdg "$prefix/bin/cnnv3" models > "$work/both.txt"
HOME=$work/xdg-home; mkdir -p "$HOME/.local/share/cnnv3/weights"; cp -r "$src/weights/test-chelsea-48" "$HOME/.local/share/cnnv3/weights/home-model"
"$prefix/bin/cnnv3" models > "$work/home.txt"; HOME=$work/home
if has "in:      $work/xdg/cnnv3/weights/toon-48" "$work/xdg.txt" && has "in:      $work/xdg/cnnv3/weights/only-xdg" "$work/xdg.txt" \
   && has "in:      $prefix/share/cnnv3/weights/toon-816" "$work/xdg.txt" \
   && has "in:      $work/mine/toon-48" "$work/both.txt" && has "in:      $work/xdg/cnnv3/weights/only-xdg" "$work/both.txt" \
   && has "in:      $work/xdg-home/.local/share/cnnv3/weights/home-model" "$work/home.txt"; then
  echo "ok   search order: CNNV3_MODEL_PATH before XDG_DATA_HOME (default ~/.local/share) before the installed models"
else echo "FAIL search order"; cat "$work/xdg.txt" "$work/both.txt"; fail=1; fi

# A relocated install (the prefix moved elsewhere) keeps finding its data.
if mv "$prefix" "$work/moved"; then
  check "relocated: cnnv3 models --data-dir follows the move" bash -c '[ "$("$1/bin/cnnv3" models --data-dir)" = "$1/share/cnnv3" ]' _ "$work/moved"
  check "relocated: cnnv3 models finds the models in the new place" "$work/moved/bin/cnnv3" models
  has "in:      $work/moved/share/cnnv3/weights/toon-816" "$work/out" || { echo "FAIL relocated: models not found there"; fail=1; }
  mv "$work/moved" "$prefix"
fi

# The VapourSynth plugin finds the installed models from its own folder (no CNNV3_MODEL_PATH): a
# model that exists only in the installed data folder.
if [ -n "$plugin" ] && [ -x "$py" ]; then
  cp -r "$src/weights/test-chelsea-48" "$prefix/share/cnnv3/weights/installed-only"
  cat > "$work/plugin.vpy" <<'VPY'
import vapoursynth as vs
core = vs.core
clip = core.std.BlankClip(width=16, height=8, format=vs.RGBS, length=1)
core.cnnv3.Stylize(clip, model="installed-only").set_output()
VPY
  check "the installed plugin, autoloaded, finds an installed model by name" \
    env VAPOURSYNTH_EXTRA_PLUGIN_PATH="$(dirname "$plugin")" "$(dirname "$py")/vspipe" "$work/plugin.vpy" --
  rm -r "$prefix/share/cnnv3/weights/installed-only"
fi

# --prefix, --bindir and --datadir are honoured: a configure-only check of another layout, where the
# install map and the compiled-in path from bindir to the data folder follow the options.
if meson setup --prefix="$work/pfx" --bindir=tools --datadir=data "$work/pfx-build" "$src" > "$work/setup.log" 2>&1; then
  meson introspect "$work/pfx-build" --installed > "$work/installed.json"
  check "--prefix/--bindir/--datadir: cnnv3 goes to PREFIX/tools, the models to PREFIX/data/cnnv3" \
    /usr/bin/python3 -c 'import json, sys; d = set(json.load(open(sys.argv[1])).values()); p = sys.argv[2]
sys.exit(0 if {p + "/tools/cnnv3", p + "/data/cnnv3/weights"} <= d else "installed: %s" % sorted(d))' "$work/installed.json" "$work/pfx"
  check "--bindir/--datadir: the programs look for their data at ../data/cnnv3" \
    grep -q -F 'CNNV3_BINDIR_TO_DATADIR="../data/cnnv3"' "$work/pfx-build/build.ninja"
else
  echo "FAIL meson setup --prefix=...:"; tail -5 "$work/setup.log"; fail=1
fi

# ninja uninstall removes every installed file.
check "ninja uninstall" ninja -C "$build" uninstall
left=$(find "$work/dest" -type f 2>/dev/null | head -n 5)
if [ -z "$left" ]; then echo "ok   nothing is left after uninstall"; else echo "FAIL left after uninstall: $left"; fail=1; fi
exit $fail
