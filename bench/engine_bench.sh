#!/bin/sh
# engine_bench.sh BUILD_DIR RESULTS — the engine benchmark behind `make bench`
# (bench/run.sh runs it after the parse benchmark; BENCH_ONLY=engine runs
# it alone).
#
# End to end over loopback: BUILD_DIR/mllp_load sends HL7 v2 over MLLP to
# a server and times each ACK. Each server is measured twice, each time
# freshly started: at a fixed offered load and at saturation. The servers,
# one at a time:
#   hxe   `hxe serve` with a channel written here: an MLLP source,
#         validation warn, the duplicate window on (every MSH-10 is new),
#         no filter, one MLLP destination to BUILD_DIR/mllp_sink; the store
#         a fresh SQLite file in BUILD_DIR/bench/engine/, receipts committed
#         with synchronous=FULL (the default): every AA means "on disk".
#   @medplum/hl7, node-hl7-server   (bench/peers/*_server.js) answering AA
#         to every message with their own ACK builders, storing nothing.
# Appends one JSON line per run to RESULTS: the loader's line plus the
# server's peak RSS (VmHWM), its CPU time, version and, for hxe, what the
# sink received and hxe's channel counters. A run that fails gets
# {"tool", "mode", "error"}. bench/report_engine.py makes the table.
#
# Knobs (environment): BENCH_ENGINE_RATE (5000 msgs/s offered in the fixed
# run), BENCH_ENGINE_SECONDS (10 measured), BENCH_ENGINE_WARMUP (2, sent
# before measuring), BENCH_ENGINE_CONNECTIONS (64, one message at a time
# on each), BENCH_ENGINE_TOOLS ("hxe @medplum/hl7 node-hl7-server"),
# BENCH_HXE_VERSION (what hxe is called in the table; default git describe).
set -eu

cd "$(dirname "$0")/.."
BUILD=${1:?usage: engine_bench.sh BUILD_DIR RESULTS}
RESULTS=${2:?usage: engine_bench.sh BUILD_DIR RESULTS}
RATE=${BENCH_ENGINE_RATE:-5000}
SECONDS_=${BENCH_ENGINE_SECONDS:-10}
WARMUP=${BENCH_ENGINE_WARMUP:-2}
CONNS=${BENCH_ENGINE_CONNECTIONS:-64}
TOOLS=${BENCH_ENGINE_TOOLS:-"hxe @medplum/hl7 node-hl7-server"}
# what was built, for the table (BENCH_HXE_VERSION when BUILD_DIR was not
# built from this working tree)
HXE_VERSION=${BENCH_HXE_VERSION:-git $(git describe --always --dirty 2>/dev/null || echo "working tree")}
OUT=$BUILD/bench/engine
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
TEMPLATES="examples/adt_a01.hl7 examples/oru_r01.hl7 examples/orm_o01.hl7"
mkdir -p "$OUT"

say() { printf '%s\n' "bench: $*" >&2; }

free_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits up to 15 s for a TCP listener on 127.0.0.1:PORT.
wait_port() {
    "$PY" - "$1" <<'EOF'
import socket, sys, time
end = time.time() + 15
while time.time() < end:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.5).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
EOF
}

# Peak RSS in kB and CPU seconds (user + system) of a live process.
proc_rss() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
proc_cpu() {
    awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f\n", ($12 + $13) / hz }' \
        "/proc/$1/stat" 2>/dev/null || echo 0
}

