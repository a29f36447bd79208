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
# The emulators keep nothing across restarts (the ERP emulator holds its records in memory), so
# the hub's state of an earlier demo (processed event ids, ledger, projections, topics) would
# contradict them: each run starts from a clean demo state. DEMO_KEEP_STATE=1 keeps it.
if [ "${DEMO_KEEP_STATE:-0}" != 1 ]; then
  echo "[up] starting from a clean demo state (DEMO_KEEP_STATE=1 keeps the previous one)"
  bash scripts/down.sh >/dev/null 2>&1 || true
  bash infra/local.sh reset
  node -e "
    const { Client } = require('pg');
    const client = new Client({ connectionString: process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test' });
    client.connect()
      .then(() => client.query('DROP SCHEMA IF EXISTS enricher, erp_sink, reconciler CASCADE'))
      .then(() => client.end())
      .catch((error) => { console.error('[up] could not reset the demo schemas: ' + error.message); process.exit(1); });
  "
fi
bash infra/local.sh up
eval "$(bash infra/local.sh env)"
cache=${PARITY_HUB_CACHE:-$HOME/.cache/parity-hub}
run_dir="$cache/run/apps"
mkdir -p "$run_dir"

echo "[up] building"
npm run --silent build

# The key the NewStore emulator's integration sends, bound to the demo tenant (tenant:key).
webhook_key=${WEBHOOK_KEY:-local-dev-key}
export INGEST_API_KEYS=${INGEST_API_KEYS:-demo:$webhook_key}
export RECONCILER_ADMIN_TOKENS=${RECONCILER_ADMIN_TOKENS:-local-admin-token}
export RECONCILER_TENANTS=${RECONCILER_TENANTS:-demo}
demo_orders=${DEMO_ORDERS:-200}
# Yesterday (UTC): the whole day is past the reconciler's settle window, so every order is compared.
demo_day=${DEMO_DAY:-$(date -u -d yesterday +%F)}

start_background() {
  local name=$1
  shift
  local pid_file="$run_dir/$name.pid"
  if [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
    echo "[up] $name already running (pid $(cat "$pid_file"))"
    return
  fi
  nohup "$@" >"$run_dir/$name.log" 2>&1 &
  echo $! >"$pid_file"
  echo "[up] started $name (log: $run_dir/$name.log)"
}

# The emulators stand in for NewStore and NetSuite; the hub reaches them only through configuration.
# GraphQL lags the event stream: a tenth of NewStore's real lag keeps the demo short.
NEWSTORE_DAY=$demo_day NEWSTORE_ORDERS=$demo_orders NEWSTORE_VISIBILITY=published NEWSTORE_LAG_SCALE=${NEWSTORE_LAG_SCALE:-0.1} start_background emulator-newstore node "$root/dist/tools/emulators/newstore/main.js"
start_background emulator-erp node "$root/dist/tools/emulators/erp/main.js"
export LOG_FORMAT=${LOG_FORMAT:-json}
declare -A ports=([ingest]=3000 [enricher]=3001 [erp-sink]=3002 [reconciler]=3003)
for app in ingest enricher erp-sink reconciler; do
  PORT=${ports[$app]} start_background "$app" node "$root/dist/apps/$app/src/main.js"
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

newstore=http://127.0.0.1:4001
echo "[up] registering a NewStore event-stream integration that pushes a day of $demo_orders orders to ingest"
# The same step as docker compose's demo service: NewStore's event-stream configuration API on the emulator.
# Planted for the report to find (DEMO_PLANT=0 leaves the day whole): NewStore keeps a cancellation and a return
# whose events never reach the hub, and, once the ERP holds the day, someone edits a line of a sales order.
plant=${DEMO_PLANT:-1}
if [ "$plant" = 1 ]; then
  NEWSTORE_URL=$newstore node "$root/dist/tools/emulators/plant-demo.js" events | sed 's/^/[up] planted: /'
fi
pushed=$(NEWSTORE_URL=$newstore WEBHOOK_URL=http://127.0.0.1:3000/webhooks/newstore WEBHOOK_KEY=$webhook_key \
  node "$root/dist/tools/emulators/newstore/push-day.js")
echo "$pushed" | sed 's/^/[up] /'
integration_id=$(echo "$pushed" | sed -n 's/^integration \([^:]*\):.*/\1/p' | tail -n 1)
echo "[up] ingest accepted (parity_ingest_requests_total, status 200):"
curl -fsS http://127.0.0.1:3000/metrics | grep '^parity_ingest_requests_total' | grep 'status="200"' || true
echo "[up] waiting for the documents to reach the ERP emulator (enricher → erp.documents.v1 → erp-sink)"
previous=-1
stable=0
for _ in $(seq 1 60); do
  count=$( (curl -fsS http://127.0.0.1:4002/_emulator/records || true) | grep -o '"externalId"' | wc -l || true)
  if [ "$count" -gt 0 ] && [ "$count" -eq "$previous" ]; then stable=$((stable + 1)); else stable=0; fi
  [ "$stable" -ge 5 ] && break
  previous=$count
  sleep 2
done
echo "[up] ERP emulator totals (records per type): $(curl -fsS http://127.0.0.1:4002/_emulator/totals)"
if [ "$plant" = 1 ]; then
  ERP_URL=http://127.0.0.1:4002 DEMO_DAY=$demo_day node "$root/dist/tools/emulators/plant-demo.js" lines | sed 's/^/[up] planted: /'
fi
echo "[up] enricher outcomes:"
curl -fsS http://127.0.0.1:3001/metrics | grep '^parity_enricher_events_total' || true
echo "[up] waiting for the reconciler's projections to catch up, then reconciling $demo_day (NewStore, hub, ERP)"
for _ in $(seq 1 60); do
  lags=$(curl -fsS http://127.0.0.1:3003/metrics | grep '^parity_projection_lag_messages' || true)
  if [ -n "$lags" ] && ! echo "$lags" | grep -qv ' 0$'; then break; fi
  sleep 1
done
admin=(-H "Authorization: Bearer $RECONCILER_ADMIN_TOKENS" -H 'Content-Type: application/json')
# A failed run answers an error status with its reason: shown, and the demo stops there.
curl -sS --fail-with-body -X POST http://127.0.0.1:3003/admin/reconciliations "${admin[@]}" -d "{\"date\":\"$demo_day\"}" \
  -o "$run_dir/reconciliation.json" || { cat "$run_dir/reconciliation.json"; echo; exit 1; }
curl -sS --fail-with-body "http://127.0.0.1:3003/admin/reports/$demo_day?format=text" "${admin[@]}"
echo "[up] the event-stream watchdog (reconciler eventstream status; WATCHDOG_INTEGRATIONS=demo:$integration_id):"
# Through the reconciler's command (the running reconciler watches only WATCHDOG_INTEGRATIONS set at its start).
# The command's own log lines go to its log file; its status lines are shown.
if ! WATCHDOG_INTEGRATIONS="demo:$integration_id" LOG_LEVEL=warn node "$root/dist/apps/reconciler/src/main.js" \
  eventstream status >"$run_dir/watchdog.out" 2>"$run_dir/watchdog.log"; then
  echo "[up] watchdog status FAILED (see $run_dir/watchdog.out and watchdog.log):" >&2
  tail -n 5 "$run_dir/watchdog.out" "$run_dir/watchdog.log" >&2
fi
sed -n 's/^watchdog /[up] watchdog /p' "$run_dir/watchdog.out"
echo "[up] the parity report as a web page (in a browser, sign in first at http://127.0.0.1:3003/reports/login.html with the token $RECONCILER_ADMIN_TOKENS):"
echo "[up]   http://127.0.0.1:3003/reports/$demo_day.html   and the month: http://127.0.0.1:3003/reports/${demo_day:0:7}.html"
echo "[up]   e.g. curl -H 'Authorization: Bearer $RECONCILER_ADMIN_TOKENS' http://127.0.0.1:3003/reports/$demo_day.html > report.html"
if [ "$plant" = 1 ]; then
  echo "[up] the planted discrepancies (missing_cancellation, missing_return, line_mismatch) are in the day's report;"
  echo "[up]   each order links to its page (/reports/orders/{id}, or the search box), where 'Resync this order' fixes it."
  echo "[up]   A return NewStore never sent is NewStore's to send again (docs/runbooks/ParityLaterDocumentMissing.md)."
fi
echo "[up] parity metrics:"
curl -fsS http://127.0.0.1:3003/metrics | grep -E '^parity_reconciliation_(parity_ratio|orders|day_known)' | grep "business_date=\"$demo_day\"" || true
echo "[up] end offsets of newstore.events.v1:"
bash infra/local.sh tool org.apache.kafka.tools.GetOffsetShell --bootstrap-server "$KAFKA_BROKERS" --topic newstore.events.v1
echo "[up] the hub is up: ingest :3000, enricher :3001, erp-sink :3002, reconciler :3003 (each /health/ready, /metrics;"
echo "[up] reconciler admin API with Authorization: Bearer $RECONCILER_ADMIN_TOKENS, documented at /admin/openapi.json);"
echo "[up] NewStore emulator :4001, ERP emulator :4002. Stop everything with: npm run down"
