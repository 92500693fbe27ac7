#!/bin/sh
# run.sh BUILD_DIR — the benchmarks behind `make bench`: the HL7 v2 parse
# benchmark, the engine benchmark (bench/engine_bench.sh), the X12
# benchmark (bench/x12_bench.sh), then the FHIR benchmark
# (bench/fhir_bench.sh).
#
# Installs what the peers need (Debian's python3-hl7 and
# libx12-parser-perl, the npm parsers, validators and
# MLLP servers pinned in bench/peers/package-lock.json), idempotently and
# without questions; writes the corpus into BUILD_DIR/bench/ unless it is there;
# runs hxe (BUILD_DIR/hl7_parse_bench) and every peer on it, one after the
# other; prints one table and rewrites the marked section of
# docs/performance.md with it (bench/report.py).
#
# A peer that cannot be installed or run gets a "failed" row with the
# reason, and the run goes on. The run fails when hxe fails, or when the
# tools did not read the same values (then the docs are left alone).
#
# The engine benchmark: `hxe serve` (durable store) and the MLLP servers
# of @medplum/hl7 and node-hl7-server, one at a time, each at a fixed
# offered load and at saturation, driven by BUILD_DIR/mllp_load; one more
# table (bench/report_engine.py) and its own marked section of
# docs/performance.md. It fails the run when hxe failed.
#
# The X12 benchmark (bench/x12_bench.sh): a generated 837P/835 corpus of
# about 100 MB read by BUILD_DIR/x12_bench (tokenize, loop parse,
# validation through SNIP 5) and by node-x12, x12-parser,
# @stedi/x12-tools (npm) and X12::Parser (Debian's libx12-parser-perl);
# its table (bench/report_x12.py) has its own marked section.
#
# The FHIR benchmark (bench/fhir_bench.sh): ORU^R01 messages with 10 OBX
# converted to FHIR Bundles as JSON by BUILD_DIR/convert_bench, and a set
# of FHIR resources validated by BUILD_DIR/fhir_validate_bench and by the
# npm validators @medplum/core and fhir; two tables (bench/report_fhir.py)
# in their own marked section.
#
# Knobs (environment): BENCH_ONLY=parse, engine, x12 or fhir runs one part
# alone; BENCH_MESSAGES (20000), BENCH_MIN_SECONDS (2), BENCH_MIN_PASSES
# (3), BENCH_MAX_SECONDS (20) per tool for the parse part; BENCH_ENGINE_*
# (see bench/engine_bench.sh) for the engine part; BENCH_X12_* (see
# bench/x12_bench.sh) for the X12 part; BENCH_FHIR_* (see
# bench/fhir_bench.sh) for the FHIR part; BENCH_DOC=0 to leave
# docs/performance.md alone.
set -eu

cd "$(dirname "$0")/.."
BUILD=${1:-build}
COUNT=${BENCH_MESSAGES:-20000}
OUT=$BUILD/bench
ONLY=${BENCH_ONLY:-}
case $ONLY in
"" | parse | engine | x12 | fhir) ;;
*) printf '%s\n' "bench: BENCH_ONLY must be parse, engine, x12 or fhir" >&2; exit 2 ;;
esac
mkdir -p "$OUT"

say() { printf '%s\n' "bench: $*" >&2; }

SUDO=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo -n"

# Installs the Debian packages given that dpkg does not list as installed.
apt_install() {
    missing=""
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    say "installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    # shellcheck disable=SC2086
    if ! { $SUDO apt-get update -qq &&
           $SUDO apt-get install -y -qq --no-install-recommends $missing; } >"$OUT/apt.log" 2>&1
    then
        say "could not install$missing (see $OUT/apt.log)"
        return 1
    fi
}

# newer A B: A exists and was modified after B (or B is missing).
newer() {
    [ -e "$1" ] || return 1
    [ -e "$2" ] || return 0
    [ -n "$(find "$1" -prune -newer "$2")" ]
}

# ---- peers' dependencies ----
apt_install python3 python3-hl7 || true
apt_install perl libx12-parser-perl || true
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    apt_install nodejs npm || true
fi
PEERS=bench/peers
if command -v npm >/dev/null 2>&1; then
    if newer "$PEERS/package-lock.json" "$PEERS/node_modules/.package-lock.json"; then
        say "installing the npm peers (npm ci in $PEERS)"
        (cd "$PEERS" && npm ci --no-audit --no-fund --loglevel=error) >"$OUT/npm.log" 2>&1 ||
            say "npm ci failed (see $OUT/npm.log)"
    fi
fi

DOC=docs/performance.md
[ "${BENCH_DOC:-1}" = 0 ] && DOC=""
CMD="make bench"
[ "$BUILD" = build ] || CMD="sh bench/run.sh $BUILD"
[ -z "$ONLY" ] || CMD="BENCH_ONLY=$ONLY $CMD"

# Other work on the machine slows whoever runs beside it: note how busy
# its CPUs were (percent of all cores, over 3 s) before and after the runs.
cpu_busy() {
    [ -r /proc/stat ] || return 0
    # shellcheck disable=SC2046
    set -- $(head -n 1 /proc/stat)
    t1=$(($2 + $3 + $4 + $5 + $6 + $7 + $8)) i1=$(($5 + $6))
    sleep 3
    # shellcheck disable=SC2046
    set -- $(head -n 1 /proc/stat)
    t2=$(($2 + $3 + $4 + $5 + $6 + $7 + $8)) i2=$(($5 + $6))
    [ "$t2" -gt "$t1" ] && echo $((100 - 100 * (i2 - i1) / (t2 - t1)))
}

