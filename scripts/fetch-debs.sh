#!/usr/bin/env bash
# Usage: scripts/fetch-debs.sh PACKAGE...
# Downloads Debian packages and unpacks them into a cache WITHOUT installing them: nothing runs
# on the host (no maintainer scripts, no services). The images of systems that are not ours
# (etcd, Redis) are built from the unpacked trees (nodes/image/binary.ts).
# Cache: $CHAOS_DEB_CACHE, else <checkout>/.debs (gitignored). Each package unpacks into
# <cache>/root; <cache>/root/.chaos-have/<package> records the version that is there.
set -euo pipefail
cache=${CHAOS_DEB_CACHE:-$(cd "$(dirname "$0")/.." && pwd)/.debs}
mkdir -p "$cache/debs" "$cache/root/.chaos-have"
cd "$cache/debs"
# As root, apt hands downloads to the _apt user, which cannot write here.
sandbox=()
[ "$(id -u)" = 0 ] && sandbox=(-o APT::Sandbox::User=root)
missing=()
for p in "$@"; do [ -e "$cache/root/.chaos-have/$p" ] || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! apt-get download -qq "${sandbox[@]}" "${missing[@]}" >/dev/null 2>&1; then
  # A fresh machine has no package lists yet.
  apt-get update -qq >/dev/null
  apt-get download -qq "${sandbox[@]}" "${missing[@]}" >/dev/null
fi
for p in "${missing[@]}"; do
  deb=$(ls -t "${p}"_*.deb | head -1)
  dpkg-deb -x "$deb" "$cache/root"
  dpkg-deb -f "$deb" Version > "$cache/root/.chaos-have/$p"
  echo "fetch-debs: $p $(cat "$cache/root/.chaos-have/$p") -> $cache/root"
done
