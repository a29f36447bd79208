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
#   infra/local.sh broker kill|stop|start N
#                                   one node of a cluster (KAFKA_NODES > 1): kill -9, stop, start again
#
# Versions are pinned in infra/pom.xml and only there.
# Settings (environment, with local defaults):
#   PARITY_HUB_CACHE   where jars, data and logs live   (~/.cache/parity-hub)
#   KAFKA_PORT         broker listener port              (19092)
#   KAFKA_CONTROLLER_PORT                                (19093)
#   REGISTRY_PORT      Apicurio HTTP port                (18081)
#   KAFKA_INSTANCE     name of a second, separate broker (own data, pid and ports),
#                      e.g. for a test that stops its broker without disturbing others;
#                      the registry of an instance keeps its schemas in a file (survives a restart)
#   KAFKA_NODES        brokers of the cluster (1). With 3: node N listens on KAFKA_PORT + 10(N-1)
#                      and KAFKA_CONTROLLER_PORT + 10(N-1), all are controllers, topics default to
#                      replication factor 3 and min.insync.replicas 2
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
nodes=${KAFKA_NODES:-1}
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

# Node N of the cluster (1 when KAFKA_NODES=1): its name, ports, files.
node_name() { if [ "$nodes" -gt 1 ]; then echo "kafka$instance-$1"; else echo "kafka$instance"; fi; }
node_port() { echo $((kafka_port + 10 * ($1 - 1))); }
node_controller_port() { echo $((controller_port + 10 * ($1 - 1))); }

node_metadata_ok() {
  kafka_java org.apache.kafka.tools.ClusterTool cluster-id --bootstrap-server "127.0.0.1:$(node_port "$1")"
}

# Writes node N's configuration and formats its storage on first use.
node_configure() {
  local node=$1 name data voters="" replication=1 min_isr=1
  name=$(node_name "$node")
  data="$cache/kafka-data${name#kafka}"
  for voter in $(seq 1 "$nodes"); do
    voters="$voters${voters:+,}$voter@127.0.0.1:$(node_controller_port "$voter")"
  done
  if [ "$nodes" -ge 3 ]; then
    replication=3
    min_isr=2
  fi
  cat >"$run_dir/log4j2-$name.properties" <<EOF
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = $run_dir/$name.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka
logger.kafka.level = info
EOF
  cat >"$run_dir/server-$name.properties" <<EOF
process.roles=broker,controller
node.id=$node
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$(node_port "$node"),CONTROLLER://127.0.0.1:$(node_controller_port "$node")
advertised.listeners=PLAINTEXT://127.0.0.1:$(node_port "$node")
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$data
num.partitions=3
default.replication.factor=$replication
min.insync.replicas=$min_isr
offsets.topic.replication.factor=$replication
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=$replication
transaction.state.log.min.isr=$min_isr
share.coordinator.state.topic.replication.factor=$replication
share.coordinator.state.topic.min.isr=$min_isr
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
delete.topic.enable=true
log.segment.bytes=67108864
EOF
  if [ ! -f "$data/meta.properties" ]; then
    # Every node of a cluster is formatted with the same cluster id.
    local cluster_file="$run_dir/cluster$instance.id"
    if [ "$node" = 1 ] || [ ! -f "$cluster_file" ]; then
      kafka_java kafka.tools.StorageTool random-uuid >"$cluster_file"
    fi
    log "formatting KRaft storage in $data"
    kafka_java kafka.tools.StorageTool format -t "$(cat "$cluster_file")" \
      -c "$run_dir/server-$name.properties" >/dev/null
  fi
}

# Starts node N unless it runs; does not wait.
node_start() {
  local node=$1 name
  name=$(node_name "$node")
  if pid_alive "$run_dir/$name.pid"; then
    log "$name already running (pid $(cat "$run_dir/$name.pid")) on 127.0.0.1:$(node_port "$node")"
    return 0
  fi
  node_configure "$node"
  log "starting Kafka $kafka_version node $node on 127.0.0.1:$(node_port "$node")"
  nohup java -Xms256m -Xmx1g -XX:+UseG1GC \
    -Dlog4j2.configurationFile="$run_dir/log4j2-$name.properties" \
    -cp "$kafka_home/libs/*" kafka.Kafka "$run_dir/server-$name.properties" \
    >"$run_dir/$name.out" 2>&1 &
  echo $! >"$run_dir/$name.pid"
}