HXE_OK=1
# ==== the parse benchmark (BENCH_ONLY unset or parse) ====
if [ -z "$ONLY" ] || [ "$ONLY" = parse ]; then
# ---- the corpus ----
CORPUS=$OUT/hl7_corpus_$COUNT.hl7
INFO=$OUT/hl7_corpus_$COUNT.txt
if [ ! -s "$CORPUS" ] || [ ! -s "$INFO" ] || newer bench/gen_hl7_corpus.py "$CORPUS"; then
    say "writing the corpus ($COUNT messages) to $CORPUS"
    "$PY" bench/gen_hl7_corpus.py --count "$COUNT" --out "$CORPUS.tmp" 2>"$INFO"
    mv "$CORPUS.tmp" "$CORPUS"
fi

# ---- the runs ----
RESULTS=$OUT/hl7_parse_results.jsonl
: >"$RESULTS"
BUSY_BEFORE=$(cpu_busy || true)

# run TOOL COMMAND...: appends the tool's JSON line, or an error record.
run() {
    tool=$1
    shift
    say "running $tool"
    log=$OUT/$(printf "%s" "$tool" | tr -c "A-Za-z0-9\n" "_")
    if "$@" >"$log.out" 2>"$log.err" && tail -n 1 "$log.out" | grep -q '^{.*}$'; then
        tail -n 1 "$log.out" >>"$RESULTS"
        return 0
    fi
    # The reason: the exception line (Node prints whole minified sources
    # before it), else the first line that says error, else the last line.
    why=$(grep -m 1 -E '^[A-Za-z]*(Error|Exception)\b' "$log.err" | cut -c 1-160 || true)
    [ -n "$why" ] || why=$(grep -m 1 -i -E 'error|cannot|not found' "$log.err" | cut -c 1-160 || true)
    [ -n "$why" ] || why=$(tail -n 1 "$log.err" | cut -c 1-160)
    [ -n "$why" ] || why="no result printed"
    "$PY" -c 'import json, sys; print(json.dumps({"tool": sys.argv[1], "error": sys.argv[2]}))' \
        "$tool" "$why (log: $log.err)" >>"$RESULTS"
    return 1
}

if [ -x "$BUILD/hl7_parse_bench" ]; then
    run hxe "$BUILD/hl7_parse_bench" "$CORPUS" || HXE_OK=0
else
    HXE_OK=0
    "$PY" -c 'import json, sys; print(json.dumps({"tool": "hxe", "error": sys.argv[1]}))' \
        "$BUILD/hl7_parse_bench is not built" >>"$RESULTS"
fi
run python-hl7 "$PY" "$PEERS/python_hl7.py" "$CORPUS" || true
run @medplum/core node "$PEERS/medplum_core.js" "$CORPUS" || true
run node-hl7-client node "$PEERS/node_hl7_client.js" "$CORPUS" || true
run hl7-standard node "$PEERS/hl7_standard.js" "$CORPUS" || true

BUSY_AFTER=$(cpu_busy || true)

# ---- the table ----
"$PY" bench/report.py --results "$RESULTS" --corpus-info "$INFO" --build "$BUILD" \
    --doc "$DOC" --command "$CMD" --busy "${BUSY_BEFORE:-}" "${BUSY_AFTER:-}" || HXE_OK=0
fi

# ==== the engine benchmark (BENCH_ONLY unset or engine) ====
if [ -z "$ONLY" ] || [ "$ONLY" = engine ]; then
    ERESULTS=$OUT/engine_results.jsonl
    : >"$ERESULTS"
    EBUSY_BEFORE=$(cpu_busy || true)
    sh bench/engine_bench.sh "$BUILD" "$ERESULTS"
    EBUSY_AFTER=$(cpu_busy || true)
    "$PY" bench/report_engine.py --results "$ERESULTS" --build "$BUILD" --doc "$DOC" \
        --command "$CMD" --busy "${EBUSY_BEFORE:-}" "${EBUSY_AFTER:-}" || HXE_OK=0
    grep -q '"tool": "hxe", "mode": "[a-z]*", "error"' "$ERESULTS" && HXE_OK=0
fi

# ==== the X12 benchmark (BENCH_ONLY unset or x12) ====
if [ -z "$ONLY" ] || [ "$ONLY" = x12 ]; then
    XRESULTS=$OUT/x12_results.jsonl
    XINFO=$OUT/x12_corpus_info.txt
    : >"$XRESULTS"
    XBUSY_BEFORE=$(cpu_busy || true)
    sh bench/x12_bench.sh "$BUILD" "$XRESULTS" "$XINFO" || HXE_OK=0
    XBUSY_AFTER=$(cpu_busy || true)
    "$PY" bench/report_x12.py --results "$XRESULTS" --corpus-info "$XINFO" --build "$BUILD" \
        --doc "$DOC" --command "$CMD" --busy "${XBUSY_BEFORE:-}" "${XBUSY_AFTER:-}" || HXE_OK=0
fi

# ==== the FHIR benchmark (BENCH_ONLY unset or fhir) ====
if [ -z "$ONLY" ] || [ "$ONLY" = fhir ]; then
    FRESULTS=$OUT/fhir_results.jsonl
    FINFO=$OUT/fhir_corpus_info.txt
    : >"$FRESULTS"
    FBUSY_BEFORE=$(cpu_busy || true)
    sh bench/fhir_bench.sh "$BUILD" "$FRESULTS" "$FINFO" || HXE_OK=0
    FBUSY_AFTER=$(cpu_busy || true)
    "$PY" bench/report_fhir.py --results "$FRESULTS" --corpus-info "$FINFO" --build "$BUILD" \
        --doc "$DOC" --command "$CMD" --busy "${FBUSY_BEFORE:-}" "${FBUSY_AFTER:-}" || HXE_OK=0
fi
[ "$HXE_OK" = 1 ] || { say "hxe did not run"; exit 1; }
