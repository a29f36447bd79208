#!/usr/bin/env bash
# Brings up the whole hub locally with its defaults and shows it working:
# installs what is missing, starts Kafka and the schema registry (infra/local.sh),
# builds and starts the four apps against them and the machine's Postgres, waits
# until each is ready, then sends a sample NewStore event through ingest and shows
# it stored in Kafka. Stop everything with: npm run down
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
bash scripts/install.sh
bash infra/local.sh up
eval "$(bash infra/local.sh env)"
cache=${PARITY_HUB_CACHE:-$HOME/.cache/parity-hub}
run_dir="$cache/run/apps"
mkdir -p "$run_dir"

echo "[up] building"
npm run --silent build

export INGEST_API_KEYS=${INGEST_API_KEYS:-local-dev-key}
export LOG_FORMAT=${LOG_FORMAT:-json}
declare -A ports=([ingest]=3000 [enricher]=3001 [erp-sink]=3002 [reconciler]=3003)
for app in ingest enricher erp-sink reconciler; do
  pid_file="$run_dir/$app.pid"
  if [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
    echo "[up] $app already running (pid $(cat "$pid_file"))"
    continue
  fi
  PORT=${ports[$app]} nohup node "$root/dist/apps/$app/src/main.js" >"$run_dir/$app.log" 2>&1 &
  echo $! >"$pid_file"
  echo "[up] started $app on :${ports[$app]} (log: $run_dir/$app.log)"
done

for app in ingest enricher erp-sink reconciler; do
  port=${ports[$app]}
  for _ in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1; then break; fi
    if ! kill -0 "$(cat "$run_dir/$app.pid")" 2>/dev/null; then
      echo "[up] $app exited; its log:" >&2
      tail -n 30 "$run_dir/$app.log" >&2
      exit 1
    fi
    sleep 0.5
  done
  printf '[up] %-10s %s\n' "$app" "$(curl -fsS "http://127.0.0.1:$port/health/ready")"
done

order_id="demo-$(date +%s)"
echo "[up] posting a sample order.opened event for order $order_id"
curl -fsS -X POST "http://127.0.0.1:3000/webhooks/newstore" \
  -H "Authorization: Bearer $INGEST_API_KEYS" -H 'Content-Type: application/json' \
  -d "{\"tenant\":\"demo\",\"name\":\"order.opened\",\"published_at\":\"$(date -u +%Y-%m-%dT%H:%M:%S.000Z)\",\"payload\":{\"id\":\"$order_id\",\"external_id\":\"D-1\",\"channel_type\":\"web\",\"grand_total\":42.5,\"currency\":\"USD\"}}"
echo
echo "[up] end offsets of newstore.events.v1 (one partition grew by the event):"
bash infra/local.sh tool org.apache.kafka.tools.GetOffsetShell --bootstrap-server "$KAFKA_BROKERS" --topic newstore.events.v1
echo "[up] metrics: curl http://127.0.0.1:3000/metrics | grep parity_ingest"
echo "[up] the hub is up. Stop it with: npm run down"
