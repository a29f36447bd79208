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