# Stops a process we started: SIGTERM, then SIGKILL after 15 s.
stop_pid() {
    kill -TERM "$1" 2>/dev/null || return 0
    i=0
    while kill -0 "$1" 2>/dev/null && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
    kill -KILL "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

fail() { # TOOL MODE REASON
    "$PY" -c 'import json, sys; print(json.dumps({"tool": sys.argv[1], "mode": sys.argv[2], "error": sys.argv[3]}))' \
        "$1" "$2" "$3" >>"$RESULTS"
    say "$1 $2 failed: $3"
}

# load PORT TOOL MODE LOG [extra loader options]: the loader's JSON in LOG.out
load() {
    port=$1 tool=$2 mode=$3 log=$4
    shift 4
    rate=0
    [ "$mode" = fixed ] && rate=$RATE
    "$BUILD/mllp_load" --port "$port" --connections "$CONNS" --window 1 --rate "$rate" \
        --duration "$SECONDS_" --warmup "$WARMUP" --drain 20 --tool "$tool" "$@" $TEMPLATES \
        >"$log.load.out" 2>"$log.load.err" &&
        tail -n 1 "$log.load.out" | grep -q '^{.*}$'
}

# merge LOG KEY=JSONVALUE...: the loader's line plus these keys, onto RESULTS
merge() {
    log=$1
    shift
    "$PY" - "$log.load.out" "$@" >>"$RESULTS" <<'EOF'
import json, sys
with open(sys.argv[1]) as f:
    r = json.loads(f.read().strip().splitlines()[-1])
for kv in sys.argv[2:]:
    k, v = kv.split("=", 1)
    try:
        r[k] = json.loads(v)
    except ValueError:
        r[k] = v
print(json.dumps(r))
EOF
}

run_hxe() { # MODE
    mode=$1
    dir=$OUT/hxe-$mode
    rm -rf "$dir"
    mkdir -p "$dir"
    log=$dir/run
    if [ ! -x "$BUILD/hxe" ] || [ ! -x "$BUILD/mllp_load" ] || [ ! -x "$BUILD/mllp_sink" ]; then
        fail hxe "$mode" "$BUILD/hxe, mllp_load or mllp_sink is not built"
        return 1
    fi
    port=$(free_port)
    sink_port=$(free_port)
    cat >"$dir/hxe.yaml" <<EOF
# written by bench/engine_bench.sh: one channel, MLLP in, MLLP out to mllp_sink
version: 1
store:
  backend: sqlite
  path: $dir/hxe.db
log:
  level: info
tenants:
  - name: bench
channels:
  - name: bench-in
    tenant: bench
    source:
      type: mllp
      host: 127.0.0.1
      port: $port
      max_connections: 1024
    validation: warn
    duplicate_window: 24h
    destinations:
      - name: sink
        type: mllp
        host: 127.0.0.1
        port: $sink_port
EOF
    "$BUILD/mllp_sink" "$sink_port" >"$dir/sink.out" 2>"$dir/sink.err" &
    sink=$!
    "$BUILD/hxe" serve "$dir/hxe.yaml" >"$dir/hxe.out" 2>"$dir/hxe.err" &
    hxe=$!
    if ! wait_port "$port"; then
        stop_pid $hxe
        stop_pid $sink
        fail hxe "$mode" "hxe serve did not listen (log: $dir/hxe.err: $(tail -n 1 "$dir/hxe.err" | cut -c 1-160))"
        return 1
    fi
    cpu0=$(proc_cpu $hxe)
    ok=1
    load "$port" hxe "$mode" "$log" || ok=0
    rss=$(proc_rss $hxe)
    cpu1=$(proc_cpu $hxe)
    stop_pid $hxe
    stop_pid $sink
    if [ $ok = 0 ]; then
        fail hxe "$mode" "mllp_load failed: $(tail -n 1 "$log.load.err" | cut -c 1-160)"
        return 1
    fi
    sink_json=$(tail -n 1 "$dir/sink.out" 2>/dev/null | grep '^{' || echo null)
    stats=$(grep '"channel_stats"' "$dir/hxe.err" | tail -n 1 || true)
    [ -n "$stats" ] || stats=null
    merge "$log" peak_rss_kb="$rss" cpu_s="$(echo "$cpu1 $cpu0" | awk '{printf "%.2f", $1 - $2}')" \
        durable=true version="\"$HXE_VERSION\"" \
        runtime='"C"' sink="$sink_json" hxe_stats="$stats" \
        db_bytes="$(du -sb "$dir" | awk '{print $1}')"
}

run_peer() { # TOOL SCRIPT MODE [loader options]
    tool=$1 script=$2 mode=$3
    shift 3
    name=$(printf "%s" "$tool" | tr -c "A-Za-z0-9\n" "_")
    dir=$OUT/$name-$mode
    rm -rf "$dir"
    mkdir -p "$dir"
    log=$dir/run
    if ! command -v node >/dev/null 2>&1 || [ ! -d bench/peers/node_modules ]; then
        fail "$tool" "$mode" "node or bench/peers/node_modules is missing"
        return 1
    fi
    port=$(free_port)
    node "bench/peers/$script" "$port" >"$dir/server.out" 2>"$dir/server.err" &
    pid=$!
    if ! wait_port "$port"; then
        stop_pid $pid
        why=$(grep -m 1 -E '^[A-Za-z]*(Error|Exception)\b' "$dir/server.err" | cut -c 1-160 || true)
        fail "$tool" "$mode" "the server did not listen: ${why:-see $dir/server.err}"
        return 1
    fi
    cpu0=$(proc_cpu $pid)
    ok=1
    load "$port" "$tool" "$mode" "$log" "$@" || ok=0
    rss=$(proc_rss $pid)
    cpu1=$(proc_cpu $pid)
    stop_pid $pid
    if [ $ok = 0 ]; then
        fail "$tool" "$mode" "mllp_load failed: $(tail -n 1 "$log.load.err" | cut -c 1-160)"
        return 1
    fi
    info=$(tail -n 1 "$dir/server.out" | grep '^{' || echo '{}')
    merge "$log" peak_rss_kb="$rss" cpu_s="$(echo "$cpu1 $cpu0" | awk '{printf "%.2f", $1 - $2}')" \
        durable=false server="$info" \
        version="$(echo "$info" | "$PY" -c 'import json,sys; print(json.dumps(json.load(sys.stdin).get("version","")))')" \
        runtime="$(echo "$info" | "$PY" -c 'import json,sys; print(json.dumps(json.load(sys.stdin).get("runtime","Node.js")))')" \
        options="\"$*\""
}

for tool in $TOOLS; do
    for mode in fixed saturation; do
        say "engine: $tool, $mode"
        case $tool in
        hxe) run_hxe $mode || true ;;
        @medplum/hl7) run_peer "$tool" medplum_hl7_server.js $mode || true ;;
        # node-hl7-server 2.5.0 never clears its receive buffer, so on a
        # kept connection every earlier message is answered again with each
        # new one (wrong ACKs): it gets a new connection for every message,
        # which it answers correctly.
        node-hl7-server) run_peer "$tool" node_hl7_server.js $mode --reconnect 1 || true ;;
        *) fail "$tool" $mode "unknown tool" ;;
        esac
    done
done
