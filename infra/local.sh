#!/usr/bin/env bash
# Local infrastructure without Docker: a single-node KRaft Apache Kafka broker and
# an Apicurio Registry (Confluent-compatible API), both run from jars that Maven
# collects from Maven Central into a cache outside git. PostgreSQL is the machine's
# own server (DATABASE_URL).
#
#   infra/local.sh fetch            collect the jars (idempotent, fast when cached)
#   infra/local.sh up [kafka|registry|all]
#   infra/local.sh down [kafka|registry|all]
#   infra/local.sh status
#   infra/local.sh env              print the variables the hub and the tests read
#   infra/local.sh tool CLASS ARGS  run a Kafka tool (e.g. org.apache.kafka.tools.ProducerPerformance)
#
# Versions are pinned in infra/pom.xml and only there.
# Settings (environment, with local defaults):
#   PARITY_HUB_CACHE   where jars, data and logs live   (~/.cache/parity-hub)
#   KAFKA_PORT         broker listener port              (19092)
#   KAFKA_CONTROLLER_PORT                                (19093)
#   REGISTRY_PORT      Apicurio HTTP port                (18081)
#   KAFKA_INSTANCE     name of a second, separate broker (own data, pid and ports),
#                      e.g. for a test that stops its broker without disturbing others
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
pom="$here/pom.xml"
cache=${PARITY_HUB_CACHE:-$HOME/.cache/parity-hub}
kafka_port=${KAFKA_PORT:-19092}
controller_port=${KAFKA_CONTROLLER_PORT:-19093}
registry_port=${REGISTRY_PORT:-18081}

pom_property() {
  sed -n "s:.*<$1>\(.*\)</$1>.*:\1:p" "$pom" | head -n 1
}
kafka_version=$(pom_property kafka.version)
apicurio_version=$(pom_property apicurio.version)
kafka_home="$cache/kafka-$kafka_version"
registry_home="$cache/apicurio-$apicurio_version"
instance=${KAFKA_INSTANCE:+-$KAFKA_INSTANCE}
run_dir="$cache/run"
mkdir -p "$run_dir"

log() { printf '[infra] %s\n' "$*" >&2; }

fetch() {
  if [ ! -f "$kafka_home/.complete" ]; then
    log "collecting Kafka $kafka_version jars from Maven Central"
    rm -rf "$kafka_home/libs"
    mvn -q -B -f "$pom" dependency:copy-dependencies -DincludeScope=runtime \
      -DoutputDirectory="$kafka_home/libs"
    touch "$kafka_home/.complete"
  fi
  if [ ! -f "$registry_home/.complete" ]; then
    log "collecting Apicurio Registry $apicurio_version from Maven Central"
    mkdir -p "$cache/downloads" "$registry_home"
    mvn -q -B -f "$pom" dependency:copy \
      -Dartifact="io.apicurio:apicurio-registry-app:$apicurio_version:tar.gz:all" \
      -DoutputDirectory="$cache/downloads"
    tar xzf "$cache/downloads/apicurio-registry-app-$apicurio_version-all.tar.gz" -C "$registry_home"
    touch "$registry_home/.complete"
  fi
}

pid_alive() {
  local file=$1
  [ -f "$file" ] && kill -0 "$(cat "$file")" 2>/dev/null
}

# Waits until a command succeeds, at most $1 seconds.
wait_for() {
  local seconds=$1 what=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      log "$what did not become ready within ${seconds}s"
      return 1
    fi
    sleep 0.5
  done
}

# Kafka's command-line tools (storage format, admin calls, perf tools): warnings to stderr.
kafka_java() {
  if [ ! -f "$run_dir/log4j2-tools.properties" ]; then
    cat >"$run_dir/log4j2-tools.properties" <<EOF
status = error
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.console.ref = console
EOF
  fi
  java -Xms128m -Xmx1g -XX:+UseG1GC \
    -Dlog4j2.configurationFile="$run_dir/log4j2-tools.properties" \
    -cp "$kafka_home/libs/*" "$@"
}

kafka_metadata_ok() {
  # A metadata call through the admin client: the broker answers as a broker.
  kafka_java org.apache.kafka.tools.ClusterTool cluster-id --bootstrap-server "127.0.0.1:$kafka_port"
}

