#!/usr/bin/env bash
# Installs what the hub needs on a fresh clone: Node packages (from the lock file)
# and the jars of the local infrastructure (Kafka, Apicurio) from Maven Central.
# Idempotent: quick when everything is already there.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "missing: $1 ($2)" >&2; exit 1; }
}
need node "Node.js 20.19+ or 22/24 LTS"
need java "Java 17+ runs the local Kafka broker and registry"
need mvn "Maven collects the Kafka and Apicurio jars from Maven Central"
need curl "used to wait for the registry"

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[install] npm ci"
  npm ci --no-audit --no-fund
fi
bash infra/local.sh fetch

# promtool (Debian's prometheus package) tests the alerting rules. The package is
# downloaded and unpacked into the cache, not installed: no service is set up.
cache=${PARITY_HUB_CACHE:-$HOME/.cache/parity-hub}
if ! command -v promtool >/dev/null 2>&1 && [ ! -x "$cache/prometheus/usr/bin/promtool" ]; then
  need apt-get "Debian's package tools fetch promtool (package prometheus)"
  echo "[install] promtool from Debian's prometheus package"
  downloads="$cache/downloads"
  mkdir -p "$downloads"
  (cd "$downloads" && { apt-get download prometheus >/dev/null 2>&1 || { apt-get update -qq && apt-get download prometheus; }; })
  dpkg -x "$(ls -t "$downloads"/prometheus_*.deb | head -n 1)" "$cache/prometheus"
fi

# Debian's Chromium runs the browser test of the HTML parity report (puppeteer-core
# drives it; no browser is downloaded from the internet). CHROMIUM_PATH points elsewhere.
if [ -z "${CHROMIUM_PATH:-}" ] && ! command -v chromium >/dev/null 2>&1; then
  need apt-get "Debian's package tools install chromium (the report's browser test)"
  echo "[install] chromium from Debian's packages"
  if [ "$(id -u)" != 0 ]; then
    echo "missing: chromium; as root: apt-get install chromium (or set CHROMIUM_PATH to a Chromium binary)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
fi
