#!/usr/bin/env bash
# Sets up a fresh Debian machine (as root) for chaos: system packages, a running Docker
# engine, and the npm dependencies. Safe to run again: it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
have() { dpkg -s "$1" >/dev/null 2>&1; }
# iproute2: the suite's second-engine test (network namespaces); chromium: the report tests
# open every kind of report.html in a real browser (reports/browser.ts); gcc, libc6-dev: the
# partition helper's chaos-netemd (harness/runtime/docker/netemd.c, link impairments) is
# compiled on the host when the helper image is built
for p in docker.io iptables iproute2 chromium gcc libc6-dev; do
  have "$p" || need_pkgs+=("$p")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "setup: installing ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

# A Docker engine: start dockerd in the background when none answers.
if ! docker info >/dev/null 2>&1; then
  echo "setup: starting dockerd"
  mkdir -p /var/log
  # Without the userland proxy, published ports are plain NAT rules: the 10-client load runs
  # about twice as fast as through docker-proxy on this 2-core machine (bench:harness).
  (setsid dockerd --userland-proxy=false >/var/log/chaos-dockerd.log 2>&1 &)
  for _ in $(seq 1 60); do
    if [ -S /var/run/docker.sock ] && docker info >/dev/null 2>&1; then break; fi
    sleep 0.5
  done
  docker info >/dev/null 2>&1 || { echo "setup: dockerd did not start; see /var/log/chaos-dockerd.log" >&2; tail -20 /var/log/chaos-dockerd.log >&2; exit 1; }
fi

# Binaries of the systems that are not ours, from Debian's packages, unpacked into .debs/ and
# never installed: no etcd or redis service starts on this host. Their images are built from
# them on first use (nodes/image/binary.ts).
bash scripts/fetch-debs.sh etcd-server redis-server redis-tools libjemalloc2 liblzf1

# npm dependencies.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

# The compiled CLI: bin/chaos.mjs starts from dist/ while dist/ matches the sources (chaos check
# from one bundled script with a V8 code cache, dist/cli-check.cjs), and from the TypeScript
# sources through tsx (~200 ms more) otherwise. The build needs the dev dependencies (tsc, esbuild).
if ! node scripts/build-stamp.mjs --check; then
  echo "setup: npm run build"
  npm run build --silent || echo "setup: npm run build failed; bin/chaos.mjs runs from the sources" >&2
fi