kafka_up() {
  if pid_alive "$run_dir/kafka$instance.pid"; then
    log "Kafka already running (pid $(cat "$run_dir/kafka$instance.pid")) on 127.0.0.1:$kafka_port"
    return 0
  fi
  local data="$cache/kafka-data$instance"
  cat >"$run_dir/log4j2$instance.properties" <<EOF
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = $run_dir/kafka$instance.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka
logger.kafka.level = info
EOF
  cat >"$run_dir/server$instance.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$kafka_port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$kafka_port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$data
num.partitions=3
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
delete.topic.enable=true
log.segment.bytes=67108864
EOF
  if [ ! -f "$data/meta.properties" ]; then
    log "formatting KRaft storage in $data"
    kafka_java kafka.tools.StorageTool format -t "$(kafka_java kafka.tools.StorageTool random-uuid)" \
      -c "$run_dir/server$instance.properties" >/dev/null
  fi
  log "starting Kafka $kafka_version on 127.0.0.1:$kafka_port"
  nohup java -Xms512m -Xmx1g -XX:+UseG1GC \
    -Dlog4j2.configurationFile="$run_dir/log4j2$instance.properties" \
    -cp "$kafka_home/libs/*" kafka.Kafka "$run_dir/server$instance.properties" \
    >"$run_dir/kafka$instance.out" 2>&1 &
  echo $! >"$run_dir/kafka$instance.pid"
  if ! wait_for 120 "Kafka" kafka_metadata_ok; then
    tail -n 40 "$run_dir/kafka$instance.out" "$run_dir/kafka$instance.log" >&2 || true
    return 1
  fi
  log "Kafka ready"
}

registry_ok() {
  curl -fsS "http://127.0.0.1:$registry_port/apis/ccompat/v7/subjects"
}

registry_up() {
  if pid_alive "$run_dir/registry.pid"; then
    log "registry already running (pid $(cat "$run_dir/registry.pid")) on 127.0.0.1:$registry_port"
    return 0
  fi
  log "starting Apicurio Registry $apicurio_version on 127.0.0.1:$registry_port (in-memory storage)"
  nohup java -Xms128m -Xmx512m \
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$registry_port" \
    -Dapicurio.storage.kind=sql -Dapicurio.storage.sql.kind=h2 \
    -Dquarkus.log.level=WARN \
    -jar "$registry_home/apicurio-registry-app-$apicurio_version-runner.jar" \
    >"$run_dir/registry.out" 2>&1 &
  echo $! >"$run_dir/registry.pid"
  if ! wait_for 120 "registry" registry_ok; then
    tail -n 40 "$run_dir/registry.out" >&2 || true
    return 1
  fi
  log "registry ready"
}

stop_pid() {
  local name=$1 file="$run_dir/$1.pid"
  if pid_alive "$file"; then
    local pid
    pid=$(cat "$file")
    log "stopping $name (pid $pid)"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

which_parts() {
  case "${1:-all}" in
    all) echo "kafka registry" ;;
    kafka | registry) echo "$1" ;;
    *)
      log "unknown part '$1' (kafka, registry or all)"
      exit 2
      ;;
  esac
}

print_env() {
  cat <<EOF
export KAFKA_BROKERS=127.0.0.1:$kafka_port
export SCHEMA_REGISTRY_URL=http://127.0.0.1:$registry_port/apis/ccompat/v7
export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}
EOF
}

case "${1:-}" in
  fetch) fetch ;;
  up)
    fetch
    for part in $(which_parts "${2:-all}"); do "${part}_up"; done
    ;;
  down)
    for part in $(which_parts "${2:-all}"); do
      if [ "$part" = kafka ]; then stop_pid "kafka$instance"; else stop_pid "$part"; fi
    done
    ;;
  reset)
    # Stops Kafka and wipes its data: the next 'up' starts from an empty cluster.
    stop_pid "kafka$instance"
    rm -rf "$cache/kafka-data$instance"
    ;;
  status)
    for part in kafka registry; do
      if pid_alive "$run_dir/$part.pid"; then echo "$part: running (pid $(cat "$run_dir/$part.pid"))"; else echo "$part: stopped"; fi
    done
    ;;
  env) print_env ;;
  tool)
    fetch
    shift
    kafka_java "$@"
    ;;
  *)
    sed -n '2,20p' "${BASH_SOURCE[0]}"
    exit 2
    ;;
esac
