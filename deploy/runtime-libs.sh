#!/usr/bin/env bash
# Which system libraries the compiled modules of a venv link (ldd), and the Debian package of each:
# the image must hold every one of them. Run on the dev venv: deploy/runtime-libs.sh [.venv]
# python:3.11-slim-bookworm has libc6, libgcc-s1, libstdc++6 and zlib1g (apt depends on them) but not
# libgomp1 (lightgbm's OpenMP runtime), which the Dockerfile installs.
set -euo pipefail
venv=${1:-.venv}
site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
find "$site" -name '*.so*' -type f -print0 \
  | xargs -0 -n 50 ldd 2>/dev/null \
  | awk '/=> \// {print $3}' | grep -v "^$site" | sort -u \
  | while read -r lib; do
      pkg=$(dpkg -S "$(readlink -f "$lib")" 2>/dev/null || dpkg -S "$lib" 2>/dev/null || echo '?:')
      printf '%-40s %s\n' "$lib" "${pkg%%:*}"
    done
