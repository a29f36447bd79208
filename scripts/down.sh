#!/usr/bin/env bash
# Stops what scripts/up.sh started: the four apps (gracefully), then Kafka and the registry.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cache=${PARITY_HUB_CACHE:-$HOME/.cache/parity-hub}
run_dir="$cache/run/apps"
for pid_file in "$run_dir"/*.pid; do
  [ -f "$pid_file" ] || continue
  pid=$(cat "$pid_file")
  if kill -0 "$pid" 2>/dev/null; then
    echo "[down] stopping $(basename "$pid_file" .pid) (pid $pid)"
    kill -TERM "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  fi
  rm -f "$pid_file"
done
bash infra/local.sh down