node_wait() {
  local node=$1 name
  name=$(node_name "$node")
  if ! wait_for 120 "Kafka node $node" node_metadata_ok "$node"; then
    tail -n 40 "$run_dir/$name.out" "$run_dir/$name.log" >&2 || true
    return 1
  fi
}

kafka_up() {
  # The nodes of a cluster start together: each waits for a quorum of controllers.
  for node in $(seq 1 "$nodes"); do node_start "$node"; done
  for node in $(seq 1 "$nodes"); do node_wait "$node"; done
  log "Kafka ready ($nodes node(s) from 127.0.0.1:$kafka_port)"
}

kafka_down() {
  for node in $(seq 1 "$nodes"); do stop_pid "$(node_name "$node")"; done
}

registry_ok() {
  curl -fsS "http://127.0.0.1:$registry_port/apis/ccompat/v7/subjects"
}

registry_up() {
  local name="registry$instance" storage=() kind="in-memory storage"
  if pid_alive "$run_dir/$name.pid"; then
    log "registry already running (pid $(cat "$run_dir/$name.pid")) on 127.0.0.1:$registry_port"
    return 0
  fi
  if [ -n "$instance" ]; then
    # An instance's registry keeps its schemas in a file, as a real one keeps them (Confluent's in
    # its _schemas topic): a restart loses no schema id.
    mkdir -p "$cache/registry-data$instance"
    storage=(-Dapicurio.datasource.url="jdbc:h2:file:$cache/registry-data$instance/registry")
    kind="schemas in $cache/registry-data$instance"
  fi
  log "starting Apicurio Registry $apicurio_version on 127.0.0.1:$registry_port ($kind)"
  nohup java -Xms128m -Xmx512m \
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$registry_port" \
    -Dapicurio.storage.kind=sql -Dapicurio.storage.sql.kind=h2 "${storage[@]}" \
    -Dquarkus.log.level=WARN \
    -jar "$registry_home/apicurio-registry-app-$apicurio_version-runner.jar" \
    >"$run_dir/$name.out" 2>&1 &
  echo $! >"$run_dir/$name.pid"
  if ! wait_for 120 "registry" registry_ok; then
    tail -n 40 "$run_dir/$name.out" >&2 || true
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
  local brokers=""
  for node in $(seq 1 "$nodes"); do brokers="$brokers${brokers:+,}127.0.0.1:$(node_port "$node")"; done
  cat <<EOF
export KAFKA_BROKERS=$brokers
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
      if [ "$part" = kafka ]; then kafka_down; else stop_pid "registry$instance"; fi
    done
    ;;
  reset)
    # Stops Kafka and wipes its data (and an instance's registry's): the next 'up' starts empty.
    kafka_down
    for node in $(seq 1 "$nodes"); do
      name=$(node_name "$node")
      rm -rf "$cache/kafka-data${name#kafka}"
    done
    if [ -n "$instance" ]; then
      stop_pid "registry$instance"
      rm -rf "$cache/registry-data$instance"
    fi
    ;;
  status)
    for node in $(seq 1 "$nodes"); do
      name=$(node_name "$node")
      if pid_alive "$run_dir/$name.pid"; then echo "$name: running (pid $(cat "$run_dir/$name.pid"))"; else echo "$name: stopped"; fi
    done
    if pid_alive "$run_dir/registry$instance.pid"; then
      echo "registry$instance: running (pid $(cat "$run_dir/registry$instance.pid"))"
    else echo "registry$instance: stopped"; fi
    ;;
  broker)
    node=${3:?give the node number}
    name=$(node_name "$node")
    case "${2:-}" in
      kill)
        if pid_alive "$run_dir/$name.pid"; then kill -9 "$(cat "$run_dir/$name.pid")"; fi
        rm -f "$run_dir/$name.pid"
        ;;
      stop) stop_pid "$name" ;;
      start)
        node_start "$node"
        node_wait "$node"
        ;;
      *)
        log "broker kill|stop|start N"
        exit 2
        ;;
    esac
    ;;
  env) print_env ;;
  tool)
    fetch
    shift
    kafka_java "$@"
    ;;
  *)
    sed -n '2,29p' "${BASH_SOURCE[0]}"
    exit 2
    ;;
esac
