#!/usr/bin/env bash
# Pack the ffmpeg binary for the GPU machine next to a library set that is already packed
# (BASE_LIBS, e.g. the libraries of cnnv3's own closure): ffmpeg's extra libraries, with the ones its
# transcode + vf_libplacebo runs never call (speech synthesis, audio servers, SDL, devices...) replaced
# by stubs of the same SONAME and symbols (bench/stub_lib.py), then only what the loader reaches.
# usage: pack_ffmpeg.sh DEST BASE_LIBS   -> DEST/ffmpeg, DEST/ffprobe, DEST/lib/*
# Check here before spending device time (LD_BIND_NOW resolves every symbol, stubs included):
#   env -i LD_LIBRARY_PATH=DEST/lib:BASE_LIBS LD_BIND_NOW=1 DEST/ffmpeg -version
set -euo pipefail
dest=$1 base=$2
here=$(cd "$(dirname "$0")" && pwd)
stub='^lib(flite|pocketsphinx|sphinxbase|jack|caca|pulse|SDL2|openal|asound|zimg|rubberband|dc1394|iec61883|raw1394|avc1394|rom1394|cdio|mysofa|bs2b|vidstab|lilv|GL\.|sndio|usb|udev|systemd|dbus|lapack|blas|gfortran|quadmath|db-|slang|ncurses|tinfo|xkbcommon|decor|wayland)'
skip='^(linux-vdso|ld-linux|libc\.so|libm\.so|libdl\.so|libpthread\.so|librt\.so)'
mkdir -p "$dest/lib"
cp -L "$(command -v ffmpeg)" "$(command -v ffprobe)" "$dest/"
for bin in "$dest/ffmpeg" "$dest/ffprobe"; do
  ldd "$bin" | awk '/=>/ {print $1, $3}' | while read -r name path; do
    [[ $name =~ $skip ]] && continue
    [ -e "$base/$name" ] && continue
    [ -e "$dest/lib/$name" ] && continue
    if [[ $name =~ $stub ]]; then python3 "$here/stub_lib.py" "$path" "$dest/lib/$name" >/dev/null
    else cp -L "$path" "$dest/lib/$name"; fi
  done
done
# keep only what the loader reaches from the two binaries through real libraries and stubs
declare -A seen; queue=("$dest/ffmpeg" "$dest/ffprobe")
while [ ${#queue[@]} -gt 0 ]; do
  f=${queue[0]}; queue=("${queue[@]:1}")
  for n in $(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    [ -n "${seen[$n]:-}" ] && continue; seen[$n]=1
    for d in "$dest/lib" "$base"; do [ -e "$d/$n" ] && { queue+=("$d/$n"); break; }; done
  done
done
for f in "$dest"/lib/*; do [ -n "${seen[$(basename "$f")]:-}" ] || rm "$f"; done
du -sh "$dest"
